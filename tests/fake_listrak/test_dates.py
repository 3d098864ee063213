"""Listrak's date format, and why the fake may compare dates as strings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fake_listrak.dates import format_listrak, parse_listrak


@pytest.mark.parametrize(
    ("when", "text"),
    [
        (datetime(2018, 12, 14, 14, 31, 55, tzinfo=UTC), "2018-12-14T14:31:55"),
        (datetime(2015, 8, 31, 16, 2, 41, 650000, tzinfo=UTC), "2015-08-31T16:02:41.65"),
        (datetime(2015, 8, 31, 16, 2, 41, 1, tzinfo=UTC), "2015-08-31T16:02:41.000001"),
        (datetime(2024, 1, 1, 2, 0, tzinfo=timezone(timedelta(hours=2))), "2024-01-01T00:00:00"),
    ],
)
def test_dates_are_written_as_listrak_writes_them(when: datetime, text: str) -> None:
    assert format_listrak(when) == text


@pytest.mark.parametrize(
    ("text", "when"),
    [
        ("2024-01-31", datetime(2024, 1, 31, tzinfo=UTC)),
        ("2024-01-31T10:00:00", datetime(2024, 1, 31, 10, tzinfo=UTC)),
        ("2024-01-31T10:00:00Z", datetime(2024, 1, 31, 10, tzinfo=UTC)),
        ("2024-01-31T12:00:00+02:00", datetime(2024, 1, 31, 10, tzinfo=UTC)),
        ("1/31/2024", datetime(2024, 1, 31, tzinfo=UTC)),
        ("1/31/2024 1:05 PM", datetime(2024, 1, 31, 13, 5, tzinfo=UTC)),
        ("1/31/2024 12:00:30 am", datetime(2024, 1, 31, 0, 0, 30, tzinfo=UTC)),
    ],
)
def test_query_dates_parse_in_the_forms_clients_send(text: str, when: datetime) -> None:
    assert parse_listrak(text) == when


@pytest.mark.parametrize(
    "text", ["", "yesterday", "2024-13-01", "13/31/2024", "1/31/2024 13:00 PM", "x" * 100, "0001-01-01T00:00:00+05:00"]
)
def test_non_dates_parse_to_none(text: str) -> None:
    assert parse_listrak(text) is None


_instants = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC))


@given(_instants, _instants)
def test_formatted_dates_sort_like_the_instants_they_name(a: datetime, b: datetime) -> None:
    assert (format_listrak(a) < format_listrak(b)) == (a < b)


@given(_instants)
def test_a_formatted_date_parses_back(when: datetime) -> None:
    assert parse_listrak(format_listrak(when)) == when
