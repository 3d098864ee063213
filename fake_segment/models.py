"""The fake Segment's domain objects: stored messages, discards, settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "DISCARD_REASONS",
    "MESSAGE_TYPES",
    "Discard",
    "Settings",
    "StoredMessage",
]

MESSAGE_TYPES = frozenset({"identify", "track", "page", "screen", "group", "alias"})

# Why an event answered with 200 was not applied. The first five are Segment's own names
# (Delivery Overview); the others are the fake's names for documented drops.
DISCARD_REASONS = {
    "no_user_anon_id": "neither userId nor anonymousId is set",
    "id_not_string": "userId or anonymousId is empty or not a string",
    "traits_not_object": "traits is not an object",
    "event_not_defined": "a track call has no event name",
    "empty_batch": "the batch array is empty",
    "unknown_write_key": "the write key is not one of the fake's configured write keys",
    "duplicate": "a message with this messageId was seen within the last 24 hours",
    "too_many_events": "the batch has more than 2500 events; Segment rejects all of them",
    "invalid_type": "a batch item is not an object or has no valid type",
}


@dataclass(slots=True)
class StoredMessage:
    """A message Segment accepted and applied, as enriched at ingest, with its Spec findings."""

    seq: int
    write_key: str
    message: dict[str, Any]
    received: float
    violations: tuple[Any, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "writeKey": self.write_key,
            "message": self.message,
            "violations": [_finding_dict(f) for f in self.violations],
        }


@dataclass(slots=True)
class Discard:
    """A message answered with 200 but not applied, and why."""

    seq: int
    write_key: str | None
    reason: str
    detail: str
    message: Any
    received_at: str
    received: float
    duplicate_of: int | None = None
    content_differs: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "seq": self.seq,
            "writeKey": self.write_key,
            "reason": self.reason,
            "detail": self.detail,
            "receivedAt": self.received_at,
            "message": self.message,
        }
        if self.reason == "duplicate":
            out["duplicateOf"] = self.duplicate_of
            out["contentDiffers"] = self.content_differs
        return out


@dataclass(slots=True)
class Settings:
    """How the fake behaves; every field can be changed at run time through `/_fake/settings`."""

    retention: int = 100_000
    dedupe_scope: Literal["global", "write_key"] = "global"
    dedupe_window_s: float = 24 * 3600.0
    write_keys: frozenset[str] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "retention": self.retention,
            "dedupeScope": self.dedupe_scope,
            "dedupeWindowSeconds": self.dedupe_window_s,
            "writeKeys": sorted(self.write_keys) if self.write_keys is not None else None,
        }


def _finding_dict(finding: Any) -> dict[str, Any]:
    return {
        "path": finding.path,
        "rule": finding.rule,
        "message": finding.message,
        "contract": finding.contract,
    }
