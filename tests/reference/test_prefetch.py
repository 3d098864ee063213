"""prefetched: the same items in the same order, the next one fetched while the caller works."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from harness.reference.prefetch import prefetched


def test_every_item_comes_once_in_order() -> None:
    assert list(prefetched(iter(range(50)))) == list(range(50))
    assert list(prefetched(iter([]))) == []


def test_the_next_item_is_fetched_while_the_caller_holds_this_one() -> None:
    fetching_second = threading.Event()

    def pages() -> Iterator[int]:
        yield 1
        fetching_second.set()
        yield 2

    items = prefetched(pages())
    assert next(items) == 1
    # The caller has not asked for item 2, yet the producer is already making it.
    assert fetching_second.wait(5)
    assert next(items) == 2


def test_an_error_is_raised_where_its_item_would_have_come() -> None:
    def pages() -> Iterator[int]:
        yield 1
        yield 2
        raise LookupError("page 3 failed")

    seen = []
    with pytest.raises(LookupError, match="page 3 failed"):
        for item in prefetched(pages()):
            seen.append(item)
    assert seen == [1, 2]


def test_leaving_early_stops_the_thread_and_closes_the_iterator() -> None:
    closed = threading.Event()

    def pages() -> Iterator[int]:
        try:
            n = 0
            while True:
                n += 1
                yield n
        finally:
            closed.set()

    before = threading.active_count()
    for item in prefetched(pages(), name="test-prefetch"):
        if item == 3:
            break
    assert closed.is_set()
    assert threading.active_count() == before
    assert not any(t.name == "test-prefetch" for t in threading.enumerate())


def test_an_error_in_the_callers_loop_also_stops_the_thread() -> None:
    closed = threading.Event()

    def pages() -> Iterator[int]:
        try:
            yield from range(1000)
        finally:
            closed.set()

    with pytest.raises(ZeroDivisionError):
        for item in prefetched(pages(), name="test-prefetch-error"):
            if item == 5:
                raise ZeroDivisionError
    assert closed.is_set()
    assert not any(t.name == "test-prefetch-error" for t in threading.enumerate())
