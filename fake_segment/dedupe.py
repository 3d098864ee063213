"""Segment's messageId dedupe: a second message with an id seen in the last 24 hours is dropped.

The window maps each id to the seq of the first message that carried it, and nothing more: a
plain int, which costs the collector nothing and outlives the message's place in the log without
keeping the message alive. When and under which write key that seq arrived is kept once per
request, not once per message, by `Arrivals`. Whether a repeat's content differs is judged
against the first message while the log still holds it, and is unknown (None) once retention
has evicted it; the id is still deduped either way.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

__all__ = ["CLOCK_FIELDS", "Arrivals", "DedupeWindow", "content_differs", "content_of"]

# Fields that say when a message was made or sent, not what it says: an honest retry may change them
# (DESIGN.md, message-id-unique). The harness's checker judges content with this same definition.
CLOCK_FIELDS = frozenset({"sentAt", "receivedAt", "timestamp", "originalTimestamp", "messageId"})


def content_of(message: dict[str, Any]) -> dict[str, Any]:
    """The message less its clock and transport fields."""
    return {k: v for k, v in message.items() if k not in CLOCK_FIELDS}


def content_differs(first: dict[str, Any] | None, message: dict[str, Any]) -> bool | None:
    """Whether `message` says something other than `first`; None when `first` is no longer held."""
    if first is None:
        return None
    return content_of(first) != content_of(message)


class Arrivals:
    """When, and under which write key, each seq was applied: one row per request, in seq order.

    A request's messages share their receive time and write key and take consecutive seqs, so the
    row of its first seq describes them all. Rows are only ever added with a larger first seq.
    """

    __slots__ = ("_firsts", "_keys", "_received")

    def __init__(self) -> None:
        self._firsts: list[int] = []
        self._received: list[float] = []
        self._keys: list[str] = []

    def __len__(self) -> int:
        return len(self._firsts)

    def add(self, first_seq: int, received: float, write_key: str) -> None:
        """Record that the seqs from `first_seq` up to the next row's arrived at `received`."""
        self._firsts.append(first_seq)
        self._received.append(received)
        self._keys.append(write_key)

    def of(self, seq: int) -> tuple[float, str] | None:
        """(received, write key) of `seq`, or None when its row was pruned (it is long expired)."""
        row = bisect_right(self._firsts, seq) - 1
        if row < 0:
            return None
        return self._received[row], self._keys[row]

    def prune(self, before: float) -> None:
        """Drop the leading rows received before `before`; a seq of theirs then reads as expired."""
        received = self._received
        count = 0
        while count < len(received) and received[count] < before:
            count += 1
        if count:
            del self._firsts[:count], self._received[:count], self._keys[:count]


class DedupeWindow:
    """messageId -> seq of the first message with it, for `window_s` seconds of the fake's clock."""

    __slots__ = ("_entries", "_next_sweep", "arrivals", "window_s")

    def __init__(self, window_s: float, arrivals: Arrivals) -> None:
        self.window_s = window_s
        self.arrivals = arrivals
        self._entries: dict[str, int] = {}
        self._next_sweep = float("-inf")

    def __len__(self) -> int:
        return len(self._entries)

    def ids(self, now: float) -> dict[str, int]:
        """The id -> seq map itself, swept first when a sweep is due.

        The ingest loop reads and extends it directly (a method call per message costs more than
        the lookup): an id it finds is a repeat only if `within` says so, and it stores the seq of
        each message it keeps under its id.
        """
        if now >= self._next_sweep:
            self._sweep(now)
        return self._entries

    def within(self, seq: int, now: float) -> bool:
        """Whether the message numbered `seq` arrived less than `window_s` before `now`."""
        arrived = self.arrivals.of(seq)
        return arrived is not None and now - arrived[0] < self.window_s

    def drop_write_key(self, write_key: str) -> None:
        """Forget the ids first seen under `write_key` (a reset of that partition)."""
        of = self.arrivals.of
        self._entries = {k: seq for k, seq in self._entries.items() if (of(seq) or (0.0, ""))[1] != write_key}

    def _sweep(self, now: float) -> None:
        # Expired entries are ignored on lookup; sweeping them out is only about memory, so a
        # full pass once per 1/24 of the window keeps the cost linear and the map bounded.
        window = self.window_s
        of = self.arrivals.of
        kept = {}
        for message_id, seq in self._entries.items():
            arrived = of(seq)
            if arrived is not None and now - arrived[0] < window:
                kept[message_id] = seq
        self._entries = kept
        self.arrivals.prune(now - window)
        self._next_sweep = now + window / 24
