"""The messageId window: first message wins for 24 hours; evicted messages are still deduped."""

from __future__ import annotations

from fake_segment.dedupe import DedupeWindow, content_of
from fake_segment.models import StoredMessage


def stored(seq: int, message: dict, received: float = 0.0, write_key: str = "wk") -> StoredMessage:
    return StoredMessage(seq, write_key, message, received)


MESSAGE = {"type": "identify", "messageId": "m1", "userId": "u", "timestamp": "2024-01-01T00:00:00Z"}


def test_a_seen_id_is_found_inside_the_window_and_forgotten_after() -> None:
    window = DedupeWindow(100.0)
    first = stored(1, MESSAGE, received=10.0)
    window.remember("m1", first)
    assert window.first("m1", 109.9) is first
    assert window.first("m1", 110.0) is None
    assert window.first("m2", 50.0) is None


def test_expired_entries_are_swept_out_of_memory() -> None:
    window = DedupeWindow(100.0)
    for i in range(50):
        window.remember(f"m{i}", stored(i, MESSAGE, received=float(i)))
    window.first("x", 10_000.0)
    assert len(window) == 0


def test_clock_fields_do_not_count_as_content() -> None:
    retry = {**MESSAGE, "timestamp": "2030-01-01T00:00:00Z", "sentAt": "x", "receivedAt": "y"}
    assert content_of(retry) == content_of(MESSAGE)
    window = DedupeWindow(100.0)
    first = stored(1, MESSAGE)
    assert not window.content_differs(first, retry)
    assert window.content_differs(first, {**MESSAGE, "userId": "other"})


def test_an_evicted_message_is_still_deduped_but_the_comparison_is_unknown() -> None:
    window = DedupeWindow(100.0)
    first = stored(1, dict(MESSAGE))
    window.remember("m1", first)
    window.forget_message(first)
    entry = window.first("m1", 1.0)
    assert entry is not None and entry is not first and entry.seq == 1
    assert not hasattr(entry, "message")  # the evicted message is no longer held
    assert window.content_differs(entry, {**MESSAGE, "traits": {"a": 1}}) is None


def test_dropping_a_write_key_forgets_only_its_ids() -> None:
    window = DedupeWindow(100.0)
    window.remember("m1", stored(1, MESSAGE, write_key="a"))
    window.remember("m2", stored(2, MESSAGE, write_key="b"))
    window.drop_write_key("a")
    assert window.first("m1", 0.0) is None
    assert window.first("m2", 0.0) is not None
