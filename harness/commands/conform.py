"""`listrak-harness conform --impl IMPL`: a conformance campaign, its coverage table and its minimal failures.

Exit 0 when no rule that can fail a run was violated, 1 on a violation, 2 for usage or configuration errors.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.commands.shared import add_report_options, usage_error
from harness.paths import DEFAULT_DATABASE, DEFAULT_FAILURES
from harness.rules import CATALOGUE, REVISIONS

if TYPE_CHECKING:
    # The engine (Hypothesis, the checker, both fakes) loads when a command runs, not when the CLI
    # starts: `listrak-harness sync`, run from cron every few minutes, never needs it.
    from harness.checker import Finding
    from harness.conform import CampaignResult, Progress, RuleCoverage
    from harness.history import History

__all__ = [
    "add_conform_parser",
    "format_coverage",
    "format_failure",
    "format_findings",
    "run_conform",
    "write_json",
    "write_reports",
]

_WIDTH = 100


def add_conform_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "conform",
        help="run a conformance campaign: generated histories against an implementation",
        description="Generate histories, replay each against IMPL through the fakes (in-process; on loopback "
        "for cmd:), judge every rule, and shrink the first failure to a minimal history, saved so that "
        "`listrak-harness replay` reproduces it. Exit 0 only when no rule was violated.",
    )
    parser.add_argument(
        "--impl",
        required=True,
        metavar="IMPL",
        help="reference, python:package.module:function, or cmd:COMMAND (run through /bin/sh at every sync)",
    )
    parser.add_argument("--examples", type=_positive, default=100, metavar="N", help="histories to try (default 100)")
    parser.add_argument(
        "--seed", type=int, metavar="S", help="make the run repeatable (Hypothesis then keeps no example database)"
    )
    parser.add_argument(
        "--revision", choices=REVISIONS, help="documentation revision (default: each history draws one)"
    )
    parser.add_argument(
        "--faults",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="inject faults on both fakes between syncs, and for cmd: crash steps (default: on, so that the fault "
        "rules are exercised; --no-faults for clean histories only)",
    )
    parser.add_argument(
        "--max-steps", type=_positive, default=30, metavar="N", help="steps in a history at most (default 30)"
    )
    parser.add_argument(
        "--save-failures",
        type=Path,
        default=DEFAULT_FAILURES,
        metavar="DIR",
        help=f"where minimal failing histories are saved (default {DEFAULT_FAILURES})",
    )
    parser.add_argument(
        "--database",
        type=Path,
        default=DEFAULT_DATABASE,
        metavar="DIR",
        help=f"Hypothesis example database, kept between runs (default {DEFAULT_DATABASE})",
    )
    parser.add_argument("--no-database", action="store_true", help="keep no example database")
    parser.add_argument(
        "--no-shrink", action="store_true", help="save the first failing history as found, without shrinking it"
    )
    add_report_options(parser, "write the report as JSON (every finding, the coverage table)")
    parser.add_argument(
        "--progress-every", type=_positive, default=10, metavar="N", help="a progress line every N examples"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, saw {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, saw {value}")
    return value


def run_conform(args: argparse.Namespace) -> int:
    """Run the campaign and print the report; 0 conforms, 1 violations, 2 usage or configuration errors."""
    from harness.conform import Campaign, CampaignError
    from harness.impls import ImplError, parse_impl

    try:
        impl = parse_impl(args.impl)
    except ImplError as exc:
        return _error(str(exc))
    try:
        campaign = Campaign(
            impl,
            revision=args.revision,
            examples=args.examples,
            seed=args.seed,
            faults=args.faults,
            max_steps=args.max_steps,
            save_failures=args.save_failures,
            database=None if args.no_database else args.database,
            shrink=not args.no_shrink,
        )
    except ValueError as exc:
        return _error(str(exc))
    started, began = datetime.now(UTC), time.monotonic()
    try:
        result = campaign.run(progress=None if args.quiet else _progress_printer(args.progress_every))
    except CampaignError as exc:
        return _error(f"the campaign stopped: {exc}")
    except OSError as exc:
        return _error(f"cannot save a failure under {args.save_failures}: {exc.strerror or exc}")
    seconds = time.monotonic() - began

    print(format_result(result))
    status = write_reports(
        result,
        report_json=args.report_json,
        junit=args.junit,
        html=args.html,
        seconds=seconds,
        timestamp=started,
    )
    if status is not None:
        return status
    return 0 if result.ok else 1


def write_reports(
    result: CampaignResult,
    *,
    report_json: Path | None = None,
    junit: Path | None = None,
    html: Path | None = None,
    seconds: float = 0.0,
    timestamp: datetime | None = None,
    command: str = "conform",
    document: Mapping[str, Any] | None = None,
) -> int | None:
    """Write each report asked for; None when all were written, else 2 after the `_error` line for the first failing.

    `document` replaces `result.to_json()` as the JSON report (`replay` and `check` say more about their one run).
    """
    from harness.report_html import write_html
    from harness.report_junit import write_junit

    writers: list[tuple[Path | None, Callable[[Path], None]]] = [
        (report_json, lambda path: write_json(path, result.to_json() if document is None else document)),
        (junit, lambda path: write_junit(result, path, seconds=seconds, timestamp=timestamp, command=command)),
        (html, lambda path: write_html(result, path, command=command)),
    ]
    for path, write in writers:
        if path is None:
            continue
        try:
            write(path)
        except OSError as exc:
            return _error(f"cannot write {path}: {exc.strerror or exc}", command)
    return None


def _error(message: str, command: str = "conform") -> int:
    return usage_error(command, message)


def _progress_printer(every: int) -> Callable[[Progress], None]:
    state = {"last": 0, "shrinking": False}

    def show(progress: Progress) -> None:
        if progress.shrinking:
            if not state["shrinking"]:
                state["shrinking"] = True
                print(
                    f"conform: violation at example {progress.examples}; shrinking to a minimal history...",
                    file=sys.stderr,
                )
            return
        if progress.examples != state["last"] and (
            progress.examples % every == 0 or progress.examples == progress.target
        ):
            state["last"] = progress.examples
            print(f"conform: {progress.examples}/{progress.target} examples", file=sys.stderr)

    return show


def write_json(path: Path, document: Mapping[str, Any]) -> None:
    """Write a report as UTF-8 JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# -- text report ---------------------------------------------------------------------------------
def format_result(result: CampaignResult) -> str:
    """The whole text report: a header, the coverage table, each failure, and the verdict."""
    scope = f"revision {result.revision}" if result.revision else f"revisions {', '.join(REVISIONS)}"
    seed = f", seed {result.seed}" if result.seed is not None else ""
    parts = [
        f"conform {result.implementation}: {result.examples_run} histories ({scope}{seed})",
        format_coverage(result.coverage.values()),
    ]
    for failure in result.failures:
        parts.append(format_failure(failure.path, failure.run.history, failure.findings, result.implementation))
    if result.ok:
        parts.append(f"OK: no rule violated in {result.examples_run} histories")
    else:
        from harness.checker import failing

        rules = sorted({f.rule for failure in result.failures for f in failing(failure.findings)})
        parts.append(f"FAILED: {', '.join(rules)} violated (minimal history saved: {result.failures[0].path})")
    return "\n\n".join(parts)


def format_coverage(rows: Iterable[RuleCoverage]) -> str:
    """The rule x (exercised, passed, violated) table; rules the checker does not judge say so."""
    rows = list(rows)
    width = max([len("rule"), *(len(r.rule) for r in rows)])
    lines = [f"{'rule':<{width}}  {'exercised':>9}  {'passed':>9}  {'violated':>9}"]
    lines.append("-" * len(lines[0]))
    unchecked = 0
    for r in rows:
        if r.checked:
            hazard = "  hazard: reported, never a failure" if _is_hazard(r.rule) else ""
            lines.append(f"{r.rule:<{width}}  {r.exercised:>9}  {r.passed:>9}  {r.violated:>9}{hazard}")
        else:
            unchecked += 1
            lines.append(f"{r.rule:<{width}}  {'-':>9}  {'-':>9}  {'-':>9}  not checked")
    checked = len(rows) - unchecked
    if unchecked:
        lines.append(f"{checked} rules checked; {unchecked} not checked (the checker does not judge them)")
    else:
        lines.append(f"all {checked} rules checked")
    return "\n".join(lines)


def format_failure(path: Path, history: History, findings: list[Finding], impl: str = "IMPL") -> str:
    """One failure: where the history is saved, its steps, and its findings."""
    return "\n".join(
        [
            f"FAILURE: minimal history saved as {path}",
            f"  replay it: {_replay_command(path, impl)}",
            f"History (revision {history.revision}):",
            history.describe(),
            format_findings(findings),
        ]
    )


def format_findings(findings: list[Finding]) -> str:
    """Each finding: the rule, why, expected and seen, and the documentation sentence it rests on."""
    if not findings:
        return "No findings."
    blocks = [f"{len(findings)} finding{'s' if len(findings) != 1 else ''}:"]
    for finding in findings:
        hazard = "hazard " if _is_hazard(finding.rule) else ""
        lines = [f"[{hazard}{finding.rule}] (sync {finding.sync}, step {finding.sync_step + 1})"]
        lines.append(_wrap(finding.explanation, "  "))
        lines.append(_wrap(f"expected: {finding.expected}", "  "))
        lines.append(_wrap(f"seen:     {finding.seen}", "  "))
        lines.append(_wrap(f'documentation ({finding.source or finding.revision}): "{finding.quote}"', "  "))
        blocks.append("\n".join(lines))
    return "\n".join(blocks)


def _is_hazard(rule_id: str) -> bool:
    rule = CATALOGUE.get(rule_id)
    return rule is not None and rule.kind == "hazard"


def _replay_command(path: Path, impl: str) -> str:
    from harness.report_junit import replay_command

    return replay_command(path, impl)


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(
        text,
        width=_WIDTH,
        initial_indent=indent,
        subsequent_indent=indent + "  ",
        break_long_words=False,
        break_on_hyphens=False,
    )
