"""A list's contact store: lookups by address and emailKey, change order, renames."""

from __future__ import annotations

import json

from fake_listrak.models import Contact
from fake_listrak.render import contact_row
from fake_listrak.store import ListStore, address_key


def _new(address: str, subscribed: bool = True) -> Contact:
    return Contact(address, address_key(address), 0, 0, subscribed, "2024-01-01T00:00:00")


def test_added_contacts_are_numbered_and_rendered() -> None:
    store = ListStore(101)
    a = store.add(_new("A@x.io"))
    b = store.add(_new("b@x.io", subscribed=False))
    assert (a.index, a.seq, b.index, b.seq) == (0, 1, 1, 2)
    assert json.loads(a.row)["emailAddress"] == "A@x.io"
    assert (store.count(True), store.count(False), len(store)) == (1, 1, 2)


def test_lookups_by_address_ignore_case_and_by_email_key_need_this_list() -> None:
    store = ListStore(101)
    a = store.add(_new("A@x.io"))
    assert store.find("a@X.IO") is a
    assert store.find_identifier(store.email_key(a)) is a
    assert ListStore(102).find_identifier(store.email_key(a)) is None


def test_an_address_in_lower_case_is_its_own_key() -> None:
    address = "plain@x.io"
    assert address_key(address) is address


def test_a_change_moves_the_contact_to_the_end_and_renders_it_again() -> None:
    store = ListStore(1)
    first = store.add(_new("a@x.io"))
    store.add(_new("b@x.io"))
    first.subscribed = False
    store.changed(first, True)
    assert first.seq == 3
    assert [c.address for c in store.lanes[True]] == ["b@x.io"]
    assert [c.address for c in store.lanes[False]] == ["a@x.io"]
    assert first.row == contact_row(first, 1)
    assert json.loads(first.row)["subscriptionState"] == "Unsubscribed"


def test_a_rename_rekeys_the_contact() -> None:
    store = ListStore(1)
    a = store.add(_new("a@x.io"))
    store.rename(a, "New@x.io")
    assert store.find("a@x.io") is None
    assert store.find("new@x.io") is a and a.address == "New@x.io"


def test_a_pending_contact_is_in_no_lane_until_it_changes_into_one() -> None:
    store = ListStore(1)
    pending = store.add(Contact("p@x.io", "p@x.io", 0, 0, False, None, pending=True))
    assert (store.count(True), store.count(False), len(store)) == (0, 0, 1)
    assert json.loads(pending.row)["subscriptionState"] == "Pending"
    pending.pending, pending.subscribed = False, True
    store.changed(pending, None)
    assert ([c.address for c in store.lanes[True]], store.count(False)) == (["p@x.io"], 0)
    assert pending.seq == 2 and json.loads(pending.row)["subscriptionState"] == "Subscribed"
