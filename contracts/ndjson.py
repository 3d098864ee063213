"""Check a file of newline-delimited JSON messages against the contracts, line by line.

Without a revision each message meets the Segment Spec; with one, the Listrak Source contracts of
that documentation revision (which include the Spec).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .validator import Finding, describe_value, findings, source_validator

__all__ = ["LineResult", "NdjsonReport", "format_text", "validate_file", "validate_lines"]

_JSON_RULE = "json"
_JSON_CONTRACT = "ndjson"


@dataclass(frozen=True, slots=True)
class LineResult:
    """The verdict on one non-blank line: its number (from 1), its messageId if it has one, its findings."""

    line: int
    message_id: str | None
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        """Whether the line holds a message that meets its contract."""
        return not self.findings


@dataclass(frozen=True, slots=True)
class NdjsonReport:
    """The verdicts on every non-blank line of an NDJSON input, in order, and the revision checked against."""

    results: tuple[LineResult, ...]
    revision: str | None = None

    @property
    def messages(self) -> int:
        """How many non-blank lines were checked."""
        return len(self.results)

    @property
    def valid(self) -> int:
        """How many lines hold a message that meets its contract."""
        return sum(1 for result in self.results if result.ok)

    @property
    def invalid(self) -> int:
        """How many lines are not JSON, not an object, or break their contract."""
        return self.messages - self.valid

    @property
    def ok(self) -> bool:
        """Whether every line passed (an input with no messages passes)."""
        return all(result.ok for result in self.results)


def validate_lines(lines: Iterable[str], revision: str | None = None) -> NdjsonReport:
    """Check each line as one JSON message; blank lines are skipped but still counted for line numbers.

    ``revision`` (``2023-07-13``, ``2023-08-03``) checks against that revision's Listrak Source contracts
    instead of the Segment Spec alone; an unknown one raises `UnknownRevision` before any line is read.
    """
    check = findings if revision is None else source_validator(revision).findings
    results = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            results.append(_check_line(number, line, check))
    return NdjsonReport(results=tuple(results), revision=revision)


def validate_file(path: str | os.PathLike[str], revision: str | None = None) -> NdjsonReport:
    """Check an NDJSON file (UTF-8, a leading byte-order mark tolerated) line by line (see `validate_lines`)."""
    with open(path, encoding="utf-8-sig") as lines:
        return validate_lines(lines, revision)


def format_text(report: NdjsonReport) -> str:
    """One line per finding, then a summary line: ``N messages, M valid, K invalid`` (and the revision, if any)."""
    out: list[str] = []
    for result in report.results:
        where = f"line {result.line}"
        if result.message_id is not None:
            where += f" (messageId {result.message_id})"
        for finding in result.findings:
            rule = f"{finding.rule}: {finding.keyword}" if finding.keyword else finding.rule
            out.append(f"{where}: {finding.message} [{rule}]")
    noun = "message" if report.messages == 1 else "messages"
    summary = f"{report.messages} {noun}, {report.valid} valid, {report.invalid} invalid"
    if report.revision is not None:
        summary += f" against the Listrak Source contracts of {report.revision}"
    out.append(summary)
    return "\n".join(out)


def _check_line(number: int, line: str, check: Callable[[object], list[Finding]]) -> LineResult:
    try:
        message = json.loads(line, parse_constant=_reject_constant)
    except ValueError as error:
        detail = f"{error.msg} at column {error.colno}" if isinstance(error, json.JSONDecodeError) else str(error)
        return _not_a_message(number, f"text that is not JSON ({detail})")
    if not isinstance(message, dict):
        return _not_a_message(number, describe_value(message))
    message_id = message.get("messageId")
    return LineResult(
        line=number,
        message_id=message_id if isinstance(message_id, str) else None,
        findings=tuple(check(message)),
    )


def _not_a_message(number: int, seen: str) -> LineResult:
    finding = Finding(
        path="$",
        rule=_JSON_RULE,
        message=f"$: expected a JSON object, saw {seen}",
        contract=_JSON_CONTRACT,
    )
    return LineResult(line=number, message_id=None, findings=(finding,))


def _reject_constant(name: str) -> object:
    # Python's json accepts NaN and Infinity; JSON, and so Segment, does not.
    raise ValueError(f"{name} is not a JSON value")
