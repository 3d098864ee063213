"""A conformance campaign as JUnit XML: one testcase per rule, so that CI shows which rules an implementation breaks.

CI systems (Jenkins, GitLab, GitHub test reporters, Azure) read JUnit XML and show each testcase as
passed, failed or skipped. A campaign maps onto that as one `<testsuite>` whose testcases are the
rules of the coverage table, in its order:

- a rule that can fail a run and was violated has a `<failure>` whose text is the readable findings,
  with the saved minimal history and the command that replays it;
- a rule the checker does not judge is skipped ("not checked by this harness version"), and a judged
  rule that no generated history exercised is skipped ("not exercised by the generated histories"),
  so that a green report never hides what was not tested;
- a hazard (a rule that never fails a run) passes, with whatever it found in `<system-out>`.

Values in findings come from generated data (unicode addresses, quotes, `<`, `&`, control
characters): `visible_text` writes the characters XML 1.0 cannot carry as escapes, and ElementTree
escapes the rest, so the file always parses.
"""

from __future__ import annotations

import re
import shlex
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from .checker import Finding
from .conform import CampaignResult, Failure, RuleCoverage
from .history import History, step_label
from .rules import REVISIONS, UnknownRule, get_rule

__all__ = [
    "NOT_CHECKED",
    "NOT_EXERCISED",
    "NOT_IN_CAPTURE",
    "RuleOutcome",
    "Status",
    "finding_text",
    "junit_xml",
    "replay_command",
    "rule_outcomes",
    "visible_text",
    "write_junit",
]

NOT_CHECKED = "not checked by this harness version"
NOT_EXERCISED = "not exercised by the generated histories"
NOT_IN_CAPTURE = "not exercised: a captured stream has no requests to judge"
# `listrak-harness check` names its results `captured:PATH` (the messages file it judged).
CAPTURED = "captured:"

Status = Literal["failed", "skipped", "hazard", "passed"]

# What XML 1.0 forbids (C0 controls but tab, newline and carriage return; surrogates; U+FFFE, U+FFFF),
# plus the C1 controls and DEL, which it allows but which no reader can see.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def visible_text(text: str) -> str:
    """`text` with each character XML 1.0 forbids or no one can see written as a Python escape (`\\x01`)."""
    return _INVISIBLE.sub(_escape_char, text)


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    """What a campaign says about one rule: its coverage, its verdict, and the findings behind the verdict.

    `status` is `failed` (a failing rule was violated), `skipped` (not checked, or never exercised),
    `hazard` (a hazard that found something, reported but passing) or `passed`.
    """

    coverage: RuleCoverage
    kind: str
    status: Status
    reason: str
    findings: tuple[tuple[Failure, Finding], ...]


def rule_outcomes(result: CampaignResult) -> list[RuleOutcome]:
    """Each rule of the coverage table, in its order, with its verdict; shared by the JUnit and HTML reports."""
    found: dict[str, list[tuple[Failure, Finding]]] = {}
    for failure in result.failures:
        for finding in failure.findings:
            found.setdefault(finding.rule, []).append((failure, finding))
    coverage = dict(result.coverage)
    for rule in found:  # a rule only the minimal history broke still gets a row
        coverage.setdefault(rule, RuleCoverage(rule, checked=True, exercised=0, violated=0))
    outcomes = []
    for rule, cov in coverage.items():
        kind, fails = _kind(rule)
        findings = tuple(found.get(rule, ()))
        status: Status
        if fails and (cov.violated or findings):
            status, reason = "failed", _failure_reason(cov, findings)
        elif findings or (not fails and cov.violated):
            status, reason = "hazard", f"reported {_times(max(cov.violated, len(findings)))}; hazards never fail a run"
        elif not cov.checked:
            status, reason = "skipped", NOT_CHECKED
        elif cov.exercised == 0:
            captured = result.implementation.startswith(CAPTURED)
            status, reason = "skipped", NOT_IN_CAPTURE if captured else NOT_EXERCISED
        else:
            status, reason = "passed", f"exercised {_times(cov.exercised)}, never violated"
        outcomes.append(RuleOutcome(cov, kind, status, reason, findings))
    return outcomes


def _kind(rule_id: str) -> tuple[str, bool]:
    try:
        rule = get_rule(rule_id)
    except UnknownRule:
        return "rule", True  # as `failing` does: a rule the catalogue does not know is no excusable hazard
    return rule.kind, rule.fails


def _failure_reason(coverage: RuleCoverage, findings: tuple[tuple[Failure, Finding], ...]) -> str:
    if findings:
        return visible_text(findings[0][1].explanation)
    return (
        f"violated {_times(coverage.violated)} in the generated histories; "
        "the saved minimal history was shrunk for another rule"
    )


def replay_command(path: Path, implementation: str) -> str:
    """The shell command that reproduces a failure: a replay of the saved history against the implementation
    that failed it, or, for a captured stream, `check` of that stream against the history."""
    if implementation.startswith(CAPTURED):
        messages = implementation[len(CAPTURED) :]
        return f"listrak-harness check --history {shlex.quote(str(path))} --messages {shlex.quote(messages)}"
    return f"listrak-harness replay {shlex.quote(str(path))} --impl {shlex.quote(implementation)}"


def finding_text(finding: Finding, history: History | None = None) -> str:
    """One finding, readable: the rule, why, expected and seen, where in the history, and its documentation."""
    lines = [f"[{finding.rule}] revision {finding.revision}, sync {finding.sync} (step {finding.sync_step + 1})"]
    lines.append(f"  {finding.explanation}")
    lines.append(f"  expected: {finding.expected}")
    lines.append(f"  seen:     {finding.seen}")
    if finding.steps:
        lines.append(f"  steps:    {'; '.join(_step_text(i, history) for i in finding.steps)}")
    if finding.messages:
        lines.append(f"  messages: {', '.join(str(m) for m in finding.messages)}")
    lines.append(f'  documentation ({finding.source or finding.revision}): "{finding.quote}"')
    return visible_text("\n".join(lines))


def _step_text(index: int, history: History | None) -> str:
    if history is not None and 0 <= index < len(history.steps):
        return step_label(index, history.steps[index])
    return f"step {index + 1}"


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else many or one + 's'}"


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def _failure_text(outcome: RuleOutcome, implementation: str, examples: int) -> str:
    cov = outcome.coverage
    parts = [
        f"{cov.rule} violated {_times(cov.violated)} in {_plural(cov.exercised, 'application')} "
        f"over {_plural(examples, 'generated history', 'generated histories')}."
    ]
    if not outcome.findings:
        parts.append(outcome.reason)
    failures: list[Failure] = []
    for failure, _ in outcome.findings:
        if not any(failure is seen for seen in failures):
            failures.append(failure)
    for failure in failures:
        history = failure.run.history
        block = [
            f"Minimal failing history: {failure.path} (revision {history.revision}, {len(history.steps)} steps)",
            f"Replay it: {replay_command(failure.path, implementation)}",
            "",
            *(finding_text(f, history) for fail, f in outcome.findings if fail is failure),
            "",
            "History:",
            history.describe(),
        ]
        parts.append("\n".join(block))
    return visible_text("\n\n".join(parts))


def junit_xml(
    result: CampaignResult, *, seconds: float = 0.0, timestamp: datetime | None = None, command: str = "conform"
) -> str:
    """The campaign as a JUnit XML document (`<testsuites>` holding one `<testsuite>`), as text.

    The suite is named `listrak-harness COMMAND IMPL`; `seconds` is the campaign's duration.
    """
    outcomes = rule_outcomes(result)
    failures = sum(o.status == "failed" for o in outcomes)
    skipped = sum(o.status == "skipped" for o in outcomes)
    name = visible_text(f"listrak-harness {command} {result.implementation}")
    counts = {
        "tests": str(len(outcomes)),
        "failures": str(failures),
        "errors": "0",
        "skipped": str(skipped),
        "time": f"{max(seconds, 0.0):.3f}",
    }
    root = ET.Element("testsuites", {"name": name, **counts})
    suite_attributes = {"name": name, **counts}
    if timestamp is not None:
        suite_attributes["timestamp"] = timestamp.isoformat(timespec="seconds")
    suite = ET.SubElement(root, "testsuite", suite_attributes)
    properties = ET.SubElement(suite, "properties")
    for key, value in (
        ("implementation", result.implementation),
        ("revision", result.revision or ", ".join(REVISIONS)),
        ("examples", str(result.examples_run)),
        ("shrink_examples", str(result.shrink_examples)),
        ("seed", "" if result.seed is None else str(result.seed)),
        ("ok", "true" if result.ok else "false"),
        *(("failure_history", str(failure.path)) for failure in result.failures),
    ):
        ET.SubElement(properties, "property", {"name": key, "value": visible_text(value)})
    for outcome in outcomes:
        case = ET.SubElement(
            suite,
            "testcase",
            {"classname": f"listrak-harness.{outcome.kind}", "name": visible_text(outcome.coverage.rule), "time": "0"},
        )
        if outcome.status == "failed":
            failure = ET.SubElement(case, "failure", {"message": outcome.reason, "type": outcome.coverage.rule})
            failure.text = _failure_text(outcome, result.implementation, result.examples_run)
        elif outcome.status == "skipped":
            ET.SubElement(case, "skipped", {"message": outcome.reason})
        elif outcome.status == "hazard":
            out = ET.SubElement(case, "system-out")
            texts = [f"{outcome.coverage.rule} (hazard, never fails a run): {outcome.reason}"]
            texts += [finding_text(f, failure.run.history) for failure, f in outcome.findings]
            out.text = visible_text("\n\n".join(texts))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_junit(
    result: CampaignResult,
    path: Path,
    *,
    seconds: float = 0.0,
    timestamp: datetime | None = None,
    command: str = "conform",
) -> None:
    """Write `junit_xml(result)` to `path` as UTF-8, making its directory; `OSError` when it cannot."""
    document = junit_xml(result, seconds=seconds, timestamp=timestamp, command=command)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(document, encoding="utf-8")
