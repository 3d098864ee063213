"""The backend's operations, partitions, settings, clock and history, without HTTP."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from listrak_support import CLIENT_ID, CLIENT_SECRET

from fake_listrak.backend import ListrakBackend, check_address
from fake_listrak.exceptions import (
    AdminRequestError,
    BannedEmailAddress,
    BannedNewEmailAddress,
    ClockNotSettable,
    ContactNotPending,
    InvalidCredentials,
    InvalidParameter,
    ListrakError,
    NotSubscribedEmailAddress,
    PendingEmailAddress,
    PendingNewEmailAddress,
    ResourceNotFound,
    SuppressedEmail,
    SuppressedNewEmail,
    Unauthorized,
    UnknownClient,
    UnsubscribedEmailAddress,
)
from fake_listrak.models import ContactList, ContactQuery, ContactUpsert, FieldGroup
from harness.fakekit.clock import ManualClock, SystemClock


def _page(backend: ListrakBackend, list_id: int = 101, **query: Any) -> list[dict[str, Any]]:
    rows = backend.get_contacts(CLIENT_ID, list_id, ContactQuery(count=5000, **query)).rows
    return [json.loads(row) for row in rows]


def _addresses(backend: ListrakBackend, list_id: int = 101, **query: Any) -> list[str]:
    return [c["emailAddress"] for c in _page(backend, list_id, **query)]


# -- clients, tokens, partitions --------------------------------------------------------------
def test_each_client_is_an_account_of_its_own(seeded: ListrakBackend) -> None:
    seeded.register_client("client-b", "secret-b")
    seeded.seed("client-b", {"lists": [{"listId": 101, "contacts": ["only-b@example.com"]}]})
    assert _addresses(seeded) == ["a@example.com", "b@example.com"]
    assert [c.address for c in seeded.contacts("client-b", 101)] == ["only-b@example.com"]
    with pytest.raises(ResourceNotFound):
        seeded.get_list("client-b", 999)


def test_a_token_stands_for_its_client(backend: ListrakBackend) -> None:
    backend.register_client("client-b", "secret-b")
    token = backend.issue_token("client-b", "secret-b").value
    assert backend.authenticate(token) == "client-b"


@pytest.mark.parametrize(("client_id", "secret"), [("client-a", "nope"), ("nobody", "x"), (None, None)])
def test_bad_credentials_get_no_token(backend: ListrakBackend, client_id: str | None, secret: str | None) -> None:
    with pytest.raises(InvalidCredentials):
        backend.issue_token(client_id, secret)


def test_an_unregistered_clients_tokens_stop_working(backend: ListrakBackend) -> None:
    token = backend.issue_token(CLIENT_ID, CLIENT_SECRET).value
    backend.unregister_client(CLIENT_ID)
    with pytest.raises(Unauthorized):
        backend.authenticate(token)
    with pytest.raises(UnknownClient):
        backend.get_lists(CLIENT_ID)


def test_registering_without_credentials_makes_them_up(backend: ListrakBackend) -> None:
    client = backend.register_client()
    assert client.client_id.startswith("fake-") and len(client.client_secret) >= 20
    assert backend.register_client().client_id != client.client_id


def test_reregistering_a_client_changes_its_secret_and_keeps_its_data(seeded: ListrakBackend) -> None:
    seeded.register_client(CLIENT_ID, "new-secret")
    with pytest.raises(InvalidCredentials):
        seeded.issue_token(CLIENT_ID, CLIENT_SECRET)
    assert seeded.issue_token(CLIENT_ID, "new-secret")
    assert len(seeded.contacts(CLIENT_ID, 101)) == 3


@pytest.mark.parametrize("bad", ["", 5, "x" * 300])
def test_client_ids_must_be_short_strings(backend: ListrakBackend, bad: Any) -> None:
    with pytest.raises(AdminRequestError):
        backend.register_client(bad)


def test_revoking_one_clients_tokens_spares_the_others(backend: ListrakBackend) -> None:
    backend.register_client("client-b", "secret-b")
    a = backend.issue_token(CLIENT_ID, CLIENT_SECRET).value
    b = backend.issue_token("client-b", "secret-b").value
    assert backend.revoke_tokens(CLIENT_ID) == 1
    with pytest.raises(Unauthorized):
        backend.authenticate(a)
    assert backend.authenticate(b) == "client-b"


# -- settings and clock -----------------------------------------------------------------------
def test_settings_default_then_per_client(backend: ListrakBackend) -> None:
    backend.register_client("client-b", "secret-b")
    backend.update_settings(CLIENT_ID, page_size_cap=2)
    assert backend.settings(CLIENT_ID).page_size_cap == 2
    assert backend.settings("client-b").page_size_cap is None
    backend.update_settings(token_lifetime=100)
    assert backend.settings("client-b").token_lifetime == 100
    backend.update_settings(CLIENT_ID, page_size_cap=None)
    assert backend.settings(CLIENT_ID).page_size_cap is None


@pytest.mark.parametrize(
    "changes",
    [{"token_lifetime": 0}, {"token_lifetime": "1"}, {"page_size_cap": 0}, {"page_size_cap": True}],
)
def test_bad_settings_are_refused_with_what_was_expected(backend: ListrakBackend, changes: dict[str, Any]) -> None:
    with pytest.raises(AdminRequestError) as caught:
        backend.update_settings(**changes)
    assert "must be" in caught.value.message and "got" in caught.value.message


def test_the_manual_clock_can_be_set_and_advanced(backend: ListrakBackend) -> None:
    backend.set_clock(datetime(2025, 1, 1, tzinfo=UTC))
    assert backend.advance_clock(1.5) == datetime(2025, 1, 1, 0, 0, 1, 500000, tzinfo=UTC)
    with pytest.raises(AdminRequestError):
        backend.advance_clock(-1)


def test_the_system_clock_cannot_be_driven() -> None:
    backend = ListrakBackend(SystemClock())
    with pytest.raises(ClockNotSettable):
        backend.advance_clock(1)
    with pytest.raises(ClockNotSettable):
        backend.set_clock(datetime(2025, 1, 1, tzinfo=UTC))


# -- history ----------------------------------------------------------------------------------
def test_history_records_who_did_what_and_when(seeded: ListrakBackend, clock: ManualClock) -> None:
    clock.advance(10)
    seeded.upsert_contact(CLIENT_ID, 101, ContactUpsert("b@example.com", "Unsubscribed"))
    seeded.subscribe(CLIENT_ID, 101, "b@example.com")
    last_two = seeded.history(CLIENT_ID)[-2:]
    assert [(c.actor, c.action, c.list_id, c.email) for c in last_two] == [
        ("api", "contact.unsubscribe", 101, "b@example.com"),
        ("admin", "contact.resubscribe", 101, "b@example.com"),
    ]
    assert last_two[0].at == datetime(2024, 5, 1, 12, 0, 10, tzinfo=UTC)
    assert last_two[0].to_json()["at"] == "2024-05-01T12:00:10"


def test_a_seed_is_one_history_entry_per_list(backend: ListrakBackend) -> None:
    backend.seed(CLIENT_ID, {"lists": [{"listId": 1, "generate": {"count": 500}}]})
    seeds = [c for c in backend.history(CLIENT_ID) if c.action == "seed"]
    assert [(c.list_id, c.detail) for c in seeds] == [(1, {"created": 500, "updated": 0})]


def test_history_is_kept_per_client_and_read_after_a_sequence_number(backend: ListrakBackend) -> None:
    backend.register_client("client-b", "secret-b")
    backend.create_list("client-b", ContactList(0, "B"))
    mark = backend.history()[-1].seq
    backend.create_list(CLIENT_ID, ContactList(0, "A"))
    assert [c.client_id for c in backend.history(after_seq=mark)] == [CLIENT_ID]
    assert all(c.client_id == "client-b" for c in backend.history("client-b"))


def test_an_update_that_changes_nothing_leaves_no_trace(seeded: ListrakBackend) -> None:
    before = seeded.contact(CLIENT_ID, 101, "a@example.com")
    count = len(seeded.history())
    result = seeded.upsert_contact(CLIENT_ID, 101, ContactUpsert("a@example.com", "Subscribed", "ext-a", [(5, "u-a")]))
    after = seeded.contact(CLIENT_ID, 101, "a@example.com")
    assert (result.created, result.changed) == (False, False)
    assert before is not None and after is not None and after.seq == before.seq
    assert len(seeded.history()) == count


# -- contacts ---------------------------------------------------------------------------------
def test_unsubscribing_someone_not_on_the_list_is_not_subscribed(seeded: ListrakBackend) -> None:
    with pytest.raises(NotSubscribedEmailAddress):
        seeded.unsubscribe(CLIENT_ID, 101, "stranger@example.com")


def test_subscribed_by_contact_records_the_contact_as_the_method(seeded: ListrakBackend) -> None:
    seeded.upsert_contact(CLIENT_ID, 101, ContactUpsert("self@example.com", subscribed_by_contact=True))
    assert seeded.contact(CLIENT_ID, 101, "self@example.com").subscribe_method == "Contact"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("update_type", "values", "expected"),
    [
        ("Update", [(6, "7")], {5: "u-a", 6: "7"}),
        ("Update", [(5, "")], {}),
        ("Append", [(5, "+1")], {5: "u-a+1"}),
        ("Append", [(6, "7")], {5: "u-a", 6: "7"}),
        ("Overwrite", [(6, "7")], {6: "7"}),
    ],
)
def test_update_types_apply_values_as_documented(
    seeded: ListrakBackend, update_type: str, values: list[tuple[int, str]], expected: dict[int, str]
) -> None:
    seeded.upsert_contact(CLIENT_ID, 101, ContactUpsert("a@example.com", values=values, update_type=update_type))
    assert seeded.contact(CLIENT_ID, 101, "a@example.com").value_map() == expected  # type: ignore[union-attr]


def test_append_beyond_the_max_length_is_refused(seeded: ListrakBackend) -> None:
    with pytest.raises(InvalidParameter):
        seeded.upsert_contact(
            CLIENT_ID, 101, ContactUpsert("a@example.com", values=[(5, "x" * 8)], update_type="Append")
        )
    assert seeded.contact(CLIENT_ID, 101, "a@example.com").value(5) == "u-a"  # type: ignore[union-attr]


def test_an_empty_external_id_clears_it(seeded: ListrakBackend) -> None:
    seeded.upsert_contact(CLIENT_ID, 101, ContactUpsert("a@example.com", external_id=""))
    assert seeded.contact(CLIENT_ID, 101, "a@example.com").external_id is None  # type: ignore[union-attr]


def test_the_bulk_update_is_all_or_nothing(seeded: ListrakBackend) -> None:
    with pytest.raises(InvalidParameter):
        seeded.update_contact_fields(
            CLIENT_ID, 101, [("b@example.com", [(5, "ok")]), ("a@example.com", [(6, "not a number")])]
        )
    assert seeded.contact(CLIENT_ID, 101, "b@example.com").value(5) == ""  # type: ignore[union-attr]


def test_set_field_values_needs_a_contact(seeded: ListrakBackend) -> None:
    with pytest.raises(ResourceNotFound):
        seeded.set_field_values(CLIENT_ID, 101, "nobody@example.com", {5: "x"})


def test_deleting_a_group_deletes_its_fields_and_their_values(seeded: ListrakBackend) -> None:
    seeded.delete_field_group(CLIENT_ID, 101, 7)
    assert seeded.get_field_groups(CLIENT_ID, 101) == []
    assert seeded.contact(CLIENT_ID, 101, "a@example.com").values is None  # type: ignore[union-attr]


def test_ids_are_unique_in_an_account(backend: ListrakBackend) -> None:
    first = backend.create_list(CLIENT_ID, ContactList(0, "One"))
    second = backend.create_list(CLIENT_ID, ContactList(0, "Two"))
    g1 = backend.create_field_group(CLIENT_ID, first.list_id, FieldGroup(0, 0, "g", 1))
    g2 = backend.create_field_group(CLIENT_ID, second.list_id, FieldGroup(0, 0, "g", 1))
    assert first.list_id != second.list_id and g1.group_id != g2.group_id


@pytest.mark.parametrize("address", ["a@b", "first.last+tag@example.co.uk", "Ünïcødé@exämple.org", "x/y@z.io"])
def test_addresses_listrak_takes(address: str) -> None:
    assert check_address(address) == address


@pytest.mark.parametrize("address", ["", "plain", "a@b@c", "a b@c.io", "@x.io", "x@", "a\x00@b.io", 5, None])
def test_addresses_listrak_refuses(address: Any) -> None:
    with pytest.raises(InvalidParameter):
        check_address(address)


# -- banned and suppressed addresses -----------------------------------------------------------
@pytest.mark.parametrize(
    ("upsert", "error"),
    [
        (ContactUpsert("Banned@Example.com"), BannedEmailAddress),
        (ContactUpsert("SUPPRESSED@example.com"), SuppressedEmail),
        (ContactUpsert("banned@example.com", send_double_opt_in=True), BannedEmailAddress),
        (ContactUpsert("suppressed@example.com", "Subscribed", send_double_opt_in=True), SuppressedEmail),
        (ContactUpsert("both@example.com"), BannedEmailAddress),
    ],
    ids=["new", "new suppressed", "new pending", "new pending suppressed", "a ban comes first"],
)
def test_subscribing_a_banned_or_suppressed_address_is_refused(
    seeded: ListrakBackend, upsert: ContactUpsert, error: type[ListrakError]
) -> None:
    seeded.add_suppressions(
        CLIENT_ID,
        banned=["banned@example.com", "both@example.com"],
        suppressed=["suppressed@example.com", "both@example.com"],
    )
    before = len(seeded.history())
    with pytest.raises(error):
        seeded.upsert_contact(CLIENT_ID, 101, upsert)
    assert seeded.contact(CLIENT_ID, 101, upsert.email) is None
    assert len(seeded.history()) == before


@pytest.mark.parametrize("override", [True, False])
def test_resubscribing_a_banned_contact_is_refused_before_its_own_state(seeded: ListrakBackend, override: bool) -> None:
    seeded.add_suppressions(CLIENT_ID, banned=["C@EXAMPLE.COM"])
    upsert = ContactUpsert("c@example.com", "Subscribed", override_unsubscribe=override)
    with pytest.raises(BannedEmailAddress):
        seeded.upsert_contact(CLIENT_ID, 101, upsert)
    assert seeded.contact(CLIENT_ID, 101, "c@example.com").subscribed is False  # type: ignore[union-attr]


def test_only_subscribing_is_refused_a_contact_already_on_the_list_is_still_updated(seeded: ListrakBackend) -> None:
    seeded.add_suppressions(CLIENT_ID, banned=["a@example.com"], suppressed=["b@example.com"])
    profile = seeded.upsert_contact(CLIENT_ID, 101, ContactUpsert("a@example.com", values=[(6, "9")]))
    again = seeded.upsert_contact(CLIENT_ID, 101, ContactUpsert("b@example.com", "Subscribed", external_id="x"))
    gone = seeded.upsert_contact(CLIENT_ID, 101, ContactUpsert("b@example.com", "Unsubscribed"))
    assert (profile.created, again.created, gone.created) == (False, False, False)
    assert seeded.contact(CLIENT_ID, 101, "a@example.com").value(6) == "9"  # type: ignore[union-attr]
    assert seeded.contact(CLIENT_ID, 101, "a@example.com").subscribed  # type: ignore[union-attr]
    with pytest.raises(SuppressedEmail):
        seeded.subscribe(CLIENT_ID, 101, "b@example.com")


@pytest.mark.parametrize(
    ("new_email", "error"),
    [
        ("Banned@example.com", BannedNewEmailAddress),
        ("suppressed@example.com", SuppressedNewEmail),
        ("pending@example.com", PendingNewEmailAddress),
    ],
)
def test_changing_an_address_to_a_banned_suppressed_or_pending_one_is_refused(
    seeded: ListrakBackend, new_email: str, error: type[ListrakError]
) -> None:
    seeded.add_suppressions(CLIENT_ID, banned=["banned@example.com"], suppressed=["suppressed@example.com"])
    seeded.subscribe(CLIENT_ID, 101, "pending@example.com", double_opt_in=True)
    with pytest.raises(error):
        seeded.upsert_contact(CLIENT_ID, 101, ContactUpsert("b@example.com", new_email=new_email))
    assert seeded.contact(CLIENT_ID, 101, "b@example.com") is not None


def test_the_address_of_a_pending_contact_cannot_be_changed(seeded: ListrakBackend) -> None:
    seeded.subscribe(CLIENT_ID, 101, "p@example.com", double_opt_in=True)
    with pytest.raises(PendingEmailAddress):
        seeded.upsert_contact(CLIENT_ID, 101, ContactUpsert("p@example.com", new_email="q@example.com"))


def test_suppressions_are_per_account_case_insensitive_and_recorded(seeded: ListrakBackend) -> None:
    seeded.register_client("client-b", "secret-b")
    seeded.seed("client-b", {"lists": [{"listId": 101}]})
    held = seeded.add_suppressions(CLIENT_ID, banned=["X@y.io", "x@Y.io"], suppressed=["s@y.io"])
    assert held.to_json() == {"banned": ["X@y.io"], "suppressed": ["s@y.io"]}
    assert seeded.suppressions("client-b").to_json() == {"banned": [], "suppressed": []}
    assert seeded.subscribe("client-b", 101, "x@y.io").created
    lifted = seeded.lift_suppressions(CLIENT_ID, banned=["x@y.IO", "never@y.io"])
    assert lifted.to_json() == {"banned": [], "suppressed": ["s@y.io"]}
    assert seeded.clear_suppressions(CLIENT_ID).to_json() == {"banned": [], "suppressed": []}
    changes = [(c.actor, c.action, c.detail) for c in seeded.history(CLIENT_ID) if c.action.startswith("suppression.")]
    assert changes == [
        ("admin", "suppression.add", {"banned": ["X@y.io"], "suppressed": ["s@y.io"]}),
        ("admin", "suppression.lift", {"banned": ["X@y.io"]}),
        ("admin", "suppression.lift", {"suppressed": ["s@y.io"]}),
    ]


@pytest.mark.parametrize(
    ("banned", "message"),
    [
        ("a@x.io", "banned: expected a JSON array of email addresses, got 'a@x.io'"),
        (["a@x.io", 5], "banned[1]: expected an email address, got 5"),
        (["not an address"], "banned[0]: expected an email address, got 'not an address'"),
    ],
)
def test_bad_suppressions_say_where_what_was_expected_and_what_was_seen(
    backend: ListrakBackend, banned: Any, message: str
) -> None:
    with pytest.raises(AdminRequestError) as caught:
        backend.add_suppressions(CLIENT_ID, banned=banned)
    assert (caught.value.status, caught.value.code, caught.value.message) == (
        400,
        "ERROR_INVALID_ADMIN_REQUEST",
        message,
    )
    assert backend.suppressions(CLIENT_ID).banned == []


# -- double opt-in ----------------------------------------------------------------------------
def test_double_opt_in_makes_a_new_contact_pending_in_neither_listing(seeded: ListrakBackend) -> None:
    result = seeded.upsert_contact(CLIENT_ID, 101, ContactUpsert("P@example.com", send_double_opt_in=True))
    contact = seeded.contact(CLIENT_ID, 101, "p@example.com")
    assert result.created and contact is not None
    assert (contact.pending, contact.subscribed, contact.subscription_state) == (True, False, "Pending")
    assert (contact.subscribe_date, contact.subscribe_method) == (None, None)
    assert "P@example.com" not in _addresses(seeded) + _addresses(seeded, subscribed=False)
    assert [c.address for c in seeded.contacts(CLIENT_ID, 101) if c.pending] == ["P@example.com"]
    assert json.loads(seeded.get_contact(CLIENT_ID, 101, "p@example.com"))["subscriptionState"] == "Pending"
    assert [(c.action, c.email) for c in seeded.history(CLIENT_ID)][-1] == ("contact.pending", "P@example.com")


def test_double_opt_in_only_applies_to_a_new_contact(seeded: ListrakBackend) -> None:
    seeded.upsert_contact(CLIENT_ID, 101, ContactUpsert("b@example.com", external_id="x", send_double_opt_in=True))
    upsert = ContactUpsert("c@example.com", "Subscribed", override_unsubscribe=True, send_double_opt_in=True)
    seeded.upsert_contact(CLIENT_ID, 101, upsert)
    assert [c.address for c in seeded.contacts(CLIENT_ID, 101, subscribed=True)] == [
        "a@example.com",
        "b@example.com",
        "c@example.com",
    ]


@pytest.mark.parametrize(
    ("upsert", "error"),
    [
        (ContactUpsert("p@example.com", "Subscribed"), PendingEmailAddress),
        (ContactUpsert("p@example.com", "Subscribed", override_unsubscribe=True), PendingEmailAddress),
        (ContactUpsert("p@example.com", send_double_opt_in=True, subscription_state="Subscribed"), PendingEmailAddress),
        (ContactUpsert("p@example.com", "Unsubscribed"), NotSubscribedEmailAddress),
    ],
    ids=["subscribe", "subscribe with override", "double opt-in again", "unsubscribe"],
)
def test_a_pending_contact_cannot_be_subscribed_or_unsubscribed(
    seeded: ListrakBackend, upsert: ContactUpsert, error: type[ListrakError]
) -> None:
    seeded.subscribe(CLIENT_ID, 101, "p@example.com", double_opt_in=True)
    with pytest.raises(error):
        seeded.upsert_contact(CLIENT_ID, 101, upsert)
    assert seeded.contact(CLIENT_ID, 101, "p@example.com").pending  # type: ignore[union-attr]


def test_a_pending_contacts_profile_is_updated_and_it_stays_pending(seeded: ListrakBackend) -> None:
    seeded.subscribe(CLIENT_ID, 101, "p@example.com", double_opt_in=True)
    result = seeded.upsert_contact(CLIENT_ID, 101, ContactUpsert("p@example.com", values=[(5, "u-p")]))
    contact = seeded.contact(CLIENT_ID, 101, "p@example.com")
    assert (result.created, result.changed) == (False, True)
    assert contact is not None and contact.pending and contact.value(5) == "u-p"
    assert "p@example.com" not in _addresses(seeded) + _addresses(seeded, subscribed=False)


def test_confirming_subscribes_on_the_fakes_clock_by_double_opt_in(seeded: ListrakBackend, clock: ManualClock) -> None:
    seeded.subscribe(CLIENT_ID, 101, "p@example.com", double_opt_in=True)
    clock.advance(90.5)
    confirmed = seeded.confirm(CLIENT_ID, 101, "P@EXAMPLE.COM")
    assert (confirmed.pending, confirmed.subscribed, confirmed.subscription_state) == (False, True, "Subscribed")
    assert (confirmed.subscribe_date, confirmed.subscribe_method) == ("2024-05-01T12:01:30.5", "DoubleOptIn")
    assert _addresses(seeded) == ["a@example.com", "b@example.com", "p@example.com"]
    last = seeded.history(CLIENT_ID)[-1]
    assert (last.actor, last.action, last.list_id, last.email) == ("admin", "contact.confirm", 101, "p@example.com")
    with pytest.raises(ContactNotPending):
        seeded.confirm(CLIENT_ID, 101, "p@example.com")


@pytest.mark.parametrize(
    ("list_id", "address", "error"),
    [
        (101, "a@example.com", ContactNotPending),
        (101, "nobody@example.com", ResourceNotFound),
        (9, "p@example.com", ResourceNotFound),
    ],
)
def test_only_a_pending_contact_can_be_confirmed(
    seeded: ListrakBackend, list_id: int, address: str, error: type[ListrakError]
) -> None:
    seeded.subscribe(CLIENT_ID, 101, "p@example.com", double_opt_in=True)
    with pytest.raises(error):
        seeded.confirm(CLIENT_ID, list_id, address)


def test_a_confirmation_after_a_ban_is_refused_as_subscribing(seeded: ListrakBackend) -> None:
    seeded.subscribe(CLIENT_ID, 101, "p@example.com", double_opt_in=True)
    seeded.add_suppressions(CLIENT_ID, suppressed=["p@example.com"])
    with pytest.raises(SuppressedEmail):
        seeded.confirm(CLIENT_ID, 101, "p@example.com")
    assert seeded.contact(CLIENT_ID, 101, "p@example.com").pending  # type: ignore[union-attr]


def test_confirming_does_not_resubscribe_an_unsubscribed_contact(seeded: ListrakBackend) -> None:
    with pytest.raises(ContactNotPending, match="is Unsubscribed"):
        seeded.confirm(CLIENT_ID, 101, "c@example.com")
    with pytest.raises(UnsubscribedEmailAddress):
        seeded.upsert_contact(CLIENT_ID, 101, ContactUpsert("c@example.com", "Subscribed"))


# -- date and external-id filters at their boundaries -----------------------------------------
@pytest.fixture
def dated(backend: ListrakBackend) -> ListrakBackend:
    """Subscribe dates 10:00, 11:00, 12:00; one unsubscribed at 13:00; one resubscribed at 14:00."""
    backend.seed(
        CLIENT_ID,
        {
            "lists": [
                {
                    "listId": 101,
                    "contacts": [
                        {"emailAddress": "ten@x.io", "subscribeDate": "2024-05-01T10:00:00", "externalContactID": "e1"},
                        {"emailAddress": "eleven@x.io", "subscribeDate": "2024-05-01T11:00:00"},
                        {
                            "emailAddress": "noon@x.io",
                            "subscribeDate": "2024-05-01T12:00:00",
                            "externalContactID": "e1",
                        },
                        {
                            "emailAddress": "gone@x.io",
                            "subscriptionState": "Unsubscribed",
                            "subscribeDate": "2024-05-01T09:00:00",
                            "unsubscribeDate": "2024-05-01T13:00:00",
                        },
                        {
                            "emailAddress": "back@x.io",
                            "subscribeDate": "2024-05-01T08:00:00",
                            "resubscribeDate": "2024-05-01T14:00:00",
                        },
                    ],
                }
            ]
        },
    )
    return backend


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2024-05-01T11:00:00", None, ["eleven@x.io", "noon@x.io"]),
        ("2024-05-01T11:00:00.000001", None, ["noon@x.io"]),
        (None, "2024-05-01T11:00:00", ["ten@x.io", "eleven@x.io", "back@x.io"]),
        (None, "2024-05-01T10:59:59.999999", ["ten@x.io", "back@x.io"]),
        ("2024-05-01T11:00:00", "2024-05-01T11:00:00", ["eleven@x.io"]),
        ("2024-05-02T00:00:00", None, []),
    ],
    ids=["start inclusive", "just after start", "end inclusive", "just before end", "one instant", "after all"],
)
def test_subscribe_date_filters_are_inclusive_at_both_ends(
    dated: ListrakBackend, start: str | None, end: str | None, expected: list[str]
) -> None:
    assert _addresses(dated, start_date=start, end_date=end) == expected


def test_the_most_recent_subscribe_date_has_an_exclusive_end(dated: ListrakBackend) -> None:
    query = {"use_original_subscribe_date": False}
    assert _addresses(dated, start_date="2024-05-01T14:00:00", **query) == ["back@x.io"]
    assert _addresses(dated, end_date="2024-05-01T14:00:00", **query) == ["ten@x.io", "eleven@x.io", "noon@x.io"]
    assert _addresses(dated, start_date="2024-05-01T08:00:00", end_date="2024-05-01T10:00:00", **query) == []


def test_unsubscribed_contacts_filter_on_their_unsubscribe_date(dated: ListrakBackend) -> None:
    assert _addresses(dated, subscribed=False, start_date="2024-05-01T13:00:00") == ["gone@x.io"]
    assert _addresses(dated, subscribed=False, end_date="2024-05-01T13:00:00") == ["gone@x.io"]
    assert _addresses(dated, subscribed=False, end_date="2024-05-01T12:59:59") == []


def test_the_external_id_filter_matches_exactly(dated: ListrakBackend) -> None:
    assert _addresses(dated, external_id="e1") == ["ten@x.io", "noon@x.io"]
    assert _addresses(dated, external_id="E1") == []


def test_date_filters_page_like_any_other_scan(dated: ListrakBackend) -> None:
    seen: list[str] = []
    cursor = "Start"
    while cursor:
        page = dated.get_contacts(CLIENT_ID, 101, ContactQuery(count=1, cursor=cursor, end_date="2024-05-01T11:00:00"))
        seen += [json.loads(r)["emailAddress"] for r in page.rows]
        cursor = page.next_cursor  # type: ignore[assignment]
    assert seen == ["ten@x.io", "eleven@x.io", "back@x.io"]


# -- seeding, dump, reset ---------------------------------------------------------------------
def test_a_dump_seeds_an_equivalent_account(seeded: ListrakBackend) -> None:
    seeded.register_client("copy", "copy")
    dump = seeded.dump(CLIENT_ID)
    seeded.seed("copy", dump)
    copied = seeded.dump("copy")
    assert copied["lists"] == dump["lists"]


def test_the_dump_holds_pending_contacts_and_suppressions_and_seeds_them_back(seeded: ListrakBackend) -> None:
    seeded.subscribe(CLIENT_ID, 101, "p@example.com", values={5: "u-p"}, double_opt_in=True)
    seeded.add_suppressions(CLIENT_ID, banned=["B@x.io"], suppressed=["s@x.io", "t@x.io"])
    dump = seeded.dump(CLIENT_ID)
    pending = dump["lists"][0]["contacts"][-1]
    assert (pending["emailAddress"], pending["subscriptionState"], pending["subscribeDate"]) == (
        "p@example.com",
        "Pending",
        None,
    )
    assert (dump["banned"], dump["suppressed"]) == (["B@x.io"], ["s@x.io", "t@x.io"])
    seeded.register_client("copy", "copy")
    seeded.seed("copy", json.loads(json.dumps(dump)))
    copied = seeded.dump("copy")
    assert {k: v for k, v in copied.items() if k != "clientId"} == {k: v for k, v in dump.items() if k != "clientId"}
    seeded.confirm("copy", 101, "p@example.com")
    assert "p@example.com" in [c.address for c in seeded.contacts("copy", 101, subscribed=True)]


def test_reset_one_client_spares_the_others(seeded: ListrakBackend) -> None:
    seeded.register_client("client-b", "secret-b")
    seeded.seed("client-b", {"lists": [{"listId": 5}], "banned": ["b@x.io"]})
    seeded.add_suppressions(CLIENT_ID, banned=["a@x.io"], suppressed=["s@x.io"])
    seeded.reset(CLIENT_ID)
    assert seeded.get_lists(CLIENT_ID) == []
    assert seeded.suppressions(CLIENT_ID).to_json() == {"banned": [], "suppressed": []}
    assert [item.list_id for item in seeded.get_lists("client-b")] == [5]
    assert seeded.suppressions("client-b").banned == ["b@x.io"]
    assert all(c.client_id != CLIENT_ID for c in seeded.history())
    seeded.seed(CLIENT_ID, {"lists": [{"listId": 1}]})
    assert seeded.subscribe(CLIENT_ID, 1, "a@x.io").created  # the ban went with the reset


def test_reset_everything_restores_the_default_settings_the_backend_was_made_with(clock: ManualClock) -> None:
    backend = ListrakBackend(clock, page_size_cap=4)
    backend.update_settings(page_size_cap=9, token_lifetime=10)
    backend.reset()
    assert (backend.settings().page_size_cap, backend.settings().token_lifetime) == (4, 3599)


def test_reset_everything_keeps_the_clients(seeded: ListrakBackend) -> None:
    seeded.update_settings(page_size_cap=3)
    seeded.subscribe(CLIENT_ID, 101, "p@example.com", double_opt_in=True)
    seeded.add_suppressions(CLIENT_ID, banned=["a@x.io"])
    seeded.reset()
    assert seeded.suppressions(CLIENT_ID).to_json() == {"banned": [], "suppressed": []}
    assert seeded.get_lists(CLIENT_ID) == []
    assert seeded.settings().page_size_cap is None
    assert seeded.issue_token(CLIENT_ID, CLIENT_SECRET)
    assert seeded.counts() == {"clients": 1, "lists": 0, "contacts": 0}


def test_concurrent_writers_and_readers_keep_the_lanes_consistent(backend: ListrakBackend) -> None:
    backend.seed(CLIENT_ID, {"lists": [{"listId": 1, "generate": {"count": 200, "start": 0}}]})

    def write(offset: int) -> None:
        for n in range(offset, offset + 200):
            backend.subscribe(CLIENT_ID, 1, f"w{n}@x.io")
            if n % 3 == 0:
                backend.unsubscribe(CLIENT_ID, 1, f"contact{n - offset}@example.com")
                backend.subscribe(CLIENT_ID, 1, f"contact{n - offset}@example.com")

    threads = [threading.Thread(target=write, args=(k * 1000,)) for k in range(3)]
    for t in threads:
        t.start()
    for _ in range(20):
        backend.get_contacts(CLIENT_ID, 1, ContactQuery(count=50))
    for t in threads:
        t.join()
    subscribed = backend.contacts(CLIENT_ID, 1, subscribed=True)
    assert len(_page(backend, 1)) == len(subscribed) == 800
