"""`listrak-harness replay HISTORY.json --impl IMPL`: replay one saved history and print its findings.

Exit 0 when no rule that can fail a run was violated, 1 on a violation, 2 for an unusable history or IMPL.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from harness.commands.conform import format_findings, write_json, write_reports

if TYPE_CHECKING:
    from harness.checker import Finding
    from harness.conform import CampaignResult
    from harness.replay import Run

__all__ = ["add_replay_parser", "run_replay"]


def add_replay_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "replay",
        help="replay one saved history against an implementation and judge it",
        description="Replay a saved history (every conform failure is saved as one) against IMPL through "
        "the fakes (in-process; on loopback for cmd:), and print each finding. Exit 0 only when no rule was "
        "violated.",
    )
    parser.add_argument("history", type=Path, metavar="HISTORY.json", help="a saved history")
    parser.add_argument(
        "--impl",
        required=True,
        metavar="IMPL",
        help="reference, python:package.module:function, or cmd:COMMAND (run through /bin/sh at every sync)",
    )
    parser.add_argument("--report-json", type=Path, metavar="PATH", help="write the findings as JSON")
    parser.add_argument(
        "--junit", type=Path, metavar="PATH", help="write the verdict as JUnit XML, one testcase per rule"
    )
    parser.add_argument(
        "--html", type=Path, metavar="PATH", help="write one self-contained HTML page: the history as a marked timeline"
    )


def run_replay(args: argparse.Namespace) -> int:
    """Replay and judge; 0 conforms, 1 violations, 2 for an unreadable history or a bad IMPL."""
    from harness.checker import iter_findings
    from harness.conform import failing
    from harness.history import History, HistoryError
    from harness.impls import ImplError, parse_impl
    from harness.replay import ReplayError, replay

    try:
        history = History.load(args.history)
    except HistoryError as exc:
        return _error(f"{args.history} is not a usable history: {_one_line(exc)}")
    except OSError as exc:
        return _error(f"cannot read {args.history}: {exc.strerror or exc}")
    try:
        impl = parse_impl(args.impl)
    except ImplError as exc:
        return _error(str(exc))
    started, began = datetime.now(UTC), time.monotonic()
    try:
        run = replay(history, impl)
    except (ReplayError, HistoryError) as exc:
        return _error(f"cannot replay {args.history}: {_one_line(exc)}")
    exercised: Counter[str] = Counter()
    findings = list(iter_findings(run, exercised))
    seconds = time.monotonic() - began
    bad = failing(findings)
    print(f"replay {args.history} against {impl.name} (revision {history.revision}, {len(run.records)} syncs)")
    print(history.describe())
    print()
    print(format_findings(findings))
    print()
    if bad:
        print(f"FAILED: {', '.join(sorted({f.rule for f in bad}))} violated")
    else:
        print("OK: no rule violated")
    if args.report_json is not None:
        document = {
            "ok": not bad,
            "implementation": impl.name,
            "history": str(args.history),
            "findings": [f.to_json() for f in findings],
        }
        try:
            write_json(args.report_json, document)
        except OSError as exc:
            return _error(f"cannot write {args.report_json}: {exc.strerror or exc}")
    if args.junit is not None or args.html is not None:
        result = _as_result(args.history, run, findings, exercised)
        status = write_reports(
            result, junit=args.junit, html=args.html, seconds=seconds, timestamp=started, command="replay"
        )
        if status is not None:
            return status
    return 1 if bad else 0


def _as_result(path: Path, run: Run, findings: list[Finding], exercised: Counter[str]) -> CampaignResult:
    """One replayed history as a one-example campaign result, so that the conform reports draw it."""
    from harness.checker import CHECKED_RULES
    from harness.conform import CampaignResult, Failure, RuleCoverage, rules_in_scope

    violated = Counter(f.rule for f in findings)
    scope = rules_in_scope(run.history.revision)
    rules = scope + sorted((set(exercised) | set(violated)) - set(scope))
    coverage = {rule: RuleCoverage(rule, rule in CHECKED_RULES, exercised[rule], violated[rule]) for rule in rules}
    failures = [Failure(path, findings, run)] if findings else []
    return CampaignResult(run.implementation, run.history.revision, 1, coverage, failures)


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def _error(message: str) -> int:
    print(f"listrak-harness replay: {message}", file=sys.stderr)
    return 2
