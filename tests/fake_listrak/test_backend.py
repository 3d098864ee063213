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
    ClockNotSettable,
    InvalidCredentials,
    InvalidParameter,
    NotSubscribedEmailAddress,
    ResourceNotFound,
    Unauthorized,
    UnknownClient,
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


def test_reset_one_client_spares_the_others(seeded: ListrakBackend) -> None:
    seeded.register_client("client-b", "secret-b")
    seeded.seed("client-b", {"lists": [{"listId": 5}]})
    seeded.reset(CLIENT_ID)
    assert seeded.get_lists(CLIENT_ID) == []
    assert [item.list_id for item in seeded.get_lists("client-b")] == [5]
    assert all(c.client_id != CLIENT_ID for c in seeded.history())


def test_reset_everything_restores_the_default_settings_the_backend_was_made_with(clock: ManualClock) -> None:
    backend = ListrakBackend(clock, page_size_cap=4)
    backend.update_settings(page_size_cap=9, token_lifetime=10)
    backend.reset()
    assert (backend.settings().page_size_cap, backend.settings().token_lifetime) == (4, 3599)


def test_reset_everything_keeps_the_clients(seeded: ListrakBackend) -> None:
    seeded.update_settings(page_size_cap=3)
    seeded.reset()
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
