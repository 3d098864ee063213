"""The messages the Listrak Source documentation promises, built for one change at a time."""

from __future__ import annotations

import hashlib
from typing import Any

__all__ = ["identify", "message_id", "unsubscribed_event"]


def message_id(write_key: str, epoch: str, list_id: int, address: str, counter: int, kind: str = "identify") -> str:
    """One id per distinct change of an (address, list) pair, the same for every retry of it.

    Segment drops a repeated messageId for 24 hours across sources and workspaces, so the id mixes
    in the write key (two sources never collide) and the pair's change counter (a resubscribe that
    repeats an earlier subscribe is still a new message). Counters live in the state file, so the
    id also mixes in that file's random `epoch`: a lost state, or a switch of revision (a state file
    of its own), restarts the counters without ever reusing an id sent before.
    """
    key = f"{write_key}\x1f{epoch}\x1f{list_id}\x1f{address}\x1f{counter}\x1f{kind}"
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"lrk-{digest[:40]}"


def identify(
    address: str,
    trait: str,
    subscribed: bool,
    user_id: str | None,
    msg_id: str,
    timestamp: str,
) -> dict[str, Any]:
    """The identify for one list: the list trait true while subscribed, null to remove it."""
    message: dict[str, Any] = {
        "type": "identify",
        "messageId": msg_id,
        "anonymousId": address,
        "traits": {"email": address, trait: True if subscribed else None},
        "timestamp": timestamp,
    }
    if user_id:
        message["userId"] = user_id
    return message


def unsubscribed_event(
    address: str,
    list_id: int,
    list_name: str | None,
    unsubscribe_type: str | None,
    msg_id: str,
    timestamp: str,
) -> dict[str, Any]:
    """The documented `Unsubscribed` track event (revision 2023-08-03); never with a userId."""
    return {
        "type": "track",
        "event": "Unsubscribed",
        "messageId": msg_id,
        "anonymousId": address,
        "properties": {"list_id": list_id, "list_name": list_name, "unsubscribe_type": unsubscribe_type},
        "context": {"traits": {"email": address}},
        "timestamp": timestamp,
    }
