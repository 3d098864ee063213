"""The conformance campaign: generated histories replayed against an implementation, checked, and shrunk on failure.

`Campaign(impl).run()` drives Hypothesis over `histories(...)`: every generated history is replayed
through the in-process fakes and judged by the checker, and how often each rule was applied and
violated is added up. A finding of a rule that can fail a run makes the example fail, so Hypothesis
shrinks it to a minimal failing history; that history is saved as JSON (with its failing rule in the
file name) so that `listrak-harness replay` reproduces it. The campaign stops at that first minimal
failure. Examples Hypothesis runs while shrinking are not added to the coverage counts; the counts
cover the generated examples up to and including the first failing one.

The Hypothesis example database (kept between runs, one key per implementation, revision, fault
setting and history length) makes a failure found once the first example tried next time. A `seed`
makes a run repeatable instead: Hypothesis then uses no database.

No CLI code here: `harness.commands.conform` prints what `CampaignResult` holds.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.database import DirectoryBasedExampleDatabase

from .checker import CHECKED_RULES, Finding, failing, iter_findings
from .history import History
from .impls import Implementation
from .paths import DEFAULT_DATABASE, DEFAULT_FAILURES
from .replay import Replayer, Run, needs_servers
from .rules import CATALOGUE, REVISIONS
from .strategies import histories

__all__ = [
    "DEFAULT_DATABASE",
    "DEFAULT_FAILURES",
    "Campaign",
    "CampaignError",
    "CampaignResult",
    "Failure",
    "Progress",
    "RuleCoverage",
    "coverage_table",
    "failing",
    "rules_in_scope",
    "single_run_result",
]


class CampaignError(RuntimeError):
    """The campaign could not run to a verdict (the harness, or the implementation, broke in a way no rule names)."""


@dataclass(frozen=True, slots=True)
class RuleCoverage:
    """How often one rule was applied over a campaign, and how many findings it produced."""

    rule: str
    checked: bool
    exercised: int = 0
    violated: int = 0

    @property
    def passed(self) -> int:
        """Applications that produced no finding (a finding is counted against one application)."""
        return max(self.exercised - self.violated, 0)

    def to_json(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "exercised": self.exercised,
            "passed": self.passed,
            "violated": self.violated,
        }


@dataclass(frozen=True, slots=True)
class Progress:
    """A snapshot handed to the progress callback after each example."""

    examples: int
    target: int
    failing: bool
    shrinking: bool


@dataclass(frozen=True, slots=True)
class Failure:
    """One minimal failing history: where it is saved, what the checker found, and the replay it came from."""

    path: Path
    findings: list[Finding]
    run: Run

    def to_json(self) -> dict[str, Any]:
        return {"history": str(self.path), "findings": [f.to_json() for f in self.findings]}


@dataclass(frozen=True, slots=True)
class CampaignResult:
    """What a campaign found: examples run, per-rule coverage, and each saved minimal failure with its findings."""

    implementation: str
    revision: str | None
    examples_run: int
    coverage: dict[str, RuleCoverage]
    failures: list[Failure] = field(default_factory=list)
    shrink_examples: int = 0
    seed: int | None = None
    # Wall time of the whole campaign, and the part of it spent inside the implementation's syncs.
    seconds: float = 0.0
    implementation_seconds: float = 0.0

    @property
    def harness_share(self) -> float:
        """The share of wall time the harness itself took (generation, replay, checking, shrinking)."""
        return 1.0 - self.implementation_seconds / self.seconds if self.seconds > 0 else 0.0

    @property
    def ok(self) -> bool:
        """True when no rule that can fail a run was violated."""
        return not any(failing(failure.findings) for failure in self.failures)

    def to_json(self) -> dict[str, Any]:
        """The report `--report-json` writes."""
        return {
            "ok": self.ok,
            "implementation": self.implementation,
            "revision": self.revision,
            "seed": self.seed,
            "examples": self.examples_run,
            "seconds": round(self.seconds, 3),
            "implementationSeconds": round(self.implementation_seconds, 3),
            "coverage": {rule: c.to_json() for rule, c in self.coverage.items()},
            "failures": [failure.to_json() for failure in self.failures],
        }


def coverage_table(revision: str | None, exercised: Counter[str], violated: Counter[str]) -> dict[str, RuleCoverage]:
    """Rule id -> coverage, for every rule in scope (in DESIGN.md's order), then any other rule that came up."""
    scope = rules_in_scope(revision)
    extra = [rule for rule in sorted(set(exercised) | set(violated)) if rule not in scope]
    return {rule: RuleCoverage(rule, rule in CHECKED_RULES, exercised[rule], violated[rule]) for rule in scope + extra}


def single_run_result(path: Path, run: Run, findings: list[Finding], exercised: Counter[str]) -> CampaignResult:
    """One judged run (a replayed history, a checked capture) as a one-example campaign result, so that the
    campaign's reports draw it; `path` is the history it came from."""
    violated = Counter(f.rule for f in findings)
    coverage = coverage_table(run.history.revision, exercised, violated)
    failures = [Failure(path, findings, run)] if findings else []
    return CampaignResult(run.implementation, run.history.revision, 1, coverage, failures)


def rules_in_scope(revision: str | None) -> list[str]:
    """The catalogue's rule ids that apply to `revision` (to either revision when None), in DESIGN.md's order."""
    revisions = set(REVISIONS) if revision is None else {revision}
    return [rule.id for rule in CATALOGUE.values() if rule.revisions & revisions]


class _Violation(Exception):
    """Raised inside the Hypothesis test body so that Hypothesis shrinks the history; carries what was found."""

    def __init__(self, run: Run, findings: list[Finding]) -> None:
        rules = sorted({f.rule for f in failing(findings)})
        super().__init__(f"violated: {', '.join(rules)}")
        self.run = run
        self.findings = findings


class Campaign:
    """A conformance campaign of `examples` generated histories against `impl`."""

    def __init__(
        self,
        impl: Implementation,
        *,
        revision: str | None = None,
        examples: int = 100,
        seed: int | None = None,
        faults: bool = True,
        max_steps: int = 30,
        save_failures: Path = DEFAULT_FAILURES,
        database: Path | None = DEFAULT_DATABASE,
        shrink: bool = True,
    ) -> None:
        if revision is not None and revision not in REVISIONS:
            raise ValueError(f"expected a revision among {', '.join(REVISIONS)}, saw {revision!r}")
        if examples < 1:
            raise ValueError(f"expected at least one example, saw {examples}")
        self.impl = impl
        self.revision = revision
        self.examples = examples
        self.seed = seed
        self.faults = faults
        self.max_steps = max_steps
        self.save_failures = Path(save_failures)
        self.database = database
        # Without shrinking the first failing history is saved as found: for implementations slow
        # enough (a process per sync, real waits) that hundreds of shrinking replays would not pay.
        self.shrink = shrink

    # -- running -----------------------------------------------------------------------------
    def run(self, progress: Callable[[Progress], None] | None = None) -> CampaignResult:
        """Run the campaign; a `CampaignError` when something other than a rule violation stops it."""
        exercised: Counter[str] = Counter()
        violated: Counter[str] = Counter()
        state: dict[str, Any] = {"examples": 0, "shrink": 0, "failing": False, "impl_seconds": 0.0}

        def body(history: History) -> None:
            run = replayer.replay(history, self.impl)
            state["impl_seconds"] += run.implementation_seconds
            counts: Counter[str] = Counter()
            findings = list(iter_findings(run, counts))
            bad = failing(findings)
            if not state["failing"]:
                state["examples"] += 1
                exercised.update(counts)
                violated.update(f.rule for f in findings)
                if bad:
                    state["failing"] = True
            else:
                state["shrink"] += 1
            if progress is not None:
                progress(Progress(int(state["examples"]), self.examples, bool(state["failing"]), state["shrink"] > 0))
            if bad:
                raise _Violation(run, findings)

        served = needs_servers(self.impl)
        # Crash steps kill the implementation's process, so only a cmd: implementation gets them.
        crashes = self.faults and served
        strategy = histories(self.revision, max_steps=self.max_steps, faults=self.faults, crashes=crashes)
        test = given(strategy)(body)
        test = settings(
            max_examples=self.examples,
            deadline=None,
            database=DirectoryBasedExampleDatabase(str(self.database)) if self.database is not None else None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
            derandomize=False,
            report_multiple_bugs=False,
            verbosity=Verbosity.quiet,
            print_blob=False,
            # No explain phase: it traces every line (sys.settrace on 3.11), which makes shrinking ~5x slower.
            phases=[
                Phase.explicit,
                Phase.reuse,
                Phase.generate,
                Phase.target,
                *([Phase.shrink] if self.shrink else []),
            ],
        )(test)
        if self.seed is not None:
            test = hypothesis_seed(self.seed)(test)
        # One example database entry per implementation, revision and fault setting: a failure found
        # against one implementation is tried first against that implementation next time.
        key = f"listrak-harness/conform|{self.impl.name}|{self.revision}|{self.faults}|{self.max_steps}"
        test._hypothesis_internal_database_key = hashlib.sha256(key.encode()).digest()  # type: ignore[attr-defined]

        failures: list[Failure] = []
        began = time.monotonic()
        try:
            with Replayer(served=served) as replayer:
                test()
        except _Violation as violation:
            # Hypothesis re-raises the exception of its last call: the minimal failing example.
            path = self._save(violation.run.history, violation.findings)
            failures.append(Failure(path, violation.findings, violation.run))
        except Exception as exc:
            raise CampaignError(f"{type(exc).__name__}: {exc}") from exc
        return CampaignResult(
            implementation=self.impl.name,
            revision=self.revision,
            examples_run=int(state["examples"]),
            coverage=self._coverage(exercised, violated),
            failures=failures,
            shrink_examples=int(state["shrink"]),
            seed=self.seed,
            seconds=time.monotonic() - began,
            implementation_seconds=float(state["impl_seconds"]),
        )

    def _coverage(self, exercised: Counter[str], violated: Counter[str]) -> dict[str, RuleCoverage]:
        return coverage_table(self.revision, exercised, violated)

    def _save(self, history: History, findings: list[Finding]) -> Path:
        rules = sorted({f.rule for f in failing(findings)}, key=lambda r: [f.rule for f in findings].index(r))
        meta = {
            "implementation": self.impl.name,
            "seed": self.seed,
            "rules": rules,
            "tool": "listrak-harness conform",
        }
        saved = History(history.steps, history.revision, history.write_key, meta)
        digest = hashlib.sha256(History(history.steps, history.revision, history.write_key).dumps().encode())
        self.save_failures.mkdir(parents=True, exist_ok=True)
        return saved.save(self.save_failures / f"{rules[0]}-{digest.hexdigest()[:12]}.json")
