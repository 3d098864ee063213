"""The message log: chunks per request, StoredMessages made on reading, retention from the front."""

from __future__ import annotations

import gc
import weakref

from fake_segment.log import MessageLog
from fake_segment.models import StoredMessage


class Message(dict):  # type: ignore[type-arg]
    """A dict that can be watched with a weak reference."""


def messages(*ids: str) -> list[dict]:
    return [Message(messageId=i) for i in ids]


def held(log: MessageLog, write_key: str | None = None, after_seq: int | None = None) -> list[tuple[int, str, str]]:
    return [
        (first + offset, key, message["messageId"])
        for first, key, _, items, _ in log.slices(write_key, after_seq)
        for offset, message in enumerate(items)
    ]


def test_requests_are_kept_in_order_and_read_back_with_their_seqs() -> None:
    log = MessageLog()
    log.add(1, "a", 10.0, messages("m1", "m2"))
    log.add(3, "b", 11.0, messages("m3"), {3: ("finding",)})
    assert len(log) == 3
    assert held(log) == [(1, "a", "m1"), (2, "a", "m2"), (3, "b", "m3")]
    assert held(log, "b") == [(3, "b", "m3")]
    assert log.find(3) == StoredMessage(3, "b", Message(messageId="m3"), 11.0, ("finding",))
    assert log.find(2) == StoredMessage(2, "a", Message(messageId="m2"), 10.0, ())
    assert log.find(4) is None and log.find(0) is None


def test_a_request_that_applied_nothing_adds_nothing() -> None:
    log = MessageLog()
    log.add(1, "a", 0.0, [])
    assert len(log) == 0 and log.slices() == [] and log.slices("a") == []


def test_eviction_cuts_from_the_front_across_requests_and_write_keys() -> None:
    log = MessageLog()
    log.add(1, "a", 0.0, messages("m1", "m2"))
    log.add(3, "b", 0.0, messages("m3", "m4", "m5"))
    log.add(6, "a", 0.0, messages("m6"))
    log.evict(3)
    assert len(log) == 3
    assert held(log) == [(4, "b", "m4"), (5, "b", "m5"), (6, "a", "m6")]
    assert held(log, "a") == [(6, "a", "m6")]
    assert log.find(3) is None and log.find(4) is not None
    log.evict(10)
    assert len(log) == 0 and held(log) == [] and held(log, "b") == []


def test_an_evicted_message_is_let_go_even_while_its_request_is_partly_held() -> None:
    log = MessageLog()
    batch = messages("m1", "m2")
    first = weakref.ref(batch[0])
    log.add(1, "a", 0.0, batch)
    del batch
    log.evict(1)
    gc.collect()
    assert first() is None
    assert held(log) == [(2, "a", "m2")]


def test_slices_after_a_seq_skip_older_requests_whole() -> None:
    log = MessageLog()
    log.add(1, "a", 0.0, messages("m1", "m2"))
    log.add(3, "a", 0.0, messages("m3", "m4"))
    assert [first for first, *_ in log.slices(after_seq=2)] == [3]
    assert [first for first, *_ in log.slices(after_seq=3)] == [3]  # the reader filters inside a slice
    assert log.slices(after_seq=4) == []


def test_dropping_a_write_key_keeps_the_others_in_order() -> None:
    log = MessageLog()
    log.add(1, "a", 0.0, messages("m1"))
    log.add(2, "b", 0.0, messages("m2", "m3"))
    log.add(4, "a", 0.0, messages("m4"))
    log.evict(1)
    log.drop_write_key("b")
    assert len(log) == 1
    assert held(log) == [(4, "a", "m4")]
    assert log.find(2) is None and log.find(4) is not None
    log.drop_write_key("nobody")
    assert len(log) == 1


def test_clear_forgets_everything() -> None:
    log = MessageLog()
    log.add(1, "a", 0.0, messages("m1"))
    log.clear()
    assert len(log) == 0 and log.slices() == [] and log.find(1) is None
