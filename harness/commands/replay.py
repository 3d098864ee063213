"""`listrak-harness replay HISTORY.json --impl IMPL`: replay one saved history and print its findings.

Exit 0 when no rule that can fail a run was violated, 1 on a violation, 2 for an unusable history or IMPL.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from harness.commands.conform import format_findings
from harness.commands.shared import (
    CommandError,
    add_report_options,
    finish_single_run,
    load_history,
    one_line,
    usage_error,
    verdict,
)

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
    add_report_options(parser)


def run_replay(args: argparse.Namespace) -> int:
    """Replay and judge; 0 conforms, 1 violations, 2 for an unreadable history or a bad IMPL."""
    from harness.checker import failing, iter_findings
    from harness.history import HistoryError
    from harness.impls import ImplError, parse_impl
    from harness.replay import ReplayError, replay

    try:
        history = load_history(args.history)
    except CommandError as exc:
        return _error(str(exc))
    try:
        impl = parse_impl(args.impl)
    except ImplError as exc:
        return _error(str(exc))
    started, began = datetime.now(UTC), time.monotonic()
    try:
        run = replay(history, impl)
    except (ReplayError, HistoryError) as exc:
        return _error(f"cannot replay {args.history}: {one_line(exc)}")
    exercised: Counter[str] = Counter()
    findings = list(iter_findings(run, exercised))
    seconds = time.monotonic() - began
    bad = failing(findings)
    print(f"replay {args.history} against {impl.name} (revision {history.revision}, {len(run.records)} syncs)")
    print(history.describe())
    print()
    print(format_findings(findings))
    print()
    print(verdict(bad))
    document = {
        "ok": not bad,
        "implementation": impl.name,
        "history": str(args.history),
        "findings": [f.to_json() for f in findings],
    }
    return finish_single_run("replay", args, run, findings, exercised, document, seconds=seconds, started=started)


def _error(message: str) -> int:
    return usage_error("replay", message)
