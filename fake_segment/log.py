"""The fake Segment's message log: the applied messages it still holds, oldest first, and retention.

Messages are kept as the requests that brought them. A request's applied messages share their
write key and receive time and take consecutive seqs, so one chunk per request holds them in a
list beside what they share, and a `StoredMessage` is only made for whoever reads the log. Keeping
a message thus costs a list slot, not an object of its own: less memory, and less for Python's
collector to walk, on the path every ingested message takes.

Not thread-safe on its own: the backend holds its lock around every call.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from fake_segment.models import StoredMessage

__all__ = ["MessageLog", "Slice"]

# (seq of the first message, write key, receive time, the messages, violations by seq or None)
Slice = tuple[int, str, float, list[dict[str, Any]], dict[int, tuple[Any, ...]] | None]


class _Chunk:
    """The messages one request added to the log; evicted ones are cut from the front."""

    __slots__ = ("first", "messages", "received", "start", "violations", "write_key")

    def __init__(
        self,
        first: int,
        write_key: str,
        received: float,
        messages: list[dict[str, Any]],
        violations: dict[int, tuple[Any, ...]] | None,
    ) -> None:
        self.first = first  # the seq of messages[0]
        self.write_key = write_key
        self.received = received
        self.messages: list[dict[str, Any] | None] = messages  # type: ignore[assignment]
        self.violations = violations
        self.start = 0  # messages before this index were evicted (their slots hold None)

    def slice(self) -> Slice:
        held: list[dict[str, Any]] = self.messages[self.start :]  # type: ignore[assignment]
        return self.first + self.start, self.write_key, self.received, held, self.violations


class MessageLog:
    """Applied messages in arrival order, overall and per write key, with retention from the front."""

    __slots__ = ("_by_key", "_chunks", "_count")

    def __init__(self) -> None:
        self._chunks: deque[_Chunk] = deque()
        self._by_key: dict[str, deque[_Chunk]] = {}
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def add(
        self,
        first_seq: int,
        write_key: str,
        received: float,
        messages: list[dict[str, Any]],
        violations: dict[int, tuple[Any, ...]] | None = None,
    ) -> None:
        """Keep the messages one request applied, numbered from `first_seq` (greater than any held).

        `violations` maps the seq of each message that broke the Spec to its findings; the log
        owns both containers from now on.
        """
        if not messages:
            return
        chunk = _Chunk(first_seq, write_key, received, messages, violations)
        self._chunks.append(chunk)
        keyed = self._by_key.get(write_key)
        if keyed is None:
            keyed = self._by_key[write_key] = deque()
        keyed.append(chunk)
        self._count += len(messages)

    def evict(self, count: int) -> None:
        """Forget the `count` oldest messages (retention)."""
        chunks = self._chunks
        count = min(count, self._count)
        self._count -= count
        while count > 0:
            chunk = chunks[0]
            held = len(chunk.messages) - chunk.start
            if held <= count:
                chunks.popleft()
                keyed = self._by_key[chunk.write_key]
                keyed.popleft()  # the oldest chunk overall is the oldest of its write key
                if not keyed:
                    del self._by_key[chunk.write_key]
                count -= held
                continue
            messages = chunk.messages
            for index in range(chunk.start, chunk.start + count):
                messages[index] = None  # let the message go now, not when the whole chunk does
            chunk.start += count
            return

    def find(self, seq: int) -> StoredMessage | None:
        """The held message numbered `seq`, or None once it was evicted or dropped."""
        chunks = self._chunks
        low, high = 0, len(chunks)
        while low < high:  # the last chunk starting at or before seq
            middle = (low + high) // 2
            if chunks[middle].first <= seq:
                low = middle + 1
            else:
                high = middle
        if low == 0:
            return None
        chunk = chunks[low - 1]
        index = seq - chunk.first
        if not chunk.start <= index < len(chunk.messages):
            return None
        message = chunk.messages[index]
        assert message is not None  # slots from `start` on are held
        violations = chunk.violations.get(seq, ()) if chunk.violations else ()
        return StoredMessage(seq, chunk.write_key, message, chunk.received, violations)

    def slices(self, write_key: str | None = None, after_seq: int | None = None) -> list[Slice]:
        """What the log holds, overall or for one write key, newer than `after_seq` if given.

        The slices are copies: read them after releasing the lock, while ingest goes on.
        """
        chunks = self._chunks if write_key is None else self._by_key.get(write_key, ())
        out = []
        for chunk in reversed(chunks):  # newest first, so a poll with after_seq stops early
            if after_seq is not None and chunk.first + len(chunk.messages) - 1 <= after_seq:
                break
            out.append(chunk.slice())
        out.reverse()
        return out

    def drop_write_key(self, write_key: str) -> None:
        """Forget every message of one write key (a reset of its partition)."""
        dropped = self._by_key.pop(write_key, None)
        if not dropped:
            return
        self._count -= sum(len(chunk.messages) - chunk.start for chunk in dropped)
        self._chunks = deque(chunk for chunk in self._chunks if chunk.write_key != write_key)

    def clear(self) -> None:
        self._chunks.clear()
        self._by_key.clear()
        self._count = 0
