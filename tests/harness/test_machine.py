"""The conformance state machine: the reference passes it, a broken sync fails it at the sync that breaks a
rule with a short shrunk history, every step it applies is valid, and crash steps only reach `cmd:`."""

from __future__ import annotations

import shlex
import sys

import pytest
from hypothesis import Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from harness.history import Crash, History, Sync
from harness.machine import ConformanceMachine, SyncViolation, machine_for
from harness.model import expectations
from harness.replay import Run
from harness.strategies import situations

# Repeatable runs: derandomized, and no example database to replay an earlier run's failure first.
FAST = settings(max_examples=30, stateful_step_count=25, deadline=None, database=None, derandomize=True)
# A failure is reported once, as the SyncViolation itself (not an ExceptionGroup of every bug seen).
FAILING = settings(FAST, max_examples=300, report_multiple_bugs=False, phases=[Phase.generate, Phase.shrink])


def _recorded(machine: type[ConformanceMachine], runs: list[Run]) -> type[ConformanceMachine]:
    """The machine, keeping each run (its history and sync records) once its teardown is over."""

    def teardown(self: ConformanceMachine) -> None:
        ConformanceMachine.teardown(self)
        if self.live is not None:
            runs.append(self.live.run())

    return type(f"Recorded{machine.__name__}", (machine,), {"teardown": teardown})


def test_the_reference_passes_the_machine_through_faults() -> None:
    runs: list[Run] = []
    run_state_machine_as_test(_recorded(machine_for("reference"), runs), settings=settings(FAST, max_examples=60))
    assert len(runs) >= 60
    # Real stories, not only setups: syncs that met subscribed contacts, unsubscribes after a sync, faults that fired.
    synced = [x for run in runs for x in expectations(run.history) if any(c.subscribed for c in x.contacts.values())]
    assert len(synced) >= 20
    seen = set().union(*(situations(run.history) for run in runs))
    assert {"subscribe-then-sync", "unsubscribe-after-sync", "fault-listrak", "fault-segment"} <= seen
    assert any(record.faults for run in runs for record in run.records)


def test_every_step_the_machine_applies_is_valid_within_max_steps_and_ends_on_a_clean_sync() -> None:
    runs: list[Run] = []
    machine = machine_for("reference", revision="2023-08-03", max_steps=12)
    run_state_machine_as_test(_recorded(machine, runs), settings=FAST)
    assert runs
    for run in runs:
        history = run.history
        history.validate()
        assert History.from_json(history.to_json()) == history
        assert history.revision == "2023-08-03"
        assert len(history.steps) <= 12
        assert isinstance(history.steps[-1], Sync)
        last = expectations(history)[-1]
        assert last.faults == () and last.crash is None
        assert len(run.records) == sum(isinstance(step, Sync) for step in history.steps)


def test_a_sync_that_omits_the_removal_fails_at_that_sync_with_a_short_history() -> None:
    machine = machine_for("python:broken_syncs:omit_removal", faults=False)
    with pytest.raises(SyncViolation) as caught:
        run_state_machine_as_test(machine, settings=FAILING)
    violation = caught.value
    assert {f.rule for f in violation.findings} == {"unsubscribed-trait-removed"}
    message = str(violation)
    assert "unsubscribed-trait-removed" in message
    assert "History so far" in message and "unsubscribe" in message
    # Shrunk to the bug's core: a list, (a field,) its integration, subscribe, sync, unsubscribe, sync.
    steps = violation.run.history.steps
    assert len(steps) <= 8
    assert isinstance(steps[-1], Sync)
    assert violation.findings[0].sync == len(violation.run.records)


def test_a_sync_that_reports_failure_with_nothing_armed_fails_no_silent_loss() -> None:
    machine = machine_for("python:broken_syncs:fails", faults=False)
    with pytest.raises(SyncViolation) as caught:
        run_state_machine_as_test(machine, settings=FAILING)
    assert {f.rule for f in caught.value.findings} == {"no-silent-loss"}
    assert "reported failure" in str(caught.value)
    assert len(caught.value.run.history.steps) <= 4


def test_an_in_process_implementation_gets_no_crash_steps_and_refuses_them() -> None:
    machine = machine_for("reference", faults=True)
    assert machine.crash_steps(machine.implementation()) is False
    with pytest.raises(ValueError, match="cmd:"):
        machine_for("reference", crashes=True)
    runs: list[Run] = []
    run_state_machine_as_test(_recorded(machine, runs), settings=settings(FAST, max_examples=15))
    assert not any(isinstance(step, Crash) for run in runs for step in run.history.steps)


def test_a_cmd_implementation_gets_crash_steps_with_faults() -> None:
    machine = machine_for("cmd:true")
    assert machine.crash_steps(machine.implementation()) is True
    assert machine_for("cmd:true", faults=False).crash_steps(machine.implementation()) is False


@pytest.mark.slow
def test_the_reference_cli_passes_the_machine_as_a_cmd_process_killed_by_crash_steps() -> None:
    runs: list[Run] = []
    machine = machine_for(f"cmd:{shlex.quote(sys.executable)} -m harness sync --quiet", max_steps=16)
    run_state_machine_as_test(_recorded(machine, runs), settings=settings(FAST, max_examples=6, stateful_step_count=16))
    assert any(record.outcome.crashed for run in runs for record in run.records)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"revision": "2020-01-01"}, "revision"),
        ({"max_steps": 3}, "max_steps must be at least 4"),
        ({"faults": False, "max_steps": 2}, "max_steps must be at least 3"),
    ],
)
def test_machine_for_refuses_a_configuration_it_cannot_run(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        machine_for("reference", **kwargs)  # type: ignore[arg-type]


def test_a_subclass_configured_by_class_attributes_runs_on_one_replayer() -> None:
    class OurSync(ConformanceMachine):
        impl = "reference"
        revision = "2023-07-13"
        faults = False
        max_steps = 8

    run_state_machine_as_test(OurSync, settings=settings(FAST, max_examples=10))
    replayer = OurSync.__dict__["_replayer"]  # built by the first run, kept for the others
    assert replayer is not None and OurSync.replayer() is replayer and not replayer.served
    assert OurSync.implementation().name == "reference"


def test_a_machine_without_an_implementation_says_so() -> None:
    class NoImpl(ConformanceMachine):
        pass

    with pytest.raises(TypeError, match="impl is not set"):
        NoImpl()


def test_the_test_case_needs_no_deadline_and_skips_the_slow_explain_phase() -> None:
    case = machine_for("reference").TestCase
    assert case.settings.deadline is None
    assert Phase.explain not in case.settings.phases
    assert Phase.shrink in case.settings.phases
