"""The serving collector policy: automatic collection off, collections when quiet or overdue."""

from __future__ import annotations

import gc
import time
import weakref
from collections.abc import Iterator

import pytest

from harness.fakekit.collector import IdleCollector, last_activity, note_activity, serving_collector


class Cycle:
    """An object in a reference cycle, so only the cyclic collector can free it."""

    def __init__(self) -> None:
        self.me = self


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def collector_state() -> Iterator[None]:
    """Each test starts with automatic collection on, and leaves it so."""
    was = gc.isenabled()
    gc.enable()
    gc.collect()
    yield
    gc.enable() if was else gc.disable()


def garbage_cycle() -> weakref.ref[Cycle]:
    return weakref.ref(Cycle())


def allocate(count: int) -> list[list[int]]:
    return [[i] for i in range(count)]  # containers the collector counts


def test_it_collects_once_the_process_has_been_quiet_for_idle_s() -> None:
    clock = Clock()
    gc.disable()
    collector = IdleCollector(idle_s=2.0, min_pending=0, clock=clock, activity=lambda: -1.0)
    cycle = garbage_cycle()
    clock.now = 1.9
    assert not collector.tick() and cycle() is not None
    clock.now = 2.0
    assert collector.tick() and cycle() is None
    assert collector.collections == 1


def test_bytes_reaching_a_server_keep_the_process_busy_whatever_the_allocation_count() -> None:
    clock = Clock()
    gc.disable()
    received = [0.0]
    collector = IdleCollector(idle_s=2.0, min_pending=0, clock=clock, activity=lambda: received[0])
    for second in range(1, 4):
        clock.now = received[0] = float(second)  # a request a second, allocating nothing that lasts
        assert not collector.tick()
    clock.now = 5.0
    assert collector.tick()  # two seconds after the last bytes


def test_note_activity_records_when_the_last_bytes_arrived() -> None:
    before = time.monotonic()
    note_activity()
    assert before <= last_activity() <= time.monotonic()


def test_a_busy_process_is_not_collected_until_every_s_has_passed() -> None:
    clock = Clock()
    gc.disable()
    collector = IdleCollector(
        idle_s=2.0, every_s=10.0, quiet_allocations=100, min_pending=0, clock=clock, activity=lambda: -1.0
    )
    kept = []
    for second in range(1, 10):
        clock.now = float(second)
        kept.append(allocate(1_000))  # busy: the count moves by more than quiet_allocations a tick
        assert not collector.tick()
    clock.now = 10.0
    kept.append(allocate(1_000))
    assert collector.tick()


def test_little_new_since_the_last_collection_is_not_worth_one() -> None:
    clock = Clock()
    gc.collect()
    gc.disable()
    collector = IdleCollector(idle_s=1.0, min_pending=10_000, clock=clock, activity=lambda: -1.0)
    clock.now = 100.0
    assert not collector.tick()
    kept = allocate(20_000)
    clock.now = 200.0
    assert not collector.tick()  # the count just moved: busy
    clock.now = 201.0
    assert collector.tick()  # quiet for idle_s since, with plenty new
    assert len(kept) == 20_000


def test_start_turns_automatic_collection_off_and_stop_gives_it_back() -> None:
    collector = IdleCollector()
    collector.start()
    assert not gc.isenabled()
    collector.start()  # a second start changes nothing
    collector.stop()
    assert gc.isenabled()
    collector.stop()  # nor does a second stop


def test_a_process_that_had_it_off_keeps_it_off() -> None:
    gc.disable()
    with serving_collector():
        pass
    assert not gc.isenabled()


def test_the_background_thread_frees_a_garbage_cycle_once_the_process_is_quiet() -> None:
    collector = IdleCollector(idle_s=0.1, poll_s=0.02, min_pending=0)
    with serving_collector(collector):
        cycle = garbage_cycle()
        deadline = time.monotonic() + 10
        while cycle() is not None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert cycle() is None
    assert collector.collections >= 1  # read once the thread has stopped: it counts after collecting
