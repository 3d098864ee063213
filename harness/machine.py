"""A Hypothesis state machine that drives a live replay one step at a time and judges each sync as it runs.

`histories()` draws a whole history, then the campaign replays it. `ConformanceMachine` draws the
same steps (through `harness.strategies.Story`, so generation is shared) one rule at a time and feeds
each to a `LiveReplay` at once: a violation surfaces at the sync that causes it, and Hypothesis's
stateful shrinker deletes whole rules (a step, a sync) to reach a minimal failing program.

    from hypothesis import settings
    from harness.machine import machine_for

    TestOurSync = machine_for("cmd:./our-sync").TestCase
    TestOurSync.settings = settings(TestOurSync.settings, max_examples=50, stateful_step_count=30)

pytest and unittest collect `TestOurSync` as a test case; deriving its settings from the ones it comes
with keeps what a machine needs (no deadline, no explain phase). The implementation is an IMPL spec
(`reference`, `python:module:function`, `cmd:COMMAND`), an `Implementation` or a callable taking the
`SyncContext`. A setup rule draws the lists, fields and early integrations; then the `step` rule draws
an action from the story's menu (a sync among them, as in generated histories) and its step, and the
`sync` rule runs a sync. Each sync runs the implementation and judges the run so far: a failing
finding of that sync raises `SyncViolation` (an AssertionError) whose message is the history so far
and the readable findings. At teardown the story ends, as generated histories do, on a sync nothing
was armed against (`no-silent-loss` wants that last clean sync), which is judged too.

`max_steps` bounds the history's length (closing syncs included), `revision` None draws one per run,
`faults` puts fault injections on the menu, and crash steps too for implementations that run in
another process (`cmd:`); an in-process implementation cannot be killed, so `crashes=True` is refused
for it. Each machine class keeps one `Replayer`, emptied for each run and closed at interpreter exit.
"""

from __future__ import annotations

import atexit
from collections.abc import Callable
from typing import Any, ClassVar, cast

from hypothesis import Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from .checker import Finding, check, failing
from .commands.conform import format_findings
from .history import DEFAULT_WRITE_KEY, REVISIONS, Step, Sync
from .impls import Implementation, SyncContext
from .replay import LiveReplay, Replayer, Run, SyncRecord, needs_servers
from .strategies import Story
from .testing import as_implementation

__all__ = ["ConformanceMachine", "SyncViolation", "machine_for"]

ImplLike = str | Implementation | Callable[[SyncContext], Any]
_ATTEMPTS = 4
_PHASES = tuple(phase for phase in Phase if phase is not Phase.explain)


class SyncViolation(AssertionError):
    """A sync broke a rule: the message is the history so far and the findings; `run` and `findings` the details."""

    def __init__(self, message: str, run: Run, findings: list[Finding]) -> None:
        super().__init__(message)
        self.run = run
        self.findings = findings


@st.composite
def _begin(draw: st.DrawFn, max_steps: int, faults: bool, crashes: bool) -> Story:
    return Story.begin(draw, max_steps=max_steps, faults=faults, crashes=crashes)


@st.composite
def _next_step(draw: st.DrawFn, story: Story) -> Step | None:
    # One draw per step, so Hypothesis prints the step the rule drew rather than the choices that made it.
    # An action with nothing to act on (an unsubscribe before any subscribe) is drawn again, a few times:
    # rule calls are what a run is counted in, and a call that adds nothing is wasted.
    for _ in range(_ATTEMPTS):
        step = story.next_step(draw)
        if step is not None:
            return step
    return None


class ConformanceMachine(RuleBasedStateMachine):
    """Steps drawn as generated histories draw them, replayed live against `impl`, each sync judged as it ends.

    Configure a subclass through the class attributes, or let `machine_for` make one.
    """

    impl: ClassVar[ImplLike | None] = None
    revision: ClassVar[str | None] = None
    faults: ClassVar[bool] = True
    # None: crash steps whenever faults are on and the implementation runs in its own process.
    crashes: ClassVar[bool | None] = None
    max_steps: ClassVar[int] = 30

    # Per class, created at first use (see `replayer`): the fakes are built once, not once per run.
    _replayer: ClassVar[Replayer | None] = None
    _implementation: ClassVar[Implementation | None] = None

    def __init__(self) -> None:
        super().__init__()
        self.validate()
        self._crashes = self.crash_steps(self.implementation())
        self.story: Story | None = None
        self.live: LiveReplay | None = None
        # Set once a rule raised (a violation, or Hypothesis abandoning the run): teardown then runs no
        # closing sync, which would only bury the failure or cost time.
        self._stopped = False

    # -- configuration -------------------------------------------------------------------------
    @classmethod
    def implementation(cls) -> Implementation:
        """The class's `impl` as an Implementation (resolved once per class)."""
        found = cls.__dict__.get("_implementation")
        if found is None:
            if cls.impl is None:
                raise TypeError(f"{cls.__name__}.impl is not set: give the implementation, or use machine_for(impl)")
            found = as_implementation(cls.impl)
            cls._implementation = found
        return found

    @classmethod
    def validate(cls) -> None:
        """Raise ValueError (TypeError without an `impl`) for a configuration no run could follow."""
        if cls.revision is not None and cls.revision not in REVISIONS:
            raise ValueError(f"expected a revision among {', '.join(REVISIONS)}, saw {cls.revision!r}")
        minimum = 4 if cls.faults or cls.crashes else 3
        if cls.max_steps < minimum:
            raise ValueError(
                f"max_steps must be at least {minimum} (a list, a step and the final sync); got {cls.max_steps}"
            )
        cls.crash_steps(cls.implementation())

    @classmethod
    def crash_steps(cls, impl: Implementation) -> bool:
        """Whether crash steps go on the menu; ValueError when they are asked of an in-process implementation."""
        served = needs_servers(impl)
        if cls.crashes is None:
            return cls.faults and served
        if cls.crashes and not served:
            raise ValueError(
                f"crashes=True needs an implementation that runs in its own process (cmd:); {impl.name} runs "
                "in-process, and a crash step cannot kill it"
            )
        return cls.crashes

    @classmethod
    def replayer(cls) -> Replayer:
        """The class's replayer: built at first use, its fakes emptied for each run, closed at exit."""
        found = cls.__dict__.get("_replayer")
        if found is None:
            found = Replayer(served=needs_servers(cls.implementation()))
            atexit.register(found.close)
            cls._replayer = found
        return found

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Hypothesis's defaults for a machine's TestCase (no deadline: it would time a whole run), less the
        # explain phase: it traces every line, which on Python 3.11 makes a failure take minutes to report.
        # Hypothesis builds one TestCase per class, so `settings(Test.settings, ...)` keeps these.
        cls.TestCase.settings = settings(cls.TestCase.settings, phases=_PHASES)

    # -- rules ---------------------------------------------------------------------------------
    @initialize(data=st.data())
    def setup(self, data: st.DataObject) -> None:
        """Draw the revision and the setup (lists, fields, early integrations), and apply it."""
        revision = self.revision if self.revision is not None else data.draw(st.sampled_from(REVISIONS), "revision")
        self.story = data.draw(_begin(self.max_steps, self.faults, self._crashes), "setup")
        self.live = self.replayer().live(self.implementation(), revision, DEFAULT_WRITE_KEY)
        for step in self.story.steps:
            self._apply(step)

    # No preconditions: Hypothesis's swarm testing switches rules off for whole runs, and throws away a
    # run whose valid rules are all switched off (a third of them, when max_steps was kept by
    # preconditions). So both rules are always valid, and one with nothing left to do does nothing. For
    # the same reason syncs come from both: a run with the sync rule switched off still syncs mid-story.
    @rule(data=st.data())
    def step(self, data: st.DataObject) -> None:
        """One action of the story (a contact change, an integration, a fault, ...) and its step, if it has one."""
        assert self.story is not None
        if self.story.room() <= 0:
            return
        try:
            found = data.draw(_next_step(self.story), "step")
        except BaseException:  # Hypothesis abandoning the run (out of choices while shrinking)
            self._stopped = True
            raise
        if found is not None:
            self._apply(found)

    @rule()
    def sync(self) -> None:
        """Run the implementation and judge the run so far; nothing when no step came since a clean sync."""
        assert self.story is not None and self.live is not None
        if self.story.room() <= 0 or self._clean_sync_last():
            return
        self.story.add(Sync())
        self._apply(self.story.steps[-1])

    def teardown(self) -> None:
        """End on a sync nothing was armed against, judge it, and remove the run's state directory."""
        try:
            if self.story is not None and not self._stopped:
                for step in self.story.closing():
                    self._apply(step)
        finally:
            if self.live is not None:
                self.live.close()

    # -- applying and judging ------------------------------------------------------------------
    def _apply(self, step: Step) -> None:
        assert self.live is not None
        try:
            record = self.live.apply(step)
            if record is not None:
                self._judge(record)
        except BaseException:
            self._stopped = True
            raise

    def _clean_sync_last(self) -> bool:
        """Whether the last step is a sync that nothing was armed against or hit, and that succeeded:
        another sync at once would meet the same state (and a run of them is what a rule switched off
        by swarm testing would otherwise give)."""
        assert self.story is not None and self.live is not None
        records, model = self.live.records, self.story.model
        if not self.story.steps or not isinstance(self.story.steps[-1], Sync) or not records:
            return False
        last, expected = records[-1], model.syncs[-1]
        return last.outcome.ok and not last.faults and not expected.faults and expected.crash is None

    def _judge(self, record: SyncRecord) -> None:
        """Raise SyncViolation when a rule that fails a run fails at this sync."""
        assert self.live is not None
        run = self.live.run()
        found = [f for f in failing(check(run)) if f.sync == record.number]
        if not found:
            return
        rules = ", ".join(dict.fromkeys(f.rule for f in found))
        said = "success" if record.outcome.ok else f"failure ({record.outcome.error or 'no reason given'})"
        history = run.history
        raise SyncViolation(
            "\n".join(
                [
                    f"Sync {record.number} (step {record.step + 1}) of {run.implementation} broke {rules}; "
                    f"it reported {said}.",
                    f"History so far (revision {history.revision}):",
                    history.describe(),
                    format_findings(found),
                ]
            ),
            run,
            found,
        )


def machine_for(
    impl: ImplLike,
    *,
    revision: str | None = None,
    faults: bool = True,
    crashes: bool | None = None,
    max_steps: int = 30,
) -> type[ConformanceMachine]:
    """A `ConformanceMachine` subclass for `impl`; its `.TestCase` is the test to collect.

    ValueError for a configuration no run could follow, e.g. `crashes=True` for an in-process implementation.
    """
    implementation = as_implementation(impl)
    # A name per implementation: Hypothesis keys its example database by it, so that a failure saved for
    # one implementation is not replayed first against another.
    name = f"ConformanceMachine[{implementation.name}]"
    namespace: dict[str, Any] = {
        "__module__": __name__,
        "__doc__": f"The conformance state machine for {implementation.name}.",
        "impl": implementation,
        "revision": revision,
        "faults": faults,
        "crashes": crashes,
        "max_steps": max_steps,
        "_implementation": implementation,
        "_replayer": None,
    }
    machine = cast("type[ConformanceMachine]", type(name, (ConformanceMachine,), namespace))
    machine.validate()  # now, rather than at the first run
    return machine
