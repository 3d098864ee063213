"""kill -9 of `listrak-harness sync` at random points of a 20,000-contact sync, then changes in
Listrak (unsubscribes of contacts whose batch was in flight among them), then a rerun: nothing is
lost, and at most one batch of messages is sent twice."""

from __future__ import annotations

import json
import random
import subprocess
import time
from collections.abc import Callable
from itertools import groupby
from typing import Any

import pytest
from reference_support import CLI, FIELD, LIST, World, cli_command, seed_list, snapshot

from harness.reference import ListConfig
from harness.reference.segment import BATCH_ITEMS

CONTACTS = 20_000
# Segment applies each batch, then waits this long before acknowledging it: a kill then lands in
# the worst place, after Segment applied a batch and before the sync recorded it as delivered.
ACK_DELAY_S = 0.15
POLL_S = 0.005


def kill_when(process: subprocess.Popen[bytes], ready: Callable[[], bool], limit_s: float = 30.0) -> None:
    """kill -9 the process as soon as `ready()` holds (polled), or fail if it never does."""
    deadline = time.monotonic() + limit_s
    while not ready():
        assert process.poll() is None, "the sync ended before the kill point"
        assert time.monotonic() < deadline, "the kill point was never reached"
        time.sleep(POLL_S)
    process.kill()
    process.wait()


def settle(world: World, quiet_s: float = 3 * ACK_DELAY_S, limit_s: float = 10.0) -> None:
    """Wait until Segment has applied whatever the killed process had already sent.

    A request fully sent before the kill is still read and applied by the server afterwards (as real
    Segment would); the snapshots below must include it, or they would blame the next run for it.
    """
    deadline = time.monotonic() + limit_s
    count, since = len(world.seg.records(world.write_key)), time.monotonic()
    while time.monotonic() - since < quiet_s:
        assert time.monotonic() < deadline, "Segment kept receiving messages after the kill"
        time.sleep(POLL_S)
        now = len(world.seg.records(world.write_key))
        if now != count:
            count, since = now, time.monotonic()


def batches_received(world: World) -> list[list[dict[str, Any]]]:
    """The messages Segment applied, grouped by the request that brought them."""
    records = world.seg.records(world.write_key)
    return [[r.message for r in group] for _, group in groupby(records, key=lambda r: r.received)]


def kill_points() -> list[tuple[str, float]]:
    """Where to kill: (kind, batches Segment has applied or seconds after the start)."""
    rng = random.Random(20_000)
    return [
        ("while-reading-listrak", 0),
        ("after-first-batch", 1),
        ("after-random-batches", rng.randint(2, 7)),
        ("after-random-delay", round(rng.uniform(0.2, 1.5), 2)),
    ]


@pytest.mark.slow
@pytest.mark.parametrize(("where", "amount"), kill_points(), ids=[k[0] for k in kill_points()])
def test_kill_9_then_changes_then_rerun_loses_nothing_and_resends_at_most_one_batch(
    make_world: Callable[..., World], where: str, amount: float
) -> None:
    world = make_world(CLI, page_size_cap=None)
    world.lists = (ListConfig(LIST, FIELD),)
    generated = {"count": CONTACTS, "emailAddress": "user{n}@example.com"}
    generated["segmentationFieldValues"] = [{"segmentationFieldId": FIELD, "value": "u{n}"}]  # type: ignore[assignment]
    document = seed_list(LIST, [], name="Big", fields=[FIELD])
    document["generate"] = generated
    world.lr.seed({"lists": [document]})
    world.seg.add_fault(action="latency", latency_s=ACK_DELAY_S, after=True, path="/v1/batch")
    if where == "while-reading-listrak":
        world.lr.add_fault({"action": "latency", "latency_s": 0.05, "path": r".*/Contact"})

    command = [*cli_command(), "sync", "--quiet"]
    process = subprocess.Popen(command, env=world.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if where == "while-reading-listrak":
        kill_when(process, lambda: len(world.lr.backend.faults.fired()) >= 2)
    elif where == "after-random-delay":
        try:
            process.wait(timeout=amount)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    else:
        kill_when(process, lambda: len(batches_received(world)) >= amount)
    assert process.returncode == -9, "the sync finished before it could be killed"
    assert process.stdout is not None and process.stderr is not None
    world.assert_no_secrets(process.stdout.read().decode() + process.stderr.read().decode())
    world.lr.clear_faults()
    world.seg.backend.faults.clear()
    settle(world)

    # Contacts change before the rerun: among them some of the batch in flight at the kill.
    received = batches_received(world)
    in_flight = [m["anonymousId"] for m in received[-1]] if received else []
    changed = in_flight[:100] + [f"user{n}@example.com" for n in range(CONTACTS - 50, CONTACTS)]
    for address in changed:
        world.lr.unsubscribe(LIST, address)
    for address in in_flight[100:150]:
        world.lr.set_field_values(LIST, address, {FIELD: f"new-{address}"})
    before = world.seg.records(world.write_key)
    last_seq = before[-1].seq if before else 0
    held = {}
    for stored in before:
        held[stored.message["anonymousId"]] = (stored.message["traits"], stored.message.get("userId"))

    # A dry run over the state the kill left behind (SQLite WAL and all) changes nothing...
    state = snapshot(world.state_dir)
    dry = world.sync("--quiet", "--dry-run")
    assert dry.ok, dry.stderr
    assert snapshot(world.state_dir) == state
    assert world.seg.records(world.write_key, after_seq=last_seq) == []

    rerun = world.sync("--quiet")
    assert rerun.ok, rerun.stderr
    # ...and printed exactly what the rerun then sent, applied or dropped as a duplicate.
    sent = [r.message for r in world.seg.records(world.write_key, after_seq=last_seq)]
    sent += [d.message for d in world.duplicates()]
    printed = [json.loads(line) for line in dry.dry_run_lines]
    assert sorted(m["messageId"] for m in printed) == sorted(m["messageId"] for m in sent)
    world.assert_profiles_correct()
    holding = [a for a, view in world.views().items() if view.get(world.trait()) is True]
    assert len(holding) == CONTACTS - len(set(changed))
    resent_content = [
        m
        for m in (r.message for r in world.seg.records(world.write_key, after_seq=last_seq))
        if held.get(m["anonymousId"]) == (m["traits"], m.get("userId"))
    ]
    if where.endswith(("batch", "batches")):
        # The kill came between Segment applying the last batch and its acknowledgement: the rerun
        # resent what had not changed with the same messageIds, and Segment dropped the copies.
        assert world.duplicates(), "the kill missed the window between apply and acknowledgement"
    resent = len(world.duplicates()) + len(resent_content)
    assert resent <= BATCH_ITEMS, f"{resent} messages sent twice after the kill at {where}"
