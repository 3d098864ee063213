"""Replaying a history against an implementation: what each sync sent, dropped and left on the profiles."""

from __future__ import annotations

import dataclasses
import json
import re
import shlex
import sys
import time
from typing import Any

import httpx
import pytest

from harness.checker import check, failing
from harness.exchanges import Exchange
from harness.history import (
    AddField,
    Crash,
    CreateList,
    History,
    HistoryError,
    InjectFault,
    Integrate,
    Resubscribe,
    SetField,
    Step,
    Subscribe,
    Sync,
    Unsubscribe,
)
from harness.impls import Implementation, ReferenceImpl, SyncContext, SyncOutcome, parse_impl
from harness.replay import Replayer, ReplayError, Run, SyncRecord, VirtualTime, replay

STORY = (
    CreateList(7, "Newsletter"),
    AddField(7, 5, "CustomerId"),
    Subscribe(7, "Ann@Example.com", {5: "u1"}),
    Subscribe(7, "bob@example.com"),
    Subscribe(7, "cy@example.com"),
    Integrate(7, 5),
    Sync(),
    Unsubscribe(7, "Ann@Example.com"),
    SetField(7, "bob@example.com", 5, "u2"),
    Sync(),
    Resubscribe(7, "Ann@Example.com"),
    Sync(),
)


def _types(record: SyncRecord) -> list[str]:
    return [m.message["type"] for m in record.messages]


def test_each_sync_record_holds_the_messages_it_sent() -> None:
    run = replay(History(STORY, revision="2023-07-13"), ReferenceImpl())
    assert [r.step for r in run.records] == [6, 9, 11]
    assert all(r.outcome.ok for r in run.records)
    assert [len(r.messages) for r in run.records] == [3, 2, 1]
    assert [m.message["anonymousId"] for m in run.records[1].messages] == ["Ann@Example.com", "bob@example.com"]
    seqs = [m.seq for m in run.messages()]
    assert seqs == sorted(seqs) and len(set(seqs)) == 6


def test_revision_2023_08_03_adds_an_unsubscribed_track_to_the_sync_that_saw_it() -> None:
    run = replay(History(STORY, revision="2023-08-03"), ReferenceImpl())
    assert [_types(r) for r in run.records] == [
        ["identify"] * 3,
        ["identify", "track", "identify"],
        ["identify"],
    ]


def test_views_are_snapshots_after_each_sync() -> None:
    run = replay(History(STORY), ReferenceImpl())
    first, second, third = (r.views for r in run.records)
    assert first["Ann@Example.com"] == {"email": "Ann@Example.com", "Listrak_list_7": True}
    assert "Listrak_list_7" not in second["Ann@Example.com"]
    assert third["Ann@Example.com"]["Listrak_list_7"] is True


def test_the_lowered_page_cap_makes_the_implementation_page() -> None:
    run = replay(History(STORY), ReferenceImpl(), page_cap=2)
    contact_reads = [r for r in run.records[0].listrak_requests if "/Contact?" in r]
    # Three subscribed contacts at two a page: two pages of subscribed, one (empty) of unsubscribed.
    assert len(contact_reads) == 3
    assert sum("cursor=" in r for r in contact_reads) == 1


def test_without_a_page_cap_one_page_holds_every_contact() -> None:
    run = replay(History(STORY), ReferenceImpl(), page_cap=1000)
    assert not any("cursor=" in r for r in run.records[0].listrak_requests)


def test_a_sync_with_nothing_integrated_sends_nothing() -> None:
    run = replay(History((CreateList(7), Subscribe(7, "a@x.io"), Sync())), ReferenceImpl())
    assert run.records[0].outcome.ok and run.records[0].messages == ()


def test_a_crash_step_is_refused_with_a_clear_error() -> None:
    history = History((CreateList(7), Integrate(7), Crash(2), Sync()))
    with pytest.raises(ReplayError, match=r"step 3 \(crash .*\): a crash step kills .*, so it needs a cmd: impl"):
        replay(history, ReferenceImpl())


def test_an_illegal_history_is_refused_before_anything_runs() -> None:
    with pytest.raises(HistoryError, match="list 9 does not exist"):
        replay(History((CreateList(7), Integrate(9), Sync())), ReferenceImpl())


# -- exchanges ---------------------------------------------------------------------------------------
def test_each_sync_record_holds_the_exchanges_it_made_and_they_carry_its_messages() -> None:
    run = replay(History(STORY), ReferenceImpl())
    seqs = [e.seq for r in run.records for e in r.exchanges]
    assert seqs == list(range(1, len(seqs) + 1))
    for record in run.records:
        assert record.exchanges[0].route == "POST /OAuth2/Token"
        assert record.listrak_requests == tuple(e.route for e in record.exchanges if e.target == "listrak")
        batches = [e for e in record.exchanges if e.route == "POST /v1/batch"]
        assert all(e.status == 200 for e in batches)
        sent = [m["messageId"] for e in batches for m in e.json()["batch"]]
        assert sent == [m.message["messageId"] for m in record.messages]
        assert record.crash_after is None


def _record(number: int, seconds: float, durations: list[float]) -> SyncRecord:
    exchanges = tuple(
        Exchange(n, "listrak", "GET", "/email/v1/List/7", 10.0 * n, 10.0 * n + d, 200, None, None, b"")
        for n, d in enumerate(durations, 1)
    )
    return SyncRecord(number, number, SyncOutcome(True, None, seconds), (), (), (), exchanges=exchanges)


def test_implementation_seconds_are_the_syncs_time_less_the_time_the_fakes_took() -> None:
    run = Run(History((Sync(), Sync())), "x", (_record(1, 1.0, [0.25, 0.25]), _record(2, 0.5, [0.5])))
    assert run.implementation_seconds == pytest.approx(0.5)
    # The fakes' share can exceed a sync's measured time (clocks differ): never below zero.
    assert Run(History((Sync(),)), "x", (_record(1, 0.1, [0.5]),)).implementation_seconds == 0.0


# -- one Replayer, many histories -----------------------------------------------------------------------
RETRY_AFTER_1 = {"action": "status", "status": 429, "headers": {"Retry-After": "1"}, "times": 1}
# The lifecycle with a 429 on the first batch: run without waiting and with an id per (address, list) pair,
# it has findings that name requests by number (retry-after) and messages by seq and messageId.
AGAIN = (*STORY[:6], InjectFault("segment", RETRY_AFTER_1), *STORY[6:])
# Fields stamped from the wall clock: by the implementation, and by Segment's skew correction of `timestamp`
# (receivedAt - (sentAt - originalTimestamp), off by the milliseconds between the two stamps).
WALL_CLOCK = ("sentAt", "originalTimestamp", "timestamp")


class _NoWait:
    """An implementation run with a `sleep` that returns at once: it retries a 429 without waiting."""

    def __init__(self, inner: Implementation) -> None:
        self.inner = inner
        self.name = f"no-wait {inner.name}"

    def run(self, context: SyncContext) -> SyncOutcome:
        return self.inner.run(dataclasses.replace(context, sleep=lambda _s: None))


def _fingerprint(run: Run) -> dict[str, Any]:
    """What a replay must repeat exactly: messages (but wall-clock stamps), exchanges, findings (but measured gaps)."""
    return {
        "messages": [(m.seq, {k: v for k, v in m.message.items() if k not in WALL_CLOCK}) for m in run.messages()],
        "exchanges": [[(e.seq, e.route, e.status) for e in r.exchanges] for r in run.records],
        "findings": [re.sub(r"\d+\.\d{3}s", "N.NNNs", json.dumps(f.to_json())) for f in check(run)],
    }


def test_a_replayer_replays_a_history_again_exactly_as_a_fresh_replay_does() -> None:
    history, impl = History(AGAIN), _NoWait(parse_impl("python:broken_syncs:id_per_pair"))
    fresh = _fingerprint(replay(history, impl))
    assert {"retry-after", "message-id-unique"} <= {json.loads(f)["rule"] for f in fresh["findings"]}
    assert all(message["messageId"].startswith("pair-") for _, message in fresh["messages"])
    with Replayer() as replayer:
        first = _fingerprint(replayer.replay(history, impl))
        replayer.replay(History(STORY), ReferenceImpl())
        again = _fingerprint(replayer.replay(history, impl))
    assert first == fresh
    assert again == fresh


def test_a_replayer_leaves_nothing_of_one_history_to_the_next() -> None:
    # The first history ends with faults armed on both fakes that no sync used up.
    leftover = {"action": "status", "status": 500, "times": 3}
    first = History(
        (
            CreateList(7),
            Subscribe(7, "a@x.io"),
            Integrate(7),
            Sync(),
            InjectFault("segment", leftover),
            InjectFault("listrak", leftover),
        )
    )
    second = History((CreateList(7), Subscribe(7, "b@x.io"), Integrate(7), Sync()))
    with Replayer() as replayer:
        assert "a@x.io" in replayer.replay(first, ReferenceImpl()).records[0].views
        (record,) = replayer.replay(second, ReferenceImpl()).records
    assert dict(record.views) == {"b@x.io": {"email": "b@x.io", "Listrak_list_7": True}}
    assert [m.message["anonymousId"] for m in record.messages] == ["b@x.io"]
    assert record.faults == () and record.discards == ()
    assert {e.status for e in record.exchanges} == {200}
    assert record.exchanges[0].seq == 1


# -- virtual time -----------------------------------------------------------------------------------
def test_virtual_time_moves_by_the_sleeps_taken() -> None:
    clock = VirtualTime()
    before = clock.monotonic()
    clock.sleep(5.0)
    clock.sleep(0.0)
    clock.sleep(-3.0)  # nothing to wait for
    assert 5.0 <= clock.monotonic() - before < 6.0


def test_an_in_process_retry_after_is_waited_on_the_virtual_clock() -> None:
    fault = {"action": "status", "status": 429, "headers": {"Retry-After": "2"}, "times": 1}
    steps = (CreateList(7), Subscribe(7, "a@x.io"), Integrate(7), InjectFault("segment", fault), Sync())
    started = time.monotonic()
    run = replay(History(steps), ReferenceImpl())
    wall = time.monotonic() - started
    exchanges = run.records[0].exchanges
    (throttled,) = [n for n, e in enumerate(exchanges) if e.status == 429]
    retried = next(e for e in exchanges[throttled + 1 :] if e.target == "segment")
    # The log, on the replay's clock, sees the reference wait out Retry-After, and the checker agrees ...
    assert retried.status == 200
    assert retried.started - exchanges[throttled].ended >= 2.0
    assert failing(check(run)) == []
    # ... though the wait cost no wall time: virtual time is what makes the two seconds free.
    assert wall < 2.0


# -- served: cmd: implementations and crash steps ---------------------------------------------------------
REFERENCE_CMD = "cmd:" + shlex.join([sys.executable, "-m", "harness", "sync", "--quiet"])


def test_the_reference_command_served_leaves_the_views_the_in_process_reference_leaves() -> None:
    history = History(STORY[:10])
    in_process = replay(history, ReferenceImpl())
    with Replayer(served=True) as replayer:
        assert replayer.listrak_url.startswith("http://127.0.0.1:")
        assert replayer.segment_url.startswith("http://127.0.0.1:")
        served = replayer.replay(history, parse_impl(REFERENCE_CMD))
    assert [r.outcome.ok for r in served.records] == [True, True], [r.outcome.stderr for r in served.records]
    assert [dict(r.views) for r in served.records] == [dict(r.views) for r in in_process.records]
    assert [r.listrak_requests for r in served.records] == [r.listrak_requests for r in in_process.records]
    assert failing(check(served)) == []


def test_a_crash_step_kills_the_served_command_after_n_requests_and_the_next_sync_repairs() -> None:
    steps: tuple[Step, ...] = (
        CreateList(7),
        Subscribe(7, "a@x.io"),
        Subscribe(7, "b@x.io"),
        Subscribe(7, "c@x.io"),
        Integrate(7),
    )
    # Five requests: the token, the list, two pages of subscribers and one of unsubscribers; the batch never goes.
    steps += (Crash(5), Sync(), Sync())
    with Replayer(served=True) as replayer:
        run = replayer.replay(History(steps), parse_impl(REFERENCE_CMD))
        url = replayer.segment_url
    crashed, repaired = run.records
    assert crashed.crash_after == 5
    assert crashed.outcome.crashed and not crashed.outcome.ok
    assert len(crashed.exchanges) == 5 and crashed.messages == ()
    assert repaired.crash_after is None and repaired.outcome.ok, repaired.outcome.stderr
    assert sorted(m.message["anonymousId"] for m in repaired.messages) == ["a@x.io", "b@x.io", "c@x.io"]
    assert failing(check(run)) == []
    with pytest.raises(httpx.ConnectError):  # the servers stopped with the replayer
        httpx.get(f"{url}/_fake/health", timeout=2.0)


def test_an_in_process_replayer_refuses_a_command_that_needs_served_fakes() -> None:
    with Replayer() as replayer, pytest.raises(ReplayError, match=r"needs served fakes: Replayer\(served=True\)"):
        replayer.replay(History(STORY[:10]), parse_impl(REFERENCE_CMD))
