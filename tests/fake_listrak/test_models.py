"""Profile fields enforce their data type and length; packed values; list attributes."""

from __future__ import annotations

import pytest

from fake_listrak.exceptions import AdminRequestError, InvalidParameter, SeedError
from fake_listrak.models import (
    Contact,
    ContactList,
    Field,
    address_list,
    list_attributes,
    pack_values,
    unpack_values,
)


def _field(data_type: str, max_length: int = 10) -> Field:
    return Field(1, 1, 1, "f", data_type, max_length, 1)


@pytest.mark.parametrize(
    ("data_type", "value", "stored"),
    [
        ("Text", "hello", "hello"),
        ("Text", "", ""),
        ("Numeric", "42", "42"),
        ("Numeric", "-3.5", "-3.5"),
        ("CheckBox", "ON", "on"),
        ("RadioButton", "off", "off"),
        ("Date", "2024-01-31", "2024-01-31"),
        ("CommentArea", "a\nb", "a\nb"),
    ],
)
def test_values_a_field_accepts(data_type: str, value: str, stored: str) -> None:
    assert _field(data_type).check(value) == stored


@pytest.mark.parametrize(
    ("data_type", "value"),
    [("Text", "x" * 11), ("Numeric", "ten"), ("Numeric", "1e5"), ("CheckBox", "yes"), ("Date", "someday")],
)
def test_values_a_field_refuses(data_type: str, value: str) -> None:
    with pytest.raises(InvalidParameter):
        _field(data_type).check(value)


def test_packed_values_round_trip_without_empty_ones() -> None:
    packed = pack_values({5: "a", 6: "", 7: "b"})
    assert packed == (5, "a", 7, "b")
    assert unpack_values(packed) == {5: "a", 7: "b"}
    assert pack_values({5: ""}) is None


def test_a_contact_reads_one_value_or_empty() -> None:
    contact = Contact("a@x.io", "a@x.io", 0, 1, True, None, values=(5, "a", 7, "b"))
    assert (contact.value(7), contact.value(6)) == ("b", "")
    assert contact.subscription_state == "Subscribed"


@pytest.mark.parametrize(
    ("subscribed", "pending", "state", "lane"),
    [(True, False, "Subscribed", True), (False, False, "Unsubscribed", False), (False, True, "Pending", None)],
)
def test_a_pending_contact_is_in_neither_listing(
    subscribed: bool, pending: bool, state: str, lane: bool | None
) -> None:
    contact = Contact("a@x.io", "a@x.io", 0, 1, subscribed, None, pending=pending)
    assert (contact.subscription_state, contact.lane) == (state, lane)


def test_an_address_list_names_the_bad_entry() -> None:
    assert address_list(("a@x.io", "B@y.io"), "banned") == ["a@x.io", "B@y.io"]
    with pytest.raises(AdminRequestError, match=r"^banned\[1\]: expected an email address, got 'nope'$"):
        address_list(["a@x.io", "nope"], "banned")
    with pytest.raises(SeedError, match=r"^suppressed: expected a JSON array of email addresses, got 'a@x.io'$"):
        address_list("a@x.io", "suppressed", SeedError)


def test_list_attributes_follow_the_swaggers_names_and_order() -> None:
    names = [name for name, _, _ in list_attributes()]
    assert names[:8] == [
        "listId",
        "listName",
        "folderId",
        "ipPoolId",
        "bounceDomainAlias",
        "bounceHandling",
        "bounceUnsubscribeCount",
        "createDate",
    ]
    assert len(names) == len(ContactList.__dataclass_fields__) == 25
