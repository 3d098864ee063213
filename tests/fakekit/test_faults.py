from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.fakekit import (
    BUILTIN_ACTIONS,
    DEFAULT_HANG_S,
    Fault,
    FaultEngine,
    FaultSpecError,
    ManualClock,
    parse_fault,
    parse_faults,
)


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ([], "must be a JSON object"),
        ({}, "'action' is missing"),
        ({"action": "explode"}, "'action' must be one of 'drop', 'hang', 'latency', 'status'"),
        ({"action": "revoke_tokens"}, "got 'revoke_tokens'"),
        ({"action": "drop", "tims": 2}, "unknown key(s) 'tims'"),
        ({"action": "status"}, "needs 'status'"),
        ({"action": "status", "status": 99}, "from 100 to 599; got 99"),
        ({"action": "status", "status": 600}, "from 100 to 599; got 600"),
        ({"action": "status", "status": "429"}, "'status' must be an HTTP status"),
        ({"action": "status", "status": True}, "'status' must be an HTTP status"),
        ({"action": "status", "status": 429, "headers": ["Retry-After"]}, "'headers' must be an object"),
        ({"action": "status", "status": 429, "headers": {"Retry-After": None}}, "must have a string value"),
        ({"action": "status", "status": 429, "headers": {"X": "a\r\nb"}}, "is not a valid HTTP header"),
        ({"action": "status", "status": 429, "headers": {"Bad Name": "1"}}, "is not a valid HTTP header"),
        ({"action": "latency"}, "needs 'latency_s'"),
        ({"action": "latency", "latency_s": -0.5}, "a number of seconds >= 0; got -0.5"),
        ({"action": "latency", "latency_s": "1"}, "'latency_s' must be a number"),
        ({"action": "hang", "hang_s": 0}, "'hang_s' must be a number of seconds > 0"),
        ({"action": "drop", "status": 500}, "'status' do not apply to action 'drop'"),
        ({"action": "status", "status": 500, "latency_s": 1}, "'latency_s' do not apply to action 'status'"),
        ({"action": "drop", "times": 2, "probability": 0.5}, "not both"),
        ({"action": "drop", "times": 0}, "'times' must be at least 1; got 0"),
        ({"action": "drop", "times": 1.5}, "'times' must be a whole number"),
        ({"action": "drop", "probability": 1.5}, "between 0 and 1; got 1.5"),
        ({"action": "drop", "path": "/v1/(batch"}, "does not compile"),
        ({"action": "drop", "method": "PO ST"}, "'method' must be an HTTP method"),
        ({"action": "drop", "after": "yes"}, "'after' must be true or false"),
        ({"action": "drop", "partition": 7}, "'partition' must be a string"),
    ],
)
def test_parse_fault_rejects_bad_spec_with_a_sentence(spec: Any, words: str) -> None:
    with pytest.raises(FaultSpecError) as info:
        parse_fault(spec)
    assert words in info.value.message
    assert str(info.value) == info.value.message


def test_parse_fault_accepts_extra_actions_the_fake_declares() -> None:
    fault = parse_fault({"action": "revoke_tokens", "times": 1}, actions=BUILTIN_ACTIONS | {"revoke_tokens"})
    assert (fault.action, fault.times) == ("revoke_tokens", 1)


def test_parse_fault_reads_a_full_status_spec() -> None:
    fault = parse_fault(
        {
            "id": "slow-down",
            "action": "status",
            "method": "post",
            "path": "/v1/.*",
            "partition": "wk_1",
            "status": 429,
            "headers": {"Retry-After": 2},
            "body": {"error": "rate limited"},
            "times": 3,
        }
    )
    assert fault == Fault(
        action="status",
        id="slow-down",
        method="POST",
        path="/v1/.*",
        partition="wk_1",
        status=429,
        headers={"Retry-After": "2"},
        body={"error": "rate limited"},
        times=3,
    )


def test_hang_defaults_to_sixty_seconds() -> None:
    assert parse_fault({"action": "hang"}).hang_s == DEFAULT_HANG_S == 60.0


def test_parse_faults_names_the_position_of_a_bad_spec() -> None:
    with pytest.raises(FaultSpecError, match=r"^faults\[1\]: fault: 'action' must be one of"):
        parse_faults([{"action": "drop"}, {"action": "nope"}])


_specs = st.one_of(
    st.fixed_dictionaries(
        {"action": st.just("status"), "status": st.integers(100, 599)},
        optional={
            "headers": st.dictionaries(st.sampled_from(["Retry-After", "X-Test"]), st.text("0123456789")),
            "body": st.none() | st.dictionaries(st.text(max_size=5), st.integers()),
        },
    ),
    st.fixed_dictionaries({"action": st.just("latency"), "latency_s": st.floats(0, 10)}),
    st.fixed_dictionaries({"action": st.just("hang")}, optional={"hang_s": st.floats(0.01, 100)}),
    st.fixed_dictionaries({"action": st.just("drop")}),
).flatmap(
    lambda spec: st.fixed_dictionaries(
        {},
        optional={
            "method": st.sampled_from(["GET", "POST"]),
            "path": st.sampled_from(["/v1/batch", "/v1/.*", "/email/v1/List/[0-9]+"]),
            "partition": st.text(min_size=1, max_size=8),
            "after": st.booleans(),
            "times": st.integers(1, 5),
            "id": st.text(min_size=1, max_size=8),
        },
    ).map(lambda extra: {**spec, **extra})
)


@given(_specs)
def test_to_dict_reads_back_to_the_same_fault(spec: dict[str, Any]) -> None:
    fault = parse_fault(spec)
    assert parse_fault(fault.to_dict()) == fault


def test_engine_assigns_ids_and_lists_what_remains() -> None:
    engine = FaultEngine()
    first = engine.add(Fault(action="drop", times=2))
    second = engine.add(Fault(action="drop", id="mine"))
    assert (first.id, second.id) == ("fault-1", "mine")
    engine.check("GET", "/x")
    assert [(f.id, f.times) for f in engine.list()] == [("fault-1", 1), ("mine", None)]


def test_engine_refuses_a_duplicate_id_and_an_action_it_does_not_know() -> None:
    engine = FaultEngine()
    engine.add(Fault(action="drop", id="a"))
    with pytest.raises(FaultSpecError, match="already armed"):
        engine.add(Fault(action="drop", id="a"))
    with pytest.raises(FaultSpecError, match="got 'revoke_tokens'"):
        engine.add(Fault(action="revoke_tokens"))
    assert FaultEngine(actions=BUILTIN_ACTIONS | {"revoke_tokens"}).add(Fault(action="revoke_tokens"))


def test_first_matching_fault_fires_and_next_n_is_spent_after_n() -> None:
    engine = FaultEngine()
    engine.add(Fault(action="status", status=500, method="POST", path="/v1/batch", times=2))
    engine.add(Fault(action="latency", latency_s=0.1, path="/v1/.*"))
    assert engine.check("GET", "/v1/batch").action == "latency"  # type: ignore[union-attr]
    assert engine.check("post", "/v1/batch").action == "status"  # type: ignore[union-attr]
    assert engine.check("POST", "/v1/batch").action == "status"  # type: ignore[union-attr]
    assert engine.check("POST", "/v1/batch").action == "latency"  # type: ignore[union-attr]
    assert engine.check("POST", "/v2/batch") is None
    assert engine.check("POST", "/v1/batch/extra") is not None  # `.*` full-matches the rest
    assert [f.action for f in engine.list()] == ["latency"]


def test_path_is_matched_against_the_whole_path() -> None:
    engine = FaultEngine()
    engine.add(Fault(action="drop", path="/v1/batch"))
    assert engine.check("POST", "/v1/batch") is not None
    assert engine.check("POST", "/v1/batch2") is None
    assert engine.check("POST", "/x/v1/batch") is None


def test_next_n_fires_exactly_n_times_under_eight_threads() -> None:
    engine = FaultEngine()
    engine.add(Fault(action="drop", times=37))
    start = threading.Barrier(8)
    hits: list[int] = []
    lock = threading.Lock()

    def hammer() -> None:
        start.wait()
        mine = sum(engine.check("POST", "/v1/batch") is not None for _ in range(500))
        with lock:
            hits.append(mine)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(hits) == 37
    assert len(engine.fired()) == 37
    assert engine.list() == []


def _pattern(seed: int, requests: int = 200) -> list[bool]:
    engine = FaultEngine(seed=seed)
    engine.add(Fault(action="drop", id="flaky", probability=0.3))
    return [engine.check("POST", "/v1/batch") is not None for _ in range(requests)]


def test_probability_repeats_with_the_same_seed_and_differs_with_another() -> None:
    first = _pattern(seed=1)
    assert first == _pattern(seed=1)
    assert first != _pattern(seed=2)
    assert 30 < sum(first) < 90  # about 0.3 of 200


def test_probability_pattern_of_one_fault_ignores_other_faults() -> None:
    alone = _pattern(seed=1, requests=50)
    engine = FaultEngine(seed=1)
    engine.add(Fault(action="drop", id="other", path="/elsewhere", probability=0.5))
    engine.add(Fault(action="drop", id="flaky", probability=0.3))
    assert [engine.check("POST", "/v1/batch") is not None for _ in range(50)] == alone


def test_partition_scopes_matching_listing_and_clearing() -> None:
    engine = FaultEngine()
    engine.add(Fault(action="drop", id="k1", partition="wk_1"))
    engine.add(Fault(action="drop", id="all"))
    assert engine.check("POST", "/v1/batch", "wk_1").id == "k1"  # type: ignore[union-attr]
    assert engine.check("POST", "/v1/batch", "wk_2").id == "all"  # type: ignore[union-attr]
    assert engine.check("POST", "/v1/batch", None).id == "all"  # type: ignore[union-attr]
    assert [f.id for f in engine.list("wk_1")] == ["k1"]
    engine.clear("wk_1")
    assert [f.id for f in engine.list()] == ["all"]
    engine.clear()
    assert engine.list() == []


def test_set_replaces_all_or_one_partition() -> None:
    engine = FaultEngine()
    engine.add(Fault(action="drop", id="k1", partition="wk_1"))
    engine.add(Fault(action="drop", id="k2", partition="wk_2"))
    engine.set([Fault(action="hang", id="k1b")], partition="wk_1")
    assert sorted((f.id, f.partition) for f in engine.list()) == [("k1b", "wk_1"), ("k2", "wk_2")]
    with pytest.raises(FaultSpecError, match="aimed at partition 'wk_2'"):
        engine.set([Fault(action="drop", partition="wk_2")], partition="wk_1")
    engine.set([Fault(action="drop")])
    assert [f.id for f in engine.list()] == ["fault-1"]


def test_set_arms_nothing_when_one_fault_is_bad() -> None:
    engine = FaultEngine()
    engine.add(Fault(action="drop", id="keep"))
    with pytest.raises(FaultSpecError):
        engine.set([Fault(action="drop", id="x"), Fault(action="drop", id="x")])
    assert [f.id for f in engine.list()] == ["keep"]


def test_fired_records_carry_the_clock_time_and_reset_forgets_them() -> None:
    clock = ManualClock(datetime(2024, 5, 1, 12, 0, tzinfo=UTC))
    engine = FaultEngine(clock)
    engine.add(Fault(action="drop", id="d", path="/v1/.*"))
    engine.check("post", "/v1/batch", "wk_1")
    clock.advance(2.5)
    engine.check("GET", "/v1/other", "wk_2")
    assert [f.to_dict() for f in engine.fired("wk_1")] == [
        {
            "fault_id": "d",
            "action": "drop",
            "method": "POST",
            "path": "/v1/batch",
            "partition": "wk_1",
            "at": "2024-05-01T12:00:00.000Z",
        }
    ]
    assert [f.at for f in engine.fired()] == [
        datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC),
        datetime(2024, 5, 1, 12, 0, 2, 500000, tzinfo=UTC),
    ]
    engine.reset("wk_1")
    assert [f.partition for f in engine.fired()] == ["wk_2"]
    assert [f.id for f in engine.list()] == ["d"]  # a fault aimed at everyone is not wk_1's to reset
    engine.reset()
    assert engine.fired() == []
    assert engine.list() == []


def test_armed_says_whether_any_fault_waits() -> None:
    engine = FaultEngine()
    assert engine.armed is False
    engine.add(parse_fault({"action": "status", "status": 500, "times": 1}))
    assert engine.armed is True
    assert engine.check("GET", "/x") is not None
    assert engine.armed is False  # used up
