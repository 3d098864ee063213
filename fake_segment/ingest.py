"""Pure steps of Segment's ingest: who sent it, which messages a request holds, which are dropped,
and the fields Segment adds. No state lives here; the backend strings these together.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from fake_segment.decoding import MESSAGE_LIMIT
from fake_segment.exceptions import InvalidJSON, MissingWriteKey, PayloadTooLarge
from fake_segment.models import MESSAGE_TYPES
from harness.fakekit.clock import format_iso, parse_iso

__all__ = [
    "MAX_BATCH_EVENTS",
    "Enricher",
    "Expanded",
    "discard_reason",
    "expand",
    "write_key_from",
]

MAX_BATCH_EVENTS = 2500
_NO_TRAITS_OR_OBJECT = (type(None), dict)
_TYPE_NAMES = {name: name for name in MESSAGE_TYPES}
# Calls with no drop rule of their own (alias reads previousId as its userId; track needs an event).
_NO_EXTRA_RULES = frozenset({"identify", "page", "screen", "group"})


def write_key_from(authorization: str | None, body: Any) -> str:
    """The write key from Basic auth, else from `writeKey` in the body (Bearer needs the body's)."""
    if authorization:
        scheme, _, credentials = authorization.strip().partition(" ")
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                raise MissingWriteKey(
                    "The Authorization header is not valid Basic auth: expected base64 of 'WRITE_KEY:'."
                ) from None
            # 'key:' is the documented form; a bare 'key' still works for backward compatibility.
            basic_key = decoded.partition(":")[0]
            if basic_key:
                return basic_key
    key = body.get("writeKey") if isinstance(body, dict) else None
    if isinstance(key, str) and key:
        return key
    if key is not None and not isinstance(key, str):
        raise MissingWriteKey(f"writeKey in the body must be a string, saw {type(key).__name__}.")
    raise MissingWriteKey(
        "No write key: send it as Basic auth (the write key as user, empty password) or as writeKey in the JSON body."
    )


class Expanded:
    """The messages one request carries, plus the items dropped before any message exists."""

    __slots__ = ("dropped", "items", "sent_at")

    def __init__(self, items: list[dict[str, Any]], sent_at: Any, dropped: list[tuple[str, str, Any]]):
        self.items = items
        self.sent_at = sent_at
        self.dropped = dropped


def expand(kind: str, body: Any, body_size: int) -> Expanded:
    """Split a request into messages: one for a single call, the items of a batch with the
    batch's context, integrations and sentAt applied to each."""
    if not isinstance(body, dict):
        raise InvalidJSON(f"The body must be a JSON object, saw {_json_type(body)}.")
    if kind != "batch":
        message = dict(body)
        message.pop("writeKey", None)
        message["type"] = kind  # the endpoint decides the type of a single call
        return Expanded([message], body.get("sentAt"), [])
    batch = body.get("batch")
    if not isinstance(batch, list):
        raise InvalidJSON(
            f"A batch request must have a `batch` array, saw {_json_type(batch) if 'batch' in body else 'none'}."
        )
    if not batch:
        return Expanded([], None, [("empty_batch", "The batch array is empty.", [])])
    if len(batch) > MAX_BATCH_EVENTS:
        detail = f"The batch has {len(batch)} events, more than Segment's {MAX_BATCH_EVENTS}."
        return Expanded([], None, [("too_many_events", detail, item) for item in batch])
    if body_size > MESSAGE_LIMIT:
        # Only a body this big can hold an item over the limit; smaller bodies skip the measure.
        for index, item in enumerate(batch):
            size = _size(item)
            if size > MESSAGE_LIMIT:
                raise PayloadTooLarge(
                    f"Exceed payload limit: batch[{index}] is {size} bytes, over Segment's 32KB "
                    f"({MESSAGE_LIMIT} bytes) per event."
                )
    context = body.get("context")
    integrations = body.get("integrations")
    items: list[dict[str, Any]] = []
    dropped: list[tuple[str, str, Any]] = []
    for index, item in enumerate(batch):
        item_type = item.get("type") if isinstance(item, dict) else None
        if type(item_type) is not str or item_type not in MESSAGE_TYPES:  # a list or dict is unhashable
            seen = item.get("type") if isinstance(item, dict) else _json_type(item)
            dropped.append(
                (
                    "invalid_type",
                    f"batch[{index}] needs a type among {', '.join(sorted(MESSAGE_TYPES))}; saw {seen!r}.",
                    item,
                )
            )
            continue
        if isinstance(context, dict):
            own = item.get("context")
            item["context"] = {**context, **own} if isinstance(own, dict) else context
        if isinstance(integrations, dict):
            own = item.get("integrations")
            item["integrations"] = {**integrations, **own} if isinstance(own, dict) else integrations
        item["type"] = _TYPE_NAMES[item_type]  # one shared string for every message's type, not one each
        item.pop("writeKey", None)
        items.append(item)
    return Expanded(items, body.get("sentAt"), dropped)


def discard_reason(message: dict[str, Any]) -> tuple[str, str] | None:
    """Why Segment would drop this message after answering 200, or None when it keeps it."""
    user_id = message.get("userId")
    anonymous_id = message.get("anonymousId")
    kind = message["type"]
    if (
        anonymous_id.__class__ is str
        and anonymous_id
        and (user_id is None or (user_id.__class__ is str and user_id))
        and message.get("traits").__class__ in _NO_TRAITS_OR_OBJECT
        and kind in _NO_EXTRA_RULES
    ):
        return None  # the common case, decided without building any message text
    if kind == "alias":
        user_id = user_id if user_id is not None else message.get("previousId")
    if user_id is None and anonymous_id is None:
        return "no_user_anon_id", "Neither userId nor anonymousId is set."
    for name, value in (("userId", user_id), ("anonymousId", anonymous_id)):
        if value is not None and (type(value) is not str or not value):
            return "id_not_string", f"{name} must be a non-empty string, saw {json.dumps(value)[:80]}."
    traits = message.get("traits")
    if traits is not None and type(traits) is not dict:
        return "traits_not_object", f"traits must be an object, saw {_json_type(traits)}."
    if kind == "track":
        event = message.get("event")
        if type(event) is not str or not event:
            return "event_not_defined", "A track call needs a non-empty event name."
    return None


class Enricher:
    """Adds what Segment adds to each message of one request: receivedAt, originalTimestamp and
    the skew-corrected `timestamp = receivedAt - (sentAt - originalTimestamp)`.

    Messages of one request often share their timestamps, so each distinct (timestamp, sentAt)
    pair is worked out once, and the messages that share it keep one copy of the string.
    """

    __slots__ = ("_done", "received_at", "received_dt")

    def __init__(self, received_dt: datetime, received_at: str) -> None:
        self.received_dt = received_dt
        self.received_at = received_at
        self._done: dict[tuple[str | None, str | None], tuple[str, str | None]] = {}

    def enrich_all(self, messages: list[dict[str, Any]], batch_sent_at: Any) -> None:
        """`enrich` each message, after giving the batch's `sentAt` to those without their own."""
        enrich = self.enrich
        for message in messages:
            sent = message.get("sentAt")
            if sent is None and batch_sent_at is not None:
                sent = message["sentAt"] = batch_sent_at
            enrich(message, sent)

    def enrich(self, message: dict[str, Any], sent_at: Any) -> None:
        original = message.get("timestamp")
        message["receivedAt"] = self.received_at
        if (original is None or type(original) is str) and (sent_at is None or type(sent_at) is str):
            key = (original, sent_at)
            done = self._done.get(key)
            if done is None:
                done = self._done[key] = (self._corrected(original, sent_at), original)
            # The first message's copy of an equal timestamp stands for all: one string, not one each.
            corrected, original = done
        else:
            corrected = self.received_at
        message["originalTimestamp"] = self.received_at if original is None else original
        message["timestamp"] = corrected

    def _corrected(self, original: str | None, sent_at: str | None) -> str:
        when = parse_iso(original) if original is not None else None
        if when is None:
            return self.received_at  # no usable client time: Segment stamps its own
        sent = parse_iso(sent_at) if sent_at is not None else None
        if sent is None:
            return format_iso(when)
        return format_iso(self.received_dt - (sent - when))


def _size(item: Any) -> int:
    return len(json.dumps(item, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
