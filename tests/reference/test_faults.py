"""Every fault kind of both fakes during a sync: the run either succeeds with correct profiles or
fails loudly, and the next run without faults repairs everything (DESIGN.md's `no-silent-loss`).
Each case runs in-process and against the fakes on loopback (where hangs and drops are real sockets)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from reference_support import FIELD, IN_PROCESS, LIST, LOOPBACK, World, contact, seed_list

from fake_listrak.fake import FakeListrak
from harness.fakekit.clock import ManualClock

CONTACT = r"/email/v1/List/\d+/Contact"
TOKEN = "/OAuth2/Token"
BATCH = "/v1/batch"
SUCCEEDS, FAILS = "succeeds", "fails"

# (id, fake, fault spec, what the faulted run must do, config overrides)
CASES: list[tuple[str, str, dict[str, Any], str, dict[str, Any]]] = [
    ("listrak-500", "listrak", {"action": "status", "status": 500, "path": CONTACT, "times": 2}, SUCCEEDS, {}),
    ("listrak-503-token", "listrak", {"action": "status", "status": 503, "path": TOKEN, "times": 2}, SUCCEEDS, {}),
    (
        "listrak-429",
        "listrak",
        {"action": "status", "status": 429, "headers": {"Retry-After": "7"}, "path": CONTACT, "times": 1},
        SUCCEEDS,
        {"retry_deadline": 30.0},
    ),
    ("listrak-latency", "listrak", {"action": "latency", "latency_s": 0.05, "times": 3}, SUCCEEDS, {}),
    (
        "listrak-latency-over-timeout",
        "listrak",
        {"action": "latency", "latency_s": 1.0, "path": CONTACT, "times": 1},
        SUCCEEDS,
        {"request_timeout": 0.3},
    ),
    (
        "listrak-hang",
        "listrak",
        {"action": "hang", "hang_s": 2.0, "path": CONTACT, "times": 1},
        SUCCEEDS,
        {"request_timeout": 0.3},
    ),
    ("listrak-drop", "listrak", {"action": "drop", "path": CONTACT, "times": 2}, SUCCEEDS, {}),
    ("listrak-revoke-tokens", "listrak", {"action": "revoke_tokens", "path": CONTACT, "times": 1}, SUCCEEDS, {}),
    ("listrak-401-mid-scan", "listrak", {"action": "status", "status": 401, "path": CONTACT, "times": 1}, SUCCEEDS, {}),
    ("listrak-401-twice", "listrak", {"action": "status", "status": 401, "path": CONTACT, "times": 2}, FAILS, {}),
    ("listrak-500-always", "listrak", {"action": "status", "status": 500, "path": CONTACT}, FAILS, {}),
    ("listrak-drop-always", "listrak", {"action": "drop", "path": CONTACT}, FAILS, {}),
    ("segment-500", "segment", {"action": "status", "status": 500, "path": BATCH, "times": 2}, SUCCEEDS, {}),
    ("segment-503", "segment", {"action": "status", "status": 503, "path": BATCH, "times": 2}, SUCCEEDS, {}),
    (
        "segment-429",
        "segment",
        {"action": "status", "status": 429, "headers": {"Retry-After": "7"}, "path": BATCH, "times": 1},
        SUCCEEDS,
        {"retry_deadline": 30.0},
    ),
    ("segment-latency", "segment", {"action": "latency", "latency_s": 0.05, "times": 2}, SUCCEEDS, {}),
    (
        "segment-hang",
        "segment",
        {"action": "hang", "hang_s": 2.0, "path": BATCH, "times": 1},
        SUCCEEDS,
        {"request_timeout": 0.3},
    ),
    ("segment-drop", "segment", {"action": "drop", "path": BATCH, "times": 1}, SUCCEEDS, {}),
    ("segment-drop-after", "segment", {"action": "drop", "after": True, "path": BATCH, "times": 1}, SUCCEEDS, {}),
    ("segment-400", "segment", {"action": "status", "status": 400, "path": BATCH, "times": 1}, FAILS, {}),
    ("segment-503-always", "segment", {"action": "status", "status": 503, "path": BATCH}, FAILS, {}),
    ("segment-drop-after-always", "segment", {"action": "drop", "after": True, "path": BATCH}, FAILS, {}),
]


def seeded(world: World) -> World:
    contacts = ["a@x.io", contact("B@X.io", "u-b"), "c@x.io", contact("d@x.io", "u-d"), "e@x.io"]
    world.lr.seed({"lists": [seed_list(LIST, contacts, name="News", fields=[FIELD])]})
    return world


def arm(world: World, fake: str, spec: dict[str, Any]) -> None:
    if fake == "listrak":
        world.lr.add_fault(spec)
    else:
        world.seg.add_fault(partition=world.write_key, **spec)


def fired(world: World, fake: str) -> int:
    if fake == "listrak":
        return len(world.lr.backend.faults.fired())
    return len(world.seg.backend.faults.fired(world.write_key))


@pytest.mark.parametrize("mode", [IN_PROCESS, LOOPBACK])
@pytest.mark.parametrize(("fake", "spec", "expect", "overrides"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_faulted_sync_succeeds_or_fails_loudly_and_the_next_sync_repairs(
    make_world: Callable[..., World], mode: str, fake: str, spec: dict[str, Any], expect: str, overrides: dict
) -> None:
    world = seeded(make_world(mode))
    if expect == FAILS:
        overrides = {"retry_deadline": 0.5, **overrides}
    arm(world, fake, spec)
    faulted = world.sync(**overrides)
    assert fired(world, fake) >= 1, "the fault never hit a request"
    if expect == SUCCEEDS:
        assert faulted.ok, faulted.stderr
        world.assert_profiles_correct()
    else:
        assert faulted.exit_code == 1, faulted.stderr
        assert faulted.summary is not None and faulted.summary["failures"], faulted.stderr
        assert "FAILED" in faulted.stderr or "NOT delivered" in faulted.stderr
    if "Retry-After" in spec.get("headers", {}):
        assert max(faulted.sleeps) >= 7.0
    world.lr.clear_faults()
    world.seg.backend.faults.clear()
    world.lr.unsubscribe(LIST, "a@x.io")
    world.lr.set_field_values(LIST, "B@X.io", {FIELD: "u-b2"})
    repaired = world.sync()
    assert repaired.ok, repaired.stderr
    world.assert_profiles_correct()
    assert world.trait() not in world.views().get("a@x.io", {})


def test_segment_400_is_not_retried(world: World) -> None:
    seeded(world)
    world.seg.add_fault(action="status", status=400, path=BATCH, times=1)
    outcome = world.sync()
    assert outcome.exit_code == 1
    assert world.segment_recorder.paths().count(BATCH) == 1
    assert "Segment refused a batch" in outcome.failures
    assert outcome.sleeps == []


def test_retry_of_a_batch_segment_applied_but_never_acknowledged_is_dropped_as_a_duplicate(world: World) -> None:
    seeded(world)
    world.seg.add_fault(action="drop", after=True, path=BATCH, times=1)
    assert world.sync().ok
    [first, retry] = world.segment_recorder.bodies()
    assert [m["messageId"] for m in first["batch"]] == [m["messageId"] for m in retry["batch"]]
    discards = world.duplicates()
    assert len(discards) == 5
    assert not any(d.content_differs for d in discards)


@pytest.mark.parametrize("mode", [IN_PROCESS, LOOPBACK])
def test_token_expiring_mid_scan_is_refreshed_and_the_scan_goes_on(make_world: Callable[..., World], mode: str) -> None:
    clock = ManualClock()
    # Long enough for the sync to cache the token (it refreshes 60s early), short enough to expire.
    listrak = FakeListrak(page_size_cap=2, clock=clock, token_lifetime=120)
    world = seeded(make_world(mode, listrak=listrak))

    def advance_past_expiry(request: httpx.Request, response: httpx.Response) -> None:
        if request.url.path.endswith("/Contact"):
            clock.advance(121)

    world.listrak_after = advance_past_expiry
    outcome = world.sync()
    assert outcome.ok, outcome.stderr
    world.assert_profiles_correct()
    statuses = [(r.url.path, resp.status_code) for r, resp in world.listrak_recorder.exchanges if resp is not None]
    assert statuses.count(("/email/v1/List/101/Contact", 401)) >= 2
    assert outcome.summary is not None and outcome.summary["token_refreshes"] >= 2
    assert len(world.tokens) >= 3
