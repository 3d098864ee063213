"""Listrak's date format: ISO-8601 without an offset, with only the fractional digits that are needed.

Listrak writes `2018-12-14T14:31:55` and `2015-08-31T16:02:41.65` (observed). The fake writes
UTC in that form. Because the form is canonical (fixed-width date and time, fraction without
trailing zeros), two such strings compare like the instants they name, so contacts keep their
dates as strings and date filters compare strings.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

__all__ = ["format_listrak", "parse_listrak"]

_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?$")


def format_listrak(when: datetime) -> str:
    """`when` in UTC as Listrak writes dates: no offset, fraction trimmed of trailing zeros."""
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    text = f"{when.year:04d}-{when.month:02d}-{when.day:02d}T{when.hour:02d}:{when.minute:02d}:{when.second:02d}"
    if when.microsecond:
        text += "." + f"{when.microsecond:06d}".rstrip("0")
    return text


def parse_listrak(text: str) -> datetime | None:
    """Parse a date as a query parameter or seed may give it (ISO-8601 or `M/D/YYYY [h:mm[:ss] [AM|PM]]`).

    Returns a naive-free UTC datetime, or None when `text` is not a date. Times without an
    offset are taken as UTC, like every date the fake writes.
    """
    text = text.strip()
    if not text or len(text) > 64:
        return None
    match = _US_DATE.match(text)
    try:
        if match:
            month, day, year, hour, minute, second, half = match.groups()
            h = int(hour or 0)
            if half:
                if not 1 <= h <= 12:
                    return None
                h = h % 12 + (12 if half.lower() == "pm" else 0)
            return datetime(int(year), int(month), int(day), h, int(minute or 0), int(second or 0), tzinfo=UTC)
        if text.endswith(("z", "Z")):
            text = text[:-1] + "+00:00"
        parsed = datetime.fromisoformat(text)
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
