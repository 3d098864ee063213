"""The history strategies: every history is valid, the variety is there, the situations that find
bugs occur regularly, and failures shrink to short histories."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from fake_listrak.models import is_address
from harness.history import (
    REVISIONS,
    AddField,
    AdvanceClock,
    ClearField,
    Crash,
    CreateList,
    History,
    InjectFault,
    Integrate,
    RemoveIntegration,
    Resubscribe,
    SetField,
    Step,
    Subscribe,
    Sync,
    Unsubscribe,
)
from harness.model import expectations
from harness.strategies import SITUATIONS, addresses, histories, situations

# -- validity --------------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(history=histories(faults=True, crashes=True))
def test_every_history_is_valid_bounded_and_ends_with_a_clean_sync(history: History) -> None:
    history.validate()
    assert len(history.steps) <= 30
    assert isinstance(history.steps[-1], Sync)
    last = expectations(history)[-1]
    assert last.faults == () and last.crash is None
    assert History.from_json(history.to_json()) == history


@settings(max_examples=50, deadline=None)
@given(history=histories(max_steps=5))
def test_a_small_budget_is_kept(history: History) -> None:
    history.validate()
    assert len(history.steps) <= 5
    assert isinstance(history.steps[-1], Sync)


@settings(max_examples=50, deadline=None)
@given(history=histories())
def test_without_faults_or_crashes_there_are_none(history: History) -> None:
    assert not any(isinstance(step, InjectFault | Crash) for step in history.steps)


@settings(max_examples=50, deadline=None)
@given(history=histories(faults=True))
def test_faults_without_crashes_gives_no_crash_steps(history: History) -> None:
    assert not any(isinstance(step, Crash) for step in history.steps)


@pytest.mark.parametrize("revision", REVISIONS)
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_a_chosen_revision_is_kept(revision: str, data: st.DataObject) -> None:
    assert data.draw(histories(revision)).revision == revision


@settings(max_examples=100, deadline=None)
@given(history=histories(faults=True, crashes=True))
def test_fault_specs_are_the_realistic_ones(history: History) -> None:
    for step in history.steps:
        if isinstance(step, InjectFault):
            fault = step.fault
            assert 1 <= fault["times"] <= 3
            if step.target == "segment":
                assert fault["action"] in ("status", "drop", "hang")
                if fault["action"] == "status":
                    assert fault["status"] in (500, 503, 429)
                    assert fault["status"] != 429 or fault["headers"]["Retry-After"] in ("1", "2")
                if fault["action"] == "hang":
                    assert 0 < fault["hang_s"] <= 2
            else:
                assert fault["action"] in ("status", "revoke_tokens", "drop")
        if isinstance(step, Crash):
            assert 1 <= step.after_requests <= 8


@settings(max_examples=300, deadline=None)
@given(address=addresses())
def test_addresses_are_ones_listrak_accepts(address: str) -> None:
    assert is_address(address)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [({"revision": "2022-01-01"}, "revision must be one of"), ({"max_steps": 2}, "max_steps must be at least 3")],
)
def test_bad_arguments_are_refused_with_a_reason(arguments: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        histories(**arguments)  # type: ignore[arg-type]


# -- the situations that find bugs -----------------------------------------------------------------
def collect(strategy: st.SearchStrategy[History], count: int) -> tuple[Counter[str], int]:
    """How many of `count` generated histories show each situation (a fixed, repeatable sample)."""
    seen: Counter[str] = Counter()
    histories_seen: list[History] = []

    @settings(
        max_examples=count, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck)
    )
    @given(strategy)
    def sample(history: History) -> None:
        histories_seen.append(history)
        seen.update(situations(history))

    sample()
    return seen, len(histories_seen)


# The situations the issue asks for, and the share of 300 short histories each must reach at least.
WANTED = {
    "subscribe-then-sync": 0.50,
    "unsubscribe-after-sync": 0.15,
    "resubscribe-seen": 0.05,
    "value-set-changed-cleared": 0.04,
    "integrated-after-contacts": 0.10,
    "removed-from-integration": 0.08,
    "shared-value": 0.05,
}


def test_short_histories_regularly_put_an_implementation_in_every_situation() -> None:
    seen, total = collect(histories(), 300)
    assert total == 300
    shares = {name: seen[name] / total for name in SITUATIONS}
    missing = {name: f"{shares[name]:.1%} < {floor:.0%}" for name, floor in WANTED.items() if shares[name] < floor}
    assert not missing, f"situations too rare in 300 histories: {missing}; all: {shares}"
    variety = [name for name in SITUATIONS if not name.startswith(("fault-", "crash")) and seen[name] == 0]
    assert not variety, f"never generated: {variety}"


def test_fault_histories_inject_faults_on_both_fakes_and_crash_before_syncs() -> None:
    seen, total = collect(histories(faults=True, crashes=True), 150)
    for name in ("fault-segment", "fault-listrak", "crash"):
        assert seen[name] / total >= 0.1, f"{name} in {seen[name]} of {total} histories"


def test_the_generator_reaches_both_revisions_and_full_length() -> None:
    lengths: Counter[int] = Counter()
    revisions: Counter[str] = Counter()

    @settings(max_examples=100, derandomize=True, database=None, deadline=None)
    @given(histories())
    def sample(history: History) -> None:
        lengths[len(history.steps)] += 1
        revisions[history.revision] += 1

    sample()
    assert set(revisions) == set(REVISIONS)
    assert sum(n for length, n in lengths.items() if length >= 25) >= 20


# -- situations() on hand-written histories -------------------------------------------------------
BASE: tuple[Step, ...] = (CreateList(7), AddField(7, 5), Integrate(7, 5), Subscribe(7, "a@x.io"), Sync())
SITUATION_EXAMPLES: list[tuple[str, tuple[Step, ...]]] = [
    ("subscribe-then-sync", BASE),
    ("unsubscribe-after-sync", (*BASE, Unsubscribe(7, "a@x.io"), Sync())),
    ("resubscribe-seen", (*BASE, Unsubscribe(7, "a@x.io"), Sync(), Resubscribe(7, "a@x.io"), Sync())),
    (
        "value-set-changed-cleared",
        (
            *BASE,
            SetField(7, "a@x.io", 5, "u1"),
            Sync(),
            SetField(7, "a@x.io", 5, "u2"),
            Sync(),
            ClearField(7, "a@x.io", 5),
            Sync(),
        ),
    ),
    ("integrated-after-contacts", (CreateList(7), Subscribe(7, "a@x.io"), Integrate(7), Sync())),
    ("removed-from-integration", (*BASE, RemoveIntegration(7), Sync())),
    ("shared-value", (*BASE, Subscribe(7, "b@x.io", {5: "u"}), SetField(7, "a@x.io", 5, "u"), Sync())),
    ("no-userid-field", (CreateList(7), Integrate(7), Subscribe(7, "a@x.io"), Sync())),
    ("value-whitespace", (*BASE, SetField(7, "a@x.io", 5, " u "), Sync())),
    (
        "value-at-max-length",
        (CreateList(7), AddField(7, 5, max_length=2), Integrate(7, 5), Subscribe(7, "a@x.io", {5: "ab"}), Sync()),
    ),
    ("address-upper-case", (CreateList(7), Integrate(7), Subscribe(7, "A@x.io"), Sync())),
    ("clock-past-token-lifetime", (*BASE, AdvanceClock(3600), Sync())),
    ("fault-listrak", (*BASE, InjectFault("listrak", {"action": "revoke_tokens"}), Sync())),
    ("crash", (*BASE, Crash(1), Sync())),
]


@pytest.mark.parametrize(("name", "steps"), SITUATION_EXAMPLES)
def test_situations_recognises_a_hand_written_example(name: str, steps: tuple[Step, ...]) -> None:
    assert name in situations(History(steps))


def test_situations_needs_the_syncs_to_see_it() -> None:
    # The same changes with no sync between them show an implementation nothing.
    unsynced = (CreateList(7), AddField(7, 5), Integrate(7, 5), Subscribe(7, "a@x.io", {5: "u1"}),
                Unsubscribe(7, "a@x.io"), Resubscribe(7, "a@x.io"), SetField(7, "a@x.io", 5, "u2"),
                ClearField(7, "a@x.io", 5), RemoveIntegration(7), Sync())  # fmt: skip
    found = situations(History(unsynced))
    for name in ("unsubscribe-after-sync", "resubscribe-seen", "value-set-changed-cleared", "removed-from-integration"):
        assert name not in found


# -- shrinking -------------------------------------------------------------------------------------
def test_a_failure_shrinks_to_a_short_history() -> None:
    minimal = find(
        histories(),
        lambda h: any(isinstance(s, Unsubscribe) for s in h.steps),
        settings=settings(database=None, max_examples=500, derandomize=True, suppress_health_check=list(HealthCheck)),
    )
    # create list, add field, integrate, subscribe, unsubscribe, sync: nothing more is needed.
    assert len(minimal.steps) <= 6, minimal.describe()
    assert sum(isinstance(s, Subscribe) for s in minimal.steps) == 1, minimal.describe()
