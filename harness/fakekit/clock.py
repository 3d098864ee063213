"""Clocks the fakes read time from, so tests and the harness can drive time."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["Clock", "ManualClock", "OffsetClock", "SystemClock", "format_iso", "parse_iso"]


class Clock(Protocol):
    """Anything with a `now()` returning an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to; safe to share between threads."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = _aware(start) if start is not None else datetime(2024, 1, 1, tzinfo=UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, when: datetime) -> None:
        """Jump to `when` (naive datetimes are taken as UTC)."""
        with self._lock:
            self._now = _aware(when)

    def advance(self, seconds: float) -> datetime:
        """Move forward by `seconds` and return the new time."""
        if seconds < 0:
            raise ValueError(f"a clock only moves forward; got advance({seconds})")
        with self._lock:
            self._now += timedelta(seconds=seconds)
            return self._now


class OffsetClock:
    """The wall clock, shifted by `set` and `advance`: time keeps flowing from where it was moved to.

    For a fake served to people (`listrak-harness serve`): its admin API can move time (to expire a
    token, say) while requests still see time pass between them, as they would on the real service.
    """

    def __init__(self, base: Clock | None = None) -> None:
        self._base: Clock = base or SystemClock()
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._base.now() + self._offset

    def set(self, when: datetime) -> None:
        """Make `now()` read `when` at this instant (naive datetimes are taken as UTC)."""
        with self._lock:
            self._offset = _aware(when) - self._base.now()

    def advance(self, seconds: float) -> datetime:
        """Move forward by `seconds` and return the new time."""
        if seconds < 0:
            raise ValueError(f"a clock only moves forward; got advance({seconds})")
        with self._lock:
            self._offset += timedelta(seconds=seconds)
            return self._base.now() + self._offset


def _aware(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def format_iso(when: datetime) -> str:
    """ISO-8601 in UTC with milliseconds and a `Z`, the form Segment stores."""
    if when.tzinfo is not UTC:
        when = when.astimezone(UTC)
    return when.isoformat(timespec="milliseconds")[:-6] + "Z"


def parse_iso(text: str) -> datetime | None:
    """Parse an ISO-8601 timestamp; None when it is not one. Naive times are taken as UTC."""
    try:
        parsed = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return _aware(parsed)
