"""The messages the sync builds: their ids (stable per change, distinct across changes, keys and
state files) and their shape per the Listrak Source documentation."""

from __future__ import annotations

import pytest

from contracts.validator import findings
from harness.reference.messages import identify, message_id, unsubscribed_event

BASE = {"write_key": "wk", "epoch": "0123abcd", "list_id": 101, "address": "a@x.io", "counter": 1}


def test_message_id_is_the_same_for_every_retry_of_one_change():
    assert message_id(**BASE) == message_id(**BASE)


@pytest.mark.parametrize(
    "change",
    [
        {"write_key": "wk2"},
        {"epoch": "4567ef01"},
        {"list_id": 102},
        {"address": "A@x.io"},
        {"counter": 2},
        {"kind": "Unsubscribed"},
    ],
    ids=lambda c: next(iter(c)),
)
def test_message_id_differs_when_any_part_of_the_change_differs(change):
    assert message_id(**{**BASE, **change}) != message_id(**BASE)


def test_message_id_never_shows_the_write_key():
    assert "wk_secret" not in message_id(**{**BASE, "write_key": "wk_secret"})


def test_identify_sets_the_trait_true_while_subscribed_with_the_user_id():
    message = identify("a@x.io", "Listrak_list_101", True, "u-1", "m-1", "2024-01-01T00:00:00.000Z")
    assert message == {
        "type": "identify",
        "messageId": "m-1",
        "anonymousId": "a@x.io",
        "userId": "u-1",
        "traits": {"email": "a@x.io", "Listrak_list_101": True},
        "timestamp": "2024-01-01T00:00:00.000Z",
    }
    assert not findings(message)


def test_identify_removes_the_trait_with_null_and_omits_an_empty_user_id():
    message = identify("a@x.io", "listrak_list_101", False, "", "m-1", "2024-01-01T00:00:00.000Z")
    assert message["traits"] == {"email": "a@x.io", "listrak_list_101": None}
    assert "userId" not in message


def test_unsubscribed_event_has_the_documented_properties_and_no_user_id():
    message = unsubscribed_event("a@x.io", 101, "News", "Contact", "m-2", "2024-01-01T00:00:00.000Z")
    assert message["type"] == "track" and message["event"] == "Unsubscribed"
    assert message["properties"] == {"list_id": 101, "list_name": "News", "unsubscribe_type": "Contact"}
    assert message["context"] == {"traits": {"email": "a@x.io"}}
    assert "userId" not in message
    assert not findings(message)
