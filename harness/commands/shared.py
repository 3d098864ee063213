"""What the judging commands (`conform`, `replay`, `check`) share: the report options, reading a
history, and the one-line usage error (exit 2) each prints as `listrak-harness COMMAND: ...`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections import Counter
    from datetime import datetime

    from harness.checker import Finding
    from harness.history import History
    from harness.replay import Run

__all__ = [
    "CommandError",
    "add_report_options",
    "finish_single_run",
    "load_history",
    "one_line",
    "usage_error",
    "verdict",
]


class CommandError(Exception):
    """Input a command cannot use; its message is the one line the command prints before exiting 2."""


def one_line(exc: BaseException) -> str:
    """An exception's message on one line (histories and streams can name multi-line values)."""
    return " ".join(str(exc).split())


def usage_error(command: str, message: str) -> int:
    """Print `listrak-harness COMMAND: MESSAGE` on stderr; the exit status for unusable input (2)."""
    print(f"listrak-harness {command}: {message}", file=sys.stderr)
    return 2


def add_report_options(parser: argparse.ArgumentParser, json_help: str = "write the findings as JSON") -> None:
    """`--report-json`, `--junit` and `--html`, as every judging command takes them."""
    parser.add_argument("--report-json", type=Path, metavar="PATH", help=json_help)
    parser.add_argument(
        "--junit", type=Path, metavar="PATH", help="write the verdict as JUnit XML, one testcase per rule (for CI)"
    )
    parser.add_argument(
        "--html",
        type=Path,
        metavar="PATH",
        help="write one self-contained HTML page: each failure as a marked timeline",
    )


def load_history(path: Path) -> History:
    """The saved history at `path`, validated; CommandError says why it cannot be used."""
    from harness.history import History, HistoryError

    try:
        return History.load(path)
    except HistoryError as exc:
        raise CommandError(f"{path} is not a usable history: {one_line(exc)}") from exc
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from exc


def verdict(failing: list[Finding]) -> str:
    """The last line of a judged run: the rules its failing findings violate, or OK."""
    if failing:
        return f"FAILED: {', '.join(sorted({f.rule for f in failing}))} violated"
    return "OK: no rule violated"


def finish_single_run(
    command: str,
    args: argparse.Namespace,
    run: Run,
    findings: list[Finding],
    exercised: Counter[str],
    document: dict[str, Any],
    *,
    seconds: float,
    started: datetime,
) -> int:
    """Write the reports asked for of one judged run (`replay`, `check`) and give the exit status:
    2 when a report could not be written, 1 when a rule was violated, else 0."""
    from harness.checker import failing
    from harness.commands.conform import write_reports
    from harness.conform import single_run_result

    status = write_reports(
        single_run_result(args.history, run, findings, exercised),
        report_json=args.report_json,
        document=document,
        junit=args.junit,
        html=args.html,
        seconds=seconds,
        timestamp=started,
        command=command,
    )
    if status is not None:
        return status
    return 1 if failing(findings) else 0
