"""The messageId window: first message wins for 24 hours; ids are kept as seqs, arrivals per request."""

from __future__ import annotations

from fake_segment.dedupe import Arrivals, DedupeWindow, content_differs, content_of

MESSAGE = {"type": "identify", "messageId": "m1", "userId": "u", "timestamp": "2024-01-01T00:00:00Z"}


def first(window: DedupeWindow, message_id: str, now: float) -> int | None:
    """What the ingest loop asks: the seq of the message this id repeats, if it is inside the window."""
    seq = window.ids(now).get(message_id)
    return seq if seq is not None and window.within(seq, now) else None


def remember(window: DedupeWindow, message_id: str, seq: int) -> None:
    """What the ingest loop does for a message it keeps (asking at the dawn of time, so nothing is swept)."""
    window.ids(float("-inf"))[message_id] = seq


def window_with(*rows: tuple[int, float, str], window_s: float = 100.0) -> DedupeWindow:
    arrivals = Arrivals()
    for first_seq, received, write_key in rows:
        arrivals.add(first_seq, received, write_key)
    return DedupeWindow(window_s, arrivals)


def test_a_seen_id_is_found_inside_the_window_and_forgotten_after() -> None:
    window = window_with((1, 10.0, "wk"))
    remember(window, "m1", 1)
    assert first(window, "m1", 109.9) == 1
    assert first(window, "m1", 110.0) is None
    assert first(window, "m2", 50.0) is None


def test_each_seq_takes_the_time_of_the_request_it_arrived_in() -> None:
    window = window_with((1, 10.0, "wk"), (4, 50.0, "wk"))
    remember(window, "m3", 3)
    remember(window, "m4", 4)
    assert first(window, "m3", 109.0) == 3 and first(window, "m4", 109.0) == 4
    assert first(window, "m3", 110.0) is None  # arrived at 10.0 with the first request
    assert first(window, "m4", 149.9) == 4


def test_a_request_that_applied_nothing_leaves_a_row_the_next_one_overrides() -> None:
    # Both rows start at seq 5: the first request's messages were all duplicates.
    window = window_with((5, 10.0, "a"), (5, 90.0, "b"))
    remember(window, "m5", 5)
    assert first(window, "m5", 150.0) == 5
    window.drop_write_key("b")
    assert first(window, "m5", 150.0) is None


def test_expired_entries_and_rows_are_swept_out_of_memory() -> None:
    window = window_with(*((i, float(i), "wk") for i in range(50)))
    for i in range(50):
        remember(window, f"m{i}", i)
    first(window, "x", 10_000.0)
    assert len(window) == 0
    assert len(window.arrivals) == 0


def test_a_sweep_keeps_live_entries_and_the_rows_they_need() -> None:
    window = window_with((1, 0.0, "wk"), (2, 60.0, "wk"))
    remember(window, "old", 1)
    remember(window, "new", 2)
    first(window, "x", 120.0)
    assert len(window) == 1 and len(window.arrivals) == 1
    assert first(window, "new", 120.0) == 2


def test_a_pruned_row_reads_as_expired() -> None:
    arrivals = Arrivals()
    arrivals.add(1, 0.0, "wk")
    arrivals.add(10, 500.0, "wk")
    arrivals.prune(before=100.0)
    assert arrivals.of(3) is None
    assert arrivals.of(12) == (500.0, "wk")


def test_clock_fields_do_not_count_as_content() -> None:
    retry = {**MESSAGE, "timestamp": "2030-01-01T00:00:00Z", "sentAt": "x", "receivedAt": "y"}
    assert content_of(retry) == content_of(MESSAGE)
    assert content_differs(MESSAGE, retry) is False
    assert content_differs(MESSAGE, {**MESSAGE, "userId": "other"}) is True


def test_a_first_message_no_longer_held_makes_the_comparison_unknown() -> None:
    assert content_differs(None, MESSAGE) is None


def test_dropping_a_write_key_forgets_only_its_ids() -> None:
    window = window_with((1, 0.0, "a"), (2, 0.0, "b"))
    remember(window, "m1", 1)
    remember(window, "m2", 2)
    window.drop_write_key("a")
    assert first(window, "m1", 0.0) is None
    assert first(window, "m2", 0.0) == 2


def test_the_id_map_is_swept_when_due_and_within_judges_a_seq_by_its_arrival() -> None:
    window = window_with((1, 0.0, "wk"), (2, 60.0, "wk"))
    remember(window, "old", 1)
    remember(window, "new", 2)
    assert window.ids(50.0) == {"old": 1, "new": 2}
    assert window.within(1, 99.9) and not window.within(1, 100.0)
    assert window.ids(120.0) == {"new": 2}  # the next sweep was due
