"""The clocks the fakes read time from: the wall clock, a manual one, and the wall clock moved by an offset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from harness.fakekit.clock import ManualClock, OffsetClock, SystemClock, format_iso, parse_iso

T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def test_the_system_clock_is_aware_utc() -> None:
    now = SystemClock().now()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)


def test_a_manual_clock_moves_only_when_told() -> None:
    clock = ManualClock(T0)
    assert clock.now() == clock.now() == T0
    assert clock.advance(1.5) == T0 + timedelta(seconds=1.5)
    clock.set(datetime(2025, 1, 1))  # naive: taken as UTC
    assert clock.now() == datetime(2025, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("clock", [ManualClock(T0), OffsetClock(ManualClock(T0))], ids=["manual", "offset"])
def test_clocks_only_move_forward(clock: ManualClock | OffsetClock) -> None:
    with pytest.raises(ValueError, match="only moves forward"):
        clock.advance(-1)


def test_an_offset_clock_follows_its_base_until_moved() -> None:
    base = ManualClock(T0)
    clock = OffsetClock(base)
    assert clock.now() == T0
    base.advance(10)
    assert clock.now() == T0 + timedelta(seconds=10)


def test_an_offset_clock_keeps_flowing_after_it_is_advanced_or_set() -> None:
    base = ManualClock(T0)
    clock = OffsetClock(base)
    assert clock.advance(3600) == T0 + timedelta(hours=1)
    base.advance(5)  # time passes on the wall
    assert clock.now() == T0 + timedelta(hours=1, seconds=5)
    clock.set(datetime(2030, 1, 1, tzinfo=UTC))
    base.advance(2)
    assert clock.now() == datetime(2030, 1, 1, 0, 0, 2, tzinfo=UTC)


def test_iso_times_round_trip_in_utc_with_milliseconds() -> None:
    assert format_iso(T0 + timedelta(microseconds=1500)) == "2024-05-01T12:00:00.001Z"
    assert parse_iso("2024-05-01T14:00:00+02:00") == T0
    assert parse_iso("2024-05-01T12:00:00") == T0
    assert parse_iso("not a time") is None
