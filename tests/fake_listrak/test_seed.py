"""Seed documents: checked whole before anything loads, every error naming its JSON path, and the
`generate` shortcut that makes volume in one call."""

from __future__ import annotations

from typing import Any

import pytest
from listrak_support import CLIENT_ID

from fake_listrak.backend import ListrakBackend
from fake_listrak.exceptions import SeedError
from fake_listrak.models import Field
from fake_listrak.seed import MAX_GENERATED, build_contacts, parse_seed

NOW = "2024-05-01T12:00:00"
UID = {"segmentationFieldId": 5, "segmentationFieldName": "uid", "dataType": "Text", "maxLength": 6}
FIELDS = {5: Field(5, 1, 1, "uid", "Text", 6, 1)}


def _contacts(list_seed: dict[str, Any]) -> list[Any]:
    (plan,) = parse_seed({"lists": [list_seed]}).lists
    return build_contacts(plan, FIELDS, NOW, str)


def _error(document: Any) -> str:
    with pytest.raises(SeedError) as caught:
        plan = parse_seed(document)
        for list_plan in plan.lists:
            build_contacts(list_plan, FIELDS, NOW, str)
    return caught.value.message


# -- the document ------------------------------------------------------------------------------
def test_a_minimal_document_plans_lists_groups_and_fields() -> None:
    plan = parse_seed(
        {
            "lists": [
                {"listId": 3, "listName": "News", "segmentationFieldGroups": [{"segmentationFieldGroupName": "g",
                                                                              "segmentationFields": [UID]}]},
                {},
            ]
        }
    )  # fmt: skip
    first, second = plan.lists
    assert (first.list_id, first.info.list_name, second.list_id) == (3, "News", None)
    (group,) = first.groups
    assert (group.group.name, group.group.position) == ("g", 1)  # positions default to the order given
    assert [(f.field_id, f.field.max_length) for f in group.fields] == [(5, 6)]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "$: expected a JSON object, got []"),
        ({"list": []}, "$: unknown key(s) ['list']; a seed document has 'lists'"),
        ({"lists": {}}, "$.lists: expected a JSON array, got {}"),
        ({"lists": [{"listId": 0}]}, "lists[0].listId: expected a positive 32-bit integer id, got 0"),
        ({"lists": [{"listId": 2}, {"listId": 2}]}, "lists[1].listId: list 2 appears twice in the document"),
        ({"lists": [{"bounceHandling": "Often"}]}, "lists[0].bounceHandling: expected a valid value for this field"),
        (
            {"lists": [{"segmentationFieldGroups": [{"segmentationFieldGroupName": "g",
                                                     "segmentationFields": [{**UID, "dataType": "Blob"}]}]}]},
            "lists[0].segmentationFieldGroups[0].segmentationFields[0].dataType: expected a valid value",
        ),
        ({"lists": [{"contacts": ["nope"]}]}, "lists[0].contacts[0]: expected an email address, got 'nope'"),
        ({"lists": [{"contacts": [{"emailAddress": "a@x.io", "nick": 1}]}]}, "lists[0].contacts[0]: unknown key(s)"),
        (
            {"lists": [{"contacts": [{"emailAddress": "a@x.io", "subscriptionState": "Maybe"}]}]},
            "lists[0].contacts[0].subscriptionState: expected 'Subscribed', 'Unsubscribed' or 'Pending', got 'Maybe'",
        ),
        (
            {"lists": [{"contacts": [{"emailAddress": "a@x.io", "subscriptionState": "Pending",
                                      "subscribeDate": "2024-01-01T00:00:00", "subscribeMethod": "DoubleOptIn"}]}]},
            "lists[0].contacts[0]: a Pending contact has no subscribeDate or subscribeMethod until it confirms",
        ),
        (
            {"lists": [{"generate": {"count": 1, "subscriptionState": "Pending", "subscribeDate": "2024-01-01"}}]},
            "lists[0].generate: Pending contacts have no subscribeDate or unsubscribeDate",
        ),
        ({"lists": [], "banned": "x@y.io"}, "$.banned: expected a JSON array, got 'x@y.io'"),
        ({"lists": [], "suppressed": ["ok@y.io", "nope"]}, "suppressed[1]: expected an email address, got 'nope'"),
        (
            {"lists": [{"contacts": [{"emailAddress": "a@x.io", "unsubscribeDate": "2024-01-01T00:00:00"}]}]},
            "lists[0].contacts[0]: a Subscribed contact has no unsubscribeDate or unsubscribeMethod",
        ),
        (
            {"lists": [{"contacts": [{"emailAddress": "a@x.io", "subscribeDate": "soon"}]}]},
            "lists[0].contacts[0].subscribeDate: expected a date such as '2024-01-31T12:00:00', got 'soon'",
        ),
        (
            {"lists": [{"contacts": [{"emailAddress": "a@x.io",
                                      "segmentationFieldValues": [{"segmentationFieldId": 9, "value": "x"}]}]}]},
            "lists[0].contacts[0].segmentationFieldValues[0].segmentationFieldId: expected one of the list's field ids",
        ),
        (
            {"lists": [{"contacts": [{"emailAddress": "a@x.io",
                                      "segmentationFieldValues": [{"segmentationFieldId": 5, "value": "x" * 7}]}]}]},
            "lists[0].contacts[0].segmentationFieldValues[0].value: expected a Text value of at most 6 characters",
        ),
        ({"lists": [{"generate": {"count": -1}}]}, "lists[0].generate.count: expected a whole number from 0 to"),
        ({"lists": [{"generate": {"count": MAX_GENERATED + 1}}]}, "lists[0].generate.count: expected a whole number"),
        (
            {"lists": [{"generate": {"count": 1, "emailAddress": "fixed@x.io"}}]},
            "lists[0].generate.emailAddress: expected an address pattern containing {n}",
        ),
        ({"lists": [{"generate": {"count": 1, "size": 2}}]}, "lists[0].generate: unknown key(s) ['size']"),
    ],
    ids=[
        "not an object",
        "unknown key",
        "lists not an array",
        "list id zero",
        "list twice",
        "bad list field",
        "bad data type",
        "bad address",
        "unknown contact key",
        "bad state",
        "pending with subscribe date",
        "generated pending with date",
        "banned not an array",
        "bad suppressed address",
        "subscribed with unsubscribe date",
        "bad date",
        "unknown field",
        "value too long",
        "negative count",
        "count too large",
        "pattern without {n}",
        "unknown generate key",
    ],
)  # fmt: skip
def test_a_bad_document_says_where_what_was_expected_and_what_was_seen(document: Any, message: str) -> None:
    assert _error(document).startswith(message)


def test_the_state_dumps_own_keys_are_ignored() -> None:
    assert parse_seed({"clientId": "x", "settings": {}, "now": NOW, "lists": []}).lists == []


def test_banned_and_suppressed_addresses_are_optional_arrays() -> None:
    plan = parse_seed({"banned": ["Spam@x.io"], "suppressed": ["b@x.io", "c@x.io"]})
    assert (plan.lists, plan.banned, plan.suppressed) == ([], ["Spam@x.io"], ["b@x.io", "c@x.io"])
    assert (parse_seed({}).banned, parse_seed({"banned": None}).banned) == ([], [])


# -- contacts ----------------------------------------------------------------------------------
def test_a_bare_address_is_subscribed_now_by_an_administrator() -> None:
    (contact,) = _contacts({"contacts": ["A@x.io"]})
    assert (contact.address, contact.key, contact.subscribed) == ("A@x.io", "a@x.io", True)
    assert (contact.subscribe_date, contact.subscribe_method, contact.unsubscribe_date) == (NOW, "Administrator", None)


def test_an_unsubscribed_contact_gets_an_unsubscribe_date_and_method() -> None:
    (contact,) = _contacts({"contacts": [{"emailAddress": "b@x.io", "subscriptionState": "Unsubscribed"}]})
    assert (contact.subscribed, contact.unsubscribe_date, contact.unsubscribe_method) == (False, NOW, "Administrator")


def test_a_pending_contact_has_no_dates_or_methods_and_keeps_its_values() -> None:
    (contact,) = _contacts(
        {
            "contacts": [
                {
                    "emailAddress": "p@x.io",
                    "subscriptionState": "Pending",
                    "subscribeDate": None,
                    "externalContactID": "e-p",
                    "segmentationFieldValues": [{"segmentationFieldId": 5, "value": "u-p"}],
                }
            ]
        }
    )
    assert (contact.pending, contact.subscribed, contact.subscription_state) == (True, False, "Pending")
    assert (contact.subscribe_date, contact.subscribe_method, contact.unsubscribe_date) == (None, None, None)
    assert (contact.external_id, contact.value(5)) == ("e-p", "u-p")


def test_generate_makes_pending_contacts_too() -> None:
    contacts = _contacts({"generate": {"count": 2, "subscriptionState": "Pending"}})
    assert [(c.pending, c.subscribed, c.subscribe_date, c.subscribe_method) for c in contacts] == [
        (True, False, None, None)
    ] * 2


def test_generate_numbers_addresses_external_ids_and_values() -> None:
    contacts = _contacts(
        {
            "generate": {
                "count": 3,
                "start": 7,
                "emailAddress": "u{n}@x.io",
                "externalContactID": "ext-{n}",
                "subscribeDate": "1/2/2024",
                "segmentationFieldValues": [{"segmentationFieldId": 5, "value": "v{n}"}],
            }
        }
    )
    assert [c.address for c in contacts] == ["u7@x.io", "u8@x.io", "u9@x.io"]
    assert [c.external_id for c in contacts] == ["ext-7", "ext-8", "ext-9"]
    assert [c.value(5) for c in contacts] == ["v7", "v8", "v9"]
    assert {c.subscribe_date for c in contacts} == {"2024-01-02T00:00:00"}


def test_generated_values_are_checked_against_their_field() -> None:
    message = _error(
        {
            "lists": [
                {
                    "generate": {
                        "count": 20,
                        "segmentationFieldValues": [{"segmentationFieldId": 5, "value": "value{n}"}],
                    }
                }
            ]
        }
    )
    assert message == (
        "lists[0].generate.segmentationFieldValues: expected Text values of at most 6 characters, got 'value10'"
    )


# -- through the backend -----------------------------------------------------------------------
def test_a_bad_document_loads_nothing(backend: ListrakBackend) -> None:
    with pytest.raises(SeedError):
        backend.seed(CLIENT_ID, {"lists": [{"listId": 1, "contacts": ["a@x.io"]}, {"contacts": ["bad"]}]})
    assert backend.get_lists(CLIENT_ID) == []


def test_reseeding_a_contact_overwrites_it_and_counts_it_as_updated(backend: ListrakBackend) -> None:
    backend.seed(CLIENT_ID, {"lists": [{"listId": 1, "contacts": ["a@x.io", "b@x.io"]}]})
    summary = backend.seed(
        CLIENT_ID,
        {"lists": [{"listId": 1, "contacts": [{"emailAddress": "A@x.io", "subscriptionState": "Unsubscribed"}]}]},
    )
    assert summary.lists == [{"listId": 1, "created": 0, "updated": 1}]
    contact = backend.contact(CLIENT_ID, 1, "a@x.io")
    assert contact is not None and not contact.subscribed and contact.address == "a@x.io"


def test_seeding_adds_banned_and_suppressed_addresses_to_the_accounts(backend: ListrakBackend) -> None:
    backend.add_suppressions(CLIENT_ID, banned=["old@x.io"])
    backend.seed(CLIENT_ID, {"banned": ["OLD@x.io", "new@x.io"], "suppressed": ["s@x.io"]})
    assert backend.suppressions(CLIENT_ID).to_json() == {"banned": ["old@x.io", "new@x.io"], "suppressed": ["s@x.io"]}
    (entry,) = [c for c in backend.history(CLIENT_ID) if c.actor == "seed"]
    assert (entry.action, entry.detail) == ("suppression.add", {"banned": ["new@x.io"], "suppressed": ["s@x.io"]})


def test_reseeding_a_contact_as_pending_takes_it_out_of_its_listing(backend: ListrakBackend) -> None:
    backend.seed(CLIENT_ID, {"lists": [{"listId": 1, "contacts": ["a@x.io", "b@x.io"]}]})
    backend.seed(
        CLIENT_ID, {"lists": [{"listId": 1, "contacts": [{"emailAddress": "a@x.io", "subscriptionState": "Pending"}]}]}
    )
    assert [c.address for c in backend.contacts(CLIENT_ID, 1, subscribed=True)] == ["b@x.io"]
    assert backend.contacts(CLIENT_ID, 1, subscribed=False) == []
    assert backend.contact(CLIENT_ID, 1, "a@x.io").pending  # type: ignore[union-attr]


def test_a_seeded_field_id_that_belongs_to_another_list_is_refused(backend: ListrakBackend) -> None:
    group = {"segmentationFieldGroupName": "g", "segmentationFields": [UID]}
    backend.seed(CLIENT_ID, {"lists": [{"listId": 1, "segmentationFieldGroups": [group]}]})
    with pytest.raises(SeedError, match=r"field 5 already belongs to list 1"):
        backend.seed(CLIENT_ID, {"lists": [{"listId": 2, "segmentationFieldGroups": [group]}]})


@pytest.mark.parametrize(
    ("second", "message"),
    [
        ({"listId": 2}, "field 5 already belongs to list 1"),
        ({}, "field 5 already belongs to list 1"),
    ],
    ids=["named list", "list without an id"],
)
def test_two_lists_of_one_document_cannot_share_a_field_id(
    backend: ListrakBackend, second: dict[str, Any], message: str
) -> None:
    group = {"segmentationFieldGroupName": "g", "segmentationFields": [UID]}
    document = {
        "lists": [{"listId": 1, "segmentationFieldGroups": [group]}, {**second, "segmentationFieldGroups": [group]}]
    }
    with pytest.raises(SeedError, match=message):
        backend.seed(CLIENT_ID, document)
    assert backend.get_lists(CLIENT_ID) == []


def test_two_lists_of_one_document_cannot_share_a_group_id(backend: ListrakBackend) -> None:
    group = {"segmentationFieldGroupId": 7, "segmentationFieldGroupName": "g"}
    document = {"lists": [{"segmentationFieldGroups": [group]}, {"listId": 2, "segmentationFieldGroups": [group]}]}
    with pytest.raises(SeedError, match=r"group 7 already belongs to lists\[0\] of the document"):
        backend.seed(CLIENT_ID, document)
