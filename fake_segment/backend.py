"""The fake Segment's state and operations, free of HTTP: ingest, the message log, discards,
dedupe, profiles and faults, partitioned by write key.

A request goes through two phases. `read_request` (no lock) decodes the body, finds the write key,
expands the batch, applies the drop rules that need no state, judges each message against the
Segment Spec and adds Segment's fields. `apply` (under the lock, so arrival order is one order)
dedupes, numbers, stores and feeds the profiles. Views call both with a fault check between them.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any, Literal

from contracts.validator import default_validator
from fake_segment.decoding import BATCH_LIMIT, MESSAGE_LIMIT, decode_json, read_body
from fake_segment.dedupe import Arrivals, DedupeWindow, content_differs
from fake_segment.exceptions import BadRequest, NotFound
from fake_segment.ingest import Enricher, discard_reason, expand, write_key_from
from fake_segment.log import MessageLog
from fake_segment.models import MESSAGE_TYPES, Discard, Settings, StoredMessage
from fake_segment.profiles import Profile, ProfileStore
from harness.fakekit.clock import Clock, SystemClock, format_iso, parse_iso
from harness.fakekit.faults import FaultEngine

__all__ = ["Partition", "ReadRequest", "SegmentBackend"]

ID_KINDS = frozenset({"anonymousId", "userId"})
PROFILE_ID_TYPES = {"userId": "user_id", "anonymousId": "anonymous_id", "email": "email"}


@dataclass(slots=True)
class ReadRequest:
    """A decoded request, ready to apply: its messages with their Spec findings, and its drops."""

    write_key: str
    received: float
    received_at: str
    messages: list[tuple[dict[str, Any], tuple[Any, ...]]]
    dropped: list[tuple[str, str, Any]]


@dataclass(slots=True)
class Partition:
    """Everything one write key owns."""

    write_key: str
    profiles: ProfileStore = field(default_factory=ProfileStore)
    dedupe: DedupeWindow | None = None


class SegmentBackend:
    """Segment's HTTP Tracking API as state and operations; shared by in-process and server use."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        settings: Settings | None = None,
        seed: int | None = None,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.settings = settings or Settings()
        self.faults = FaultEngine(self.clock, seed=seed or 0)
        self._lock = threading.RLock()
        self._partitions: dict[str, Partition] = {}
        self._log = MessageLog()
        self._discards: deque[Discard] = deque()
        self._arrivals = Arrivals()
        self._dedupe = DedupeWindow(self.settings.dedupe_window_s, self._arrivals)
        self._seq = 0
        self._discard_seq = 0
        self._ids = itertools.count(1)
        self._id_prefix = f"fake-{os.urandom(4).hex()}-"

    # -- ingest ---------------------------------------------------------------------------
    def ingest(
        self,
        kind: str,
        body: IO[bytes],
        *,
        authorization: str | None = None,
        content_encoding: str | None = None,
    ) -> ReadRequest:
        """Read and apply one request (what a view does when no fault intervenes)."""
        request = self.read_request(kind, body, authorization=authorization, content_encoding=content_encoding)
        self.apply(request)
        return request

    def read_request(
        self,
        kind: str,
        body: IO[bytes],
        *,
        authorization: str | None = None,
        content_encoding: str | None = None,
    ) -> ReadRequest:
        """Decode a request to `/v1/{kind}`; raises a SegmentError for anything Segment answers 400."""
        if kind != "batch" and kind not in MESSAGE_TYPES:
            raise NotFound(f"There is no endpoint /v1/{kind}.")
        raw = read_body(body, content_encoding, BATCH_LIMIT if kind == "batch" else MESSAGE_LIMIT)
        payload = decode_json(raw)
        expanded = expand(kind, payload, len(raw))
        write_key = write_key_from(authorization, payload)
        now = self.clock.now()
        received = now.timestamp()
        received_at = format_iso(now)
        dropped = expanded.dropped
        known = self.settings.write_keys
        if known is not None and write_key not in known:
            detail = "The write key is not one of the fake's configured write keys; Segment drops its events."
            dropped.extend(("unknown_write_key", detail, m) for m in expanded.items)
            return ReadRequest(write_key, received, received_at, [], dropped)
        kept = []
        for message in expanded.items:
            reason = discard_reason(message)
            if reason is None:
                kept.append(message)
            else:
                dropped.append((reason[0], reason[1], message))
        # Judged as sent, before Segment's fields are added; all at once, as most batches are valid.
        found = default_validator().findings_of_each(kept)
        Enricher(now, received_at).enrich_all(kept, expanded.sent_at)
        return ReadRequest(write_key, received, received_at, list(zip(kept, found, strict=True)), dropped)

    def apply(self, request: ReadRequest) -> None:
        """Dedupe, number, store and profile the messages of a read request, in arrival order."""
        write_key = request.write_key
        received = request.received
        with self._lock:
            for reason, detail, message in request.dropped:
                self._discard(write_key, reason, detail, message, request)
            if not request.messages:
                return
            partition = self._partition(write_key)
            window = partition.dedupe if partition.dedupe is not None else self._dedupe
            ids = window.ids(received)
            first_seq = seq = self._seq + 1
            self._arrivals.add(first_seq, received, write_key)
            applied: list[dict[str, Any]] = []
            found: dict[int, tuple[Any, ...]] | None = None
            try:
                for message, violations in request.messages:
                    message_id = message.get("messageId")
                    if message_id.__class__ is not str:
                        message_id = message["messageId"] = f"{self._id_prefix}{next(self._ids)}"
                    else:
                        first = ids.get(message_id)
                        if first is not None and window.within(first, received):
                            self._discard_duplicate(write_key, message, first, request, applied, first_seq)
                            continue
                    ids[message_id] = seq
                    applied.append(message)
                    if violations:
                        if found is None:
                            found = {}
                        found[seq] = violations
                    seq += 1
            finally:
                # Even if something failed, the numbers used stay used and their messages kept.
                self._seq = first_seq + len(applied) - 1
                self._log.add(first_seq, write_key, received, applied, found)
            partition.profiles.apply_many(first_seq, applied)
            excess = len(self._log) - self.settings.retention
            if excess > 0:
                self._log.evict(excess)

    def _discard_duplicate(
        self,
        write_key: str,
        message: dict[str, Any],
        first: int,
        request: ReadRequest,
        applied: list[dict[str, Any]],
        first_seq: int,
    ) -> None:
        """Record a repeat of message `first`, which is in the log or among this request's `applied`."""
        if first >= first_seq:
            held: dict[str, Any] | None = applied[first - first_seq]
        else:
            stored = self._log.find(first)
            held = stored.message if stored is not None else None
        differs = content_differs(held, message)
        if differs is None:
            how = " (since evicted from the log, so whether the content differed is unknown)"
        else:
            how = " with different content" if differs else " with the same content"
        detail = (
            f"messageId {message['messageId']!r} was first seen as message {first}{how}; "
            "Segment drops a repeat within 24 hours."
        )
        discard = self._discard(write_key, "duplicate", detail, message, request)
        discard.duplicate_of = first
        discard.content_differs = differs

    def _discard(self, write_key: str | None, reason: str, detail: str, message: Any, request: ReadRequest) -> Discard:
        self._discard_seq += 1
        discard = Discard(self._discard_seq, write_key, reason, detail, message, request.received_at, request.received)
        self._discards.append(discard)
        while len(self._discards) > self.settings.retention:
            self._discards.popleft()
        return discard

    def _partition(self, write_key: str) -> Partition:
        partition = self._partitions.get(write_key)
        if partition is None:
            partition = Partition(write_key)
            if self.settings.dedupe_scope == "write_key":
                partition.dedupe = DedupeWindow(self.settings.dedupe_window_s, self._arrivals)
            self._partitions[write_key] = partition
        return partition

    # -- inspection -----------------------------------------------------------------------
    def messages(
        self,
        *,
        write_key: str | None = None,
        type: str | None = None,
        user_id: str | None = None,
        anonymous_id: str | None = None,
        message_id: str | None = None,
        since: str | datetime | None = None,
        until: str | datetime | None = None,
        after_seq: int | None = None,
    ) -> list[StoredMessage]:
        """Retained messages in arrival order, filtered by any of the given fields.

        `since` is inclusive and `until` exclusive, on receivedAt; `after_seq` returns only newer messages.
        """
        start, end = _instant(since, "since"), _instant(until, "until")
        with self._lock:
            slices = self._log.slices(write_key, after_seq)
        out = []
        for first, key, received, held, violations in slices:
            if (start is not None and received < start) or (end is not None and received >= end):
                continue  # one receive time for the whole slice
            for offset, message in enumerate(held):
                seq = first + offset
                if (
                    (type is None or message.get("type") == type)
                    and (user_id is None or message.get("userId") == user_id)
                    and (anonymous_id is None or message.get("anonymousId") == anonymous_id)
                    and (message_id is None or message.get("messageId") == message_id)
                    and (after_seq is None or seq > after_seq)
                ):
                    found = violations.get(seq, ()) if violations else ()
                    out.append(StoredMessage(seq, key, message, received, found))
        return out

    def discards(self, *, write_key: str | None = None, reason: str | None = None) -> list[Discard]:
        """Messages answered with 200 but not applied, with why, oldest first."""
        with self._lock:
            items = list(self._discards)
        return [
            d
            for d in items
            if (write_key is None or d.write_key == write_key) and (reason is None or d.reason == reason)
        ]

    def write_keys(self) -> list[str]:
        """Write keys that have sent at least one applied message since the last reset."""
        with self._lock:
            return list(self._partitions)

    def profiles(self, write_key: str | None = None, **ids: str) -> list[tuple[str, Profile]]:
        """Identity-resolved profiles as (write key, profile), optionally those holding an id.

        `ids` takes `userId`, `anonymousId` or `email`; with several, a profile must hold all.
        """
        wanted = []
        for name, value in ids.items():
            if value is None:
                continue
            if name not in PROFILE_ID_TYPES:
                raise BadRequest(f"Profiles are looked up by userId, anonymousId or email, not {name!r}.")
            wanted.append((PROFILE_ID_TYPES[name], value))
        out: list[tuple[str, Profile]] = []
        with self._lock:
            for key, partition in self._partitions.items():
                if write_key is not None and key != write_key:
                    continue
                if not wanted:
                    out.extend((key, p) for p in partition.profiles.profiles())
                    continue
                first = partition.profiles.lookup(*wanted[0])
                if first is not None and all(
                    (other := partition.profiles.lookup(t, v)) is not None and other.id == first.id
                    for t, v in wanted[1:]
                ):
                    out.append((key, first))
        return out

    def trait_view(self, write_key: str, kind: Literal["anonymousId", "userId"], value: str) -> dict[str, Any]:
        """The traits Segment holds for one anonymousId or userId (the per-id view)."""
        with self._lock:
            partition = self._partitions.get(write_key)
            view = partition.profiles.trait_view(kind, value) if partition else None
        if view is None:
            raise NotFound(f"No identify under write key {write_key!r} has set traits for {kind} {value!r}.")
        return view

    def trait_views(self, write_key: str, kind: Literal["anonymousId", "userId"]) -> dict[str, dict[str, Any]]:
        """Every per-id trait view of one kind under a write key."""
        if kind not in ID_KINDS:
            raise BadRequest(f"Trait views are kept per anonymousId or userId, not {kind!r}.")
        with self._lock:
            partition = self._partitions.get(write_key)
            return partition.profiles.trait_views(kind) if partition else {}

    # -- admin ----------------------------------------------------------------------------
    def reset(self, write_key: str | None = None) -> None:
        """Forget everything, or everything one write key owns (its faults included)."""
        with self._lock:
            if write_key is None:
                self._partitions.clear()
                self._log.clear()
                self._discards.clear()
                self._arrivals = Arrivals()
                self._dedupe = DedupeWindow(self.settings.dedupe_window_s, self._arrivals)
                self.faults.reset()
                # A fake emptied whole numbers as a fresh one does (partial resets keep counting).
                self._seq = self._discard_seq = 0
                self._ids = itertools.count(1)
                return
            self._partitions.pop(write_key, None)
            self._log.drop_write_key(write_key)
            self._discards = deque(d for d in self._discards if d.write_key != write_key)
            self._dedupe.drop_write_key(write_key)
            self.faults.reset(write_key)

    def update_settings(
        self,
        *,
        retention: int | None = None,
        dedupe_scope: str | None = None,
        write_keys: Iterable[str] | Literal[False] | None = False,
    ) -> Settings:
        """Change settings at run time (write_keys=None accepts every key; False leaves them)."""
        with self._lock:
            if retention is not None:
                if type(retention) is not int or retention < 1:
                    raise BadRequest(f"retention must be a positive integer, saw {retention!r}.")
                self.settings.retention = retention
                if len(self._log) > retention:
                    self._log.evict(len(self._log) - retention)
            if dedupe_scope is not None:
                if dedupe_scope not in ("global", "write_key"):
                    raise BadRequest(f"dedupeScope must be 'global' or 'write_key', saw {dedupe_scope!r}.")
                if dedupe_scope != self.settings.dedupe_scope:
                    self.settings.dedupe_scope = dedupe_scope  # type: ignore[assignment]
                    window_s = self.settings.dedupe_window_s
                    self._dedupe = DedupeWindow(window_s, self._arrivals)
                    for partition in self._partitions.values():
                        scoped = dedupe_scope == "write_key"
                        partition.dedupe = DedupeWindow(window_s, self._arrivals) if scoped else None
            if write_keys is not False:
                if write_keys is None:
                    self.settings.write_keys = None
                else:
                    keys = list(write_keys)
                    if not all(isinstance(k, str) and k for k in keys):
                        raise BadRequest("writeKeys must be a list of non-empty strings, or null.")
                    self.settings.write_keys = frozenset(keys)
            return self.settings

    def counts(self) -> dict[str, int]:
        """Sizes of the fake's stores, for health and benchmarks."""
        with self._lock:
            return {
                "messages": len(self._log),
                "discards": len(self._discards),
                "writeKeys": len(self._partitions),
                "applied": self._seq,
            }


def _instant(value: str | datetime | None, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.timestamp()
    parsed = parse_iso(value)
    if parsed is None:
        raise BadRequest(f"{name} must be an ISO-8601 time, saw {value!r}.")
    return parsed.timestamp()
