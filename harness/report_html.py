"""A conformance campaign as one self-contained HTML page: coverage, and each failure drawn as a marked timeline.

The page is for the person who has to fix the implementation. It opens with the verdict and the
coverage table (rule x exercised, passed, violated; rules the checker does not judge are marked),
then shows each minimal failing history as a timeline: the history's steps in order on the left,
and beside each `sync` step the Segment messages that sync sent (type, ids, traits, messageId),
what Segment discarded, the faults that fired and how the sync ended. Every step and message a
finding names is highlighted and annotated with the rule and its explanation, and the sync where
the checker judged it carries the expected and seen values, so the violation can be read off the
page without re-running anything.

One file, no external resources, no script: it must open from a CI artifact store, an e-mail or
a disconnected laptop. All text goes through `html.escape`, after `visible_text` has written out
the characters no reader can see; the page is UTF-8, so unicode addresses render as they are.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fake_segment.models import Discard, StoredMessage

from .checker import Finding
from .conform import CampaignResult, Failure, failing
from .history import Step, Sync
from .replay import SyncRecord
from .report_junit import NOT_CHECKED, RuleOutcome, replay_command, rule_outcomes, visible_text
from .rules import REVISIONS

__all__ = ["html_report", "write_html"]

# Anything that starts like a list trait, in any spelling: the page shows it among the list traits.
_LIST_TRAIT = re.compile(r"^listrak[ _-]?list", re.IGNORECASE)


def _e(value: object) -> str:
    """Text for an HTML text node or a quoted attribute value."""
    return html.escape(visible_text(str(value)), quote=True)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else many or one + 's'}"


# -- the page ------------------------------------------------------------------------------------
def html_report(result: CampaignResult, *, command: str = "conform") -> str:
    """The campaign as one self-contained HTML page (UTF-8 text, no external resources), titled by `command`."""
    outcomes = rule_outcomes(result)
    violated = [o.coverage.rule for o in outcomes if o.status == "failed"]
    verdict = "OK" if result.ok else "FAILED"
    title = f"{verdict}: listrak-harness {command} {result.implementation}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        _header(result, violated, command),
        "<main>",
        _coverage_section(outcomes, result),
    ]
    for number, failure in enumerate(result.failures, 1):
        parts.append(_FailureView(number, failure, result.implementation).render())
    parts += ["</main>", "</body>", "</html>", ""]
    return "\n".join(parts)


def write_html(result: CampaignResult, path: Path, *, command: str = "conform") -> None:
    """Write `html_report(result)` to `path` as UTF-8, making its directory; `OSError` when it cannot."""
    document = html_report(result, command=command)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(document, encoding="utf-8")


def _header(result: CampaignResult, violated: list[str], command: str) -> str:
    if result.ok:
        verdict = f"OK: no rule violated in {_plural(result.examples_run, 'history', 'histories')}"
    else:
        verdict = f"FAILED: {', '.join(violated)} violated"
    revision = result.revision or f"each history draws one of {', '.join(REVISIONS)}"
    examples = str(result.examples_run)
    if result.shrink_examples:
        examples += f" (and {result.shrink_examples} more while shrinking the failure)"
    facts = [
        ("implementation", f"<code>{_e(result.implementation)}</code>"),
        ("revision", _e(revision)),
        ("histories", _e(examples)),
        ("seed", _e(result.seed) if result.seed is not None else "none (random)"),
        ("minimal failures", _e(len(result.failures))),
    ]
    rows = "".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in facts)
    state = "ok" if result.ok else "failed"
    return (
        f'<header class="verdict {state}">'
        f"<h1>listrak-harness {_e(command)} <code>{_e(result.implementation)}</code></h1>"
        f'<p class="verdict-line" id="verdict">{_e(verdict)}</p>'
        f'<dl class="facts">{rows}</dl>'
        "</header>"
    )


def _coverage_section(outcomes: list[RuleOutcome], result: CampaignResult) -> str:
    anchors = _finding_anchors(result.failures)
    rows = []
    for outcome in outcomes:
        cov = outcome.coverage
        rule = _e(cov.rule)
        if cov.rule in anchors:
            rule = f'<a href="#{anchors[cov.rule]}">{rule}</a>'
        if cov.checked:
            numbers = f'<td class="num">{cov.exercised}</td><td class="num">{cov.passed}</td>'
            numbers += f'<td class="num">{cov.violated}</td>'
        else:
            numbers = '<td class="num">-</td>' * 3
        rows.append(
            f'<tr class="rule {outcome.status}{"" if cov.checked else " unchecked"}" data-rule="{_e(cov.rule)}">'
            f"<th scope=row>{rule}</th><td>{_e(outcome.kind)}</td>{numbers}"
            f'<td class="status">{_status_label(outcome)}</td></tr>'
        )
    checked = sum(o.coverage.checked for o in outcomes)
    unchecked = f"; {len(outcomes) - checked} {NOT_CHECKED}" if checked < len(outcomes) else ""
    return (
        '<section id="coverage"><h2>Rule coverage</h2>'
        '<table class="coverage"><thead><tr><th scope=col>rule</th><th scope=col>kind</th>'
        '<th scope=col class="num">exercised</th><th scope=col class="num">passed</th>'
        '<th scope=col class="num">violated</th><th scope=col>verdict</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
        f'<p class="note-line">{_plural(checked, "rule")} checked{unchecked}. '
        "Exercised counts each time a rule was applied over the generated histories (shrinking aside).</p>"
        "</section>"
    )


def _status_label(outcome: RuleOutcome) -> str:
    label = {"failed": "violated", "hazard": "hazard reported", "passed": "passed", "skipped": "skipped"}
    text = label[outcome.status]
    if outcome.status == "skipped" or (outcome.status == "failed" and not outcome.findings):
        return f"<span class=badge>{text}</span> {_e(outcome.reason)}"
    return f"<span class=badge>{text}</span>"


def _finding_anchors(failures: list[Failure]) -> dict[str, str]:
    """Rule id -> the id of the first finding of that rule on the page."""
    anchors: dict[str, str] = {}
    for number, failure in enumerate(failures, 1):
        for index, finding in enumerate(failure.findings, 1):
            anchors.setdefault(finding.rule, f"f{number}-finding-{index}")
    return anchors


# -- one failure ---------------------------------------------------------------------------------
@dataclass(slots=True)
class _Mark:
    """A finding attached to one place on the timeline."""

    anchor: str  # the finding's article
    judged_at: str  # the timeline row of the sync where the checker judged it
    finding: Finding
    violation: bool


@dataclass(slots=True)
class _Marks:
    """Where each finding of a failure lands on its timeline: steps, judged syncs, messages and discards."""

    steps: dict[int, list[_Mark]] = field(default_factory=dict)
    judged: dict[int, list[_Mark]] = field(default_factory=dict)
    # By the page id of a message or discard card (`msg-3`, `discard-4`).
    cards: dict[str, list[_Mark]] = field(default_factory=dict)


class _FailureView:
    """Renders one minimal failure: where it is saved, its findings, and its marked timeline."""

    def __init__(self, number: int, failure: Failure, implementation: str) -> None:
        self.number = number
        self.failure = failure
        self.implementation = implementation
        self.history = failure.run.history
        self.records: dict[int, SyncRecord] = {record.step: record for record in failure.run.records}
        self.bad = {id(f) for f in failing(failure.findings)}
        # A finding names a stored message by its seq, a discarded one by its messageId.
        self.cards: dict[int | str, str] = {}
        for record in failure.run.records:
            for stored in record.messages:
                self.cards[stored.seq] = f"msg-{stored.seq}"
                self.cards.setdefault(_message_id(stored.message) or stored.seq, f"msg-{stored.seq}")
            for discard in record.discards:
                self.cards[_message_id(discard.message) or f"discard-{discard.seq}"] = f"discard-{discard.seq}"
        self.marks = _Marks()
        for index, finding in enumerate(failure.findings, 1):
            judged_at = self._id(f"step-{finding.sync_step + 1}")
            mark = _Mark(self._id(f"finding-{index}"), judged_at, finding, id(finding) in self.bad)
            self.marks.judged.setdefault(finding.sync_step, []).append(mark)
            for step in finding.steps:
                if step != finding.sync_step:
                    self.marks.steps.setdefault(step, []).append(mark)
            for ref in finding.messages:
                if ref in self.cards:
                    self.marks.cards.setdefault(self.cards[ref], []).append(mark)

    def _id(self, local: str) -> str:
        return f"f{self.number}-{local}"

    def render(self) -> str:
        rules = sorted({f.rule for f in self.failure.findings if id(f) in self.bad})
        syncs = sum(isinstance(step, Sync) for step in self.history.steps)
        command = replay_command(self.failure.path, self.implementation)
        return (
            f'<section class="failure" id="{self._id("failure")}">'
            f"<h2>Minimal failing history {self.number}: {_e(', '.join(rules) or 'hazards only')}</h2>"
            f'<p class="saved">Saved as <code>{_e(self.failure.path)}</code> (revision '
            f"{_e(self.history.revision)}, {_plural(len(self.history.steps), 'step')}, "
            f"{_plural(syncs, 'sync')}). Replay it:</p>"
            f'<pre class="command">{_e(command)}</pre>'
            f"<h3>{_plural(len(self.failure.findings), 'finding')}</h3>"
            f"{''.join(self._finding(i, f) for i, f in enumerate(self.failure.findings, 1))}"
            f"<h3>Timeline</h3>{_LEGEND}{self._timeline()}"
            "</section>"
        )

    # -- findings --------------------------------------------------------------------------------
    def _finding(self, index: int, finding: Finding) -> str:
        severity = "violation" if id(finding) in self.bad else "hazard"
        links = [self._step_link(finding.sync_step, f"sync {finding.sync} (step {finding.sync_step + 1})")]
        links += [self._step_link(step, f"step {step + 1}") for step in finding.steps if step != finding.sync_step]
        links += [self._message_link(ref) for ref in finding.messages]
        source = finding.source or finding.revision
        return (
            f'<article class="finding {severity}" id="{self._id(f"finding-{index}")}" data-rule="{_e(finding.rule)}">'
            f'<h4><span class="badge">{severity}</span> <code class="rule">{_e(finding.rule)}</code> '
            f"at sync {_e(finding.sync)}</h4>"
            f'<p class="explanation">{_e(finding.explanation)}</p>'
            f"{_expected_seen(finding)}"
            f'<blockquote class="quote"><p>{_e(finding.quote)}</p>'
            f"<footer>{_e(source)} (revision {_e(finding.revision)})</footer></blockquote>"
            f'<p class="where">On the timeline: {", ".join(links)}</p>'
            "</article>"
        )

    def _step_link(self, step: int, text: str) -> str:
        if 0 <= step < len(self.history.steps):
            return f'<a href="#{self._id(f"step-{step + 1}")}">{_e(text)}</a>'
        return _e(text)

    def _message_link(self, ref: int | str) -> str:
        text = f"message #{ref}" if isinstance(ref, int) else f"message {ref}"
        card = self.cards.get(ref)
        if card is None:
            return _e(f"{text} (not among this run's messages)")
        if card.startswith("discard-"):
            text = f"discarded {text}"
        return f'<a href="#{self._id(card)}">{_e(text)}</a>'

    # -- the timeline ----------------------------------------------------------------------------
    def _timeline(self) -> str:
        rows = [self._row(index, step) for index, step in enumerate(self.history.steps)]
        return (
            '<table class="timeline"><thead><tr><th scope=col class="n">#</th>'
            "<th scope=col class=left>history step (Listrak, integration, faults, clock)</th>"
            "<th scope=col>what the sync sent to Segment</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
        )

    def _row(self, index: int, step: Step) -> str:
        named = self.marks.steps.get(index, [])
        judged = self.marks.judged.get(index, [])
        marks = named + judged
        classes = ["step", step.kind, *_mark_class(marks)]
        record = self.records.get(index)
        if isinstance(step, Sync):
            label = f"sync {record.number}" if record is not None else "sync (no record: the run stopped before it)"
            left = f'<div class="what"><strong>{_e(label)}</strong></div>'
            if record is not None:
                left += _outcome(record)
            right = self._sent(record) if record is not None else ""
        else:
            left = f'<div class="what">{_e(step.describe())} <span class="kind">{_e(step.kind)}</span></div>'
            right = ""
        left += "".join(_note(mark, judged=False) for mark in named)
        left += "".join(_note(mark, judged=True) for mark in judged)
        rules = " ".join(sorted({m.finding.rule for m in marks}))
        return (
            f'<tr id="{self._id(f"step-{index + 1}")}" class="{" ".join(classes)}" data-step="{index + 1}"'
            f' data-rules="{_e(rules)}">'
            f'<td class="n">{index + 1}{" ⚠" if marks else ""}</td><td class="left">{left}</td>'
            f'<td class="right">{right}</td></tr>'
        )

    def _sent(self, record: SyncRecord) -> str:
        parts = [self._message(message) for message in record.messages]
        parts += [self._discard(discard) for discard in record.discards]
        if not parts:
            parts.append('<p class="none">no message reached Segment</p>')
        if record.views:
            judged = bool(self.marks.judged.get(record.step))
            parts.append(_views(record, open_=judged))
        return "".join(parts)

    def _message(self, stored: StoredMessage) -> str:
        message = stored.message if isinstance(stored.message, dict) else {}
        message_id = _message_id(message)
        marks = self.marks.cards.get(f"msg-{stored.seq}", [])
        classes = ["message", *_mark_class(marks)]
        extra = ""
        if stored.write_key != self.history.write_key:
            extra += f'<p class="warn">sent with write key <code>{_e(stored.write_key)}</code></p>'
        if stored.violations:
            extra += f'<p class="warn">{_plural(len(stored.violations), "Segment Spec finding")}: '
            extra += "; ".join(_e(getattr(v, "message", v)) for v in stored.violations) + "</p>"
        return (
            f'<div class="{" ".join(classes)}" id="{self._id(f"msg-{stored.seq}")}" '
            f'data-seq="{stored.seq}" data-message-id="{_e(message_id)}">'
            f"{_message_body(message, f'#{stored.seq}')}{extra}"
            f"{''.join(_note(mark, judged=False) for mark in marks)}"
            "</div>"
        )

    def _discard(self, discard: Discard) -> str:
        message = discard.message if isinstance(discard.message, dict) else {}
        message_id = _message_id(message)
        marks = self.marks.cards.get(f"discard-{discard.seq}", [])
        classes = ["message", "discard", *_mark_class(marks)]
        body = _message_body(message, "discarded") if message else f"<pre>{_e(_json(discard.message))}</pre>"
        return (
            f'<div class="{" ".join(classes)}" id="{self._id(f"discard-{discard.seq}")}" '
            f'data-message-id="{_e(message_id)}">'
            f'<p class="warn">Segment answered 200 but discarded it: {_e(discard.reason)} ({_e(discard.detail)})</p>'
            f"{body}{''.join(_note(mark, judged=False) for mark in marks)}"
            "</div>"
        )


def _mark_class(marks: list[_Mark]) -> list[str]:
    """`marked` when a violation names the place, `marked-hazard` when only hazards do."""
    if any(mark.violation for mark in marks):
        return ["marked"]
    return ["marked-hazard"] if marks else []


def _message_id(message: Any) -> str:
    if isinstance(message, Mapping):
        value = message.get("messageId")
        return value if isinstance(value, str) else ""
    return ""


def _note(mark: _Mark, *, judged: bool) -> str:
    """The annotation a marked step or message carries: the rule, why, and where it was judged."""
    severity = "violation" if mark.violation else "hazard"
    finding = mark.finding
    head = f'<a href="#{mark.anchor}" class="rule">{_e(finding.rule)}</a>'
    if judged:
        return (
            f'<div class="note {severity} judged" data-rule="{_e(finding.rule)}">'
            f"<p><strong>judged here</strong> · {head}: "
            f"{_e(finding.explanation)}</p>{_expected_seen(finding)}</div>"
        )
    where = f"sync {finding.sync} (step {finding.sync_step + 1})"
    return (
        f'<div class="note {severity}" data-rule="{_e(finding.rule)}"><p>named by {head}, judged at '
        f'<a href="#{mark.judged_at}">{_e(where)}</a></p>'
        f'<p class="why">{_e(finding.explanation)}</p></div>'
    )


def _expected_seen(finding: Finding) -> str:
    return (
        '<table class="expected-seen">'
        f'<tr class="expected"><th scope=row>expected</th><td>{_e(finding.expected)}</td></tr>'
        f'<tr class="seen"><th scope=row>seen</th><td>{_e(finding.seen)}</td></tr>'
        "</table>"
    )


def _outcome(record: SyncRecord) -> str:
    """How the sync ended, what it printed, and the faults that fired during it."""
    outcome = record.outcome
    crashed = bool(getattr(outcome, "crashed", False))
    if crashed:
        badge = '<span class="badge bad">crashed</span>'
    elif outcome.ok:
        badge = '<span class="badge good">reported success</span>'
    else:
        badge = '<span class="badge bad">reported failure</span>'
    parts = [f'<div class="outcome">{badge} <span class="muted">{outcome.seconds:.3f} s</span></div>']
    if outcome.error:
        parts.append(f'<pre class="error">{_e(outcome.error)}</pre>')
    for stream in ("stdout", "stderr"):
        text = getattr(outcome, stream, None)
        if text:
            opened = " open" if not outcome.ok or crashed else ""
            parts.append(
                f'<details class="{stream}"{opened}><summary>{stream}</summary><pre>{_e(text)}</pre></details>'
            )
    for fault in record.faults:
        where = " ".join(str(x) for x in (getattr(fault, "method", ""), getattr(fault, "path", "")) if x)
        parts.append(
            f'<p class="fault">fault fired: <strong>{_e(getattr(fault, "action", fault))}</strong> on '
            f"<code>{_e(where)}</code> <span class=muted>({_e(getattr(fault, 'fault_id', ''))})</span></p>"
        )
    if record.listrak_requests:
        lines = "\n".join(record.listrak_requests)
        parts.append(
            f"<details><summary>{_plural(len(record.listrak_requests), 'request')} to Listrak</summary>"
            f"<pre>{_e(lines)}</pre></details>"
        )
    return "".join(parts)


def _message_body(message: Mapping[str, Any], number: str) -> str:
    """A Segment message's head (type, number, messageId), its ids, its traits, and the whole JSON on demand."""
    kind = message.get("type", "?")
    head = f'<span class="type">{_e(kind)}</span>'
    if kind == "track":
        head += f' <span class="event">{_e(_json(message.get("event")))}</span>'
    head += f' <span class="seq">{_e(number)}</span>'
    fields = [("anonymousId", message.get("anonymousId", _ABSENT)), ("userId", message.get("userId", _ABSENT))]
    rows = "".join(f"<tr><th scope=row>{name}</th>{_value_cell(value)}</tr>" for name, value in fields)
    traits = message.get("traits")
    if kind == "track":
        context = message.get("context")
        traits = context.get("traits") if isinstance(context, Mapping) else None
    trait_rows = _trait_rows(traits) if isinstance(traits, Mapping) else ""
    if traits is not None and not isinstance(traits, Mapping):
        trait_rows = f"<tr><th scope=row>traits</th>{_value_cell(traits)}</tr>"
    properties = message.get("properties")
    if kind == "track" and isinstance(properties, Mapping):
        trait_rows += "".join(
            f"<tr><th scope=row>properties.{_e(k)}</th>{_value_cell(v)}</tr>" for k, v in properties.items()
        )
    return (
        f'<div class="msg-head">{head}</div>'
        f'<div class="mid">messageId <code>{_e(_json(message.get("messageId")))}</code></div>'
        f'<table class="fields">{rows}{trait_rows}</table>'
        f"<details><summary>whole message</summary><pre>{_e(json.dumps(message, ensure_ascii=False, indent=2))}"
        "</pre></details>"
    )


_ABSENT: Any = object()


def _trait_rows(traits: Mapping[str, Any]) -> str:
    ordered = sorted(traits, key=lambda name: (not _LIST_TRAIT.match(name), name != "email", name))
    rows = []
    for name in ordered:
        css = "list-trait" if _LIST_TRAIT.match(name) else "trait"
        rows.append(f'<tr class="{css}"><th scope=row>traits.{_e(name)}</th>{_value_cell(traits[name])}</tr>')
    return "".join(rows)


def _value_cell(value: Any) -> str:
    if value is _ABSENT:
        return '<td class="v absent">absent</td>'
    if value is None:
        return '<td class="v null">null</td>'
    if value is True:
        return '<td class="v true">true</td>'
    return f'<td class="v">{_e(_json(value))}</td>'


def _views(record: SyncRecord, *, open_: bool) -> str:
    """The per-anonymousId trait views Segment held after the sync: the profiles the state rules judge."""
    rows = []
    for address, traits in sorted(record.views.items()):
        shown = ", ".join(f"{name} = {_json(value)}" for name, value in _sorted_items(traits))
        rows.append(f"<tr><th scope=row>{_e(address)}</th><td>{_e(shown)}</td></tr>")
    return (
        f'<details class="views"{" open" if open_ else ""}><summary>Segment profiles after sync {record.number} '
        f'(traits by anonymousId)</summary><table class="fields">{"".join(rows)}</table></details>'
    )


def _sorted_items(traits: Mapping[str, Any]) -> Iterable[tuple[str, Any]]:
    return sorted(traits.items(), key=lambda item: (not _LIST_TRAIT.match(item[0]), item[0] != "email", item[0]))


_LEGEND = (
    '<p class="legend"><span class="swatch marked"></span> named by a violation '
    '<span class="swatch marked-hazard"></span> named by a hazard '
    "· <strong>judged here</strong> marks the sync where the checker found it, with expected and seen. "
    "Steps are numbered as in the saved history and in the findings.</p>"
)

_CSS = """
:root { --bad: #b42318; --bad-bg: #fef3f2; --bad-line: #fda29b; --warn: #93370d; --warn-bg: #fffaeb;
  --warn-line: #fec84b; --good: #067647; --good-bg: #ecfdf3; --muted: #667085; --line: #d0d5dd; --ink: #101828; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans",
  sans-serif; color: var(--ink); background: #f9fafb; }
code, pre, .mid, .seq { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono",
  monospace; font-size: 0.9em; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0.3em 0; }
header.verdict { padding: 18px 28px; border-bottom: 4px solid var(--line); background: #fff; }
header.verdict.failed { border-bottom-color: var(--bad); }
header.verdict.ok { border-bottom-color: var(--good); }
h1 { margin: 0 0 6px; font-size: 1.35em; }
.verdict-line { display: inline-block; margin: 0 0 10px; padding: 4px 12px; border-radius: 6px;
  font-weight: 700; font-size: 1.1em; }
.failed .verdict-line { background: var(--bad-bg); color: var(--bad); border: 1px solid var(--bad-line); }
.ok .verdict-line { background: var(--good-bg); color: var(--good); border: 1px solid #75e0a7; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
main { padding: 8px 28px 40px; max-width: 1500px; }
h2 { font-size: 1.2em; margin: 26px 0 10px; }
h3 { font-size: 1.05em; margin: 20px 0 8px; }
h4 { margin: 0 0 6px; font-size: 1em; }
table { border-collapse: collapse; }
table.coverage { background: #fff; border: 1px solid var(--line); }
table.coverage th, table.coverage td { padding: 3px 10px; border-bottom: 1px solid #eaecf0; text-align: left; }
table.coverage thead th { background: #f2f4f7; font-weight: 600; }
table.coverage th[scope=row] { font-family: ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace;
  font-weight: 500; font-size: 0.9em; }
.num { text-align: right !important; font-variant-numeric: tabular-nums; }
tr.rule.failed { background: var(--bad-bg); }
tr.rule.failed th, tr.rule.failed .status { color: var(--bad); font-weight: 700; }
tr.rule.hazard { background: var(--warn-bg); }
tr.rule.hazard .badge { color: var(--warn); }
tr.rule.unchecked, tr.rule.skipped { color: var(--muted); }
tr.rule.unchecked .status { font-style: italic; }
tr.rule.passed .badge { color: var(--good); }
.badge { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 0.8em; font-weight: 600;
  border: 1px solid currentColor; text-transform: uppercase; letter-spacing: 0.02em; }
.badge.good { color: var(--good); background: var(--good-bg); }
.badge.bad { color: var(--bad); background: var(--bad-bg); }
.note-line, .muted, .kind { color: var(--muted); }
.kind { font-size: 0.8em; }
section.failure { margin-top: 28px; padding-top: 4px; border-top: 2px solid var(--line); }
pre.command { background: #101828; color: #f2f4f7; padding: 8px 12px; border-radius: 6px; }
article.finding { background: #fff; border: 1px solid var(--line); border-left: 6px solid var(--line);
  padding: 10px 14px; margin: 10px 0; border-radius: 4px; }
article.finding.violation { border-left-color: var(--bad); }
article.finding.violation .badge { color: var(--bad); background: var(--bad-bg); }
article.finding.hazard { border-left-color: var(--warn-line); }
article.finding.hazard .badge { color: var(--warn); background: var(--warn-bg); }
code.rule, a.rule { font-family: ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-weight: 700; }
.explanation { margin: 4px 0 8px; font-size: 1.02em; }
blockquote.quote { margin: 8px 0; padding: 6px 12px; border-left: 3px solid #98a2b3; background: #f2f4f7;
  font-style: italic; }
blockquote.quote p { margin: 0; }
blockquote.quote footer { font-style: normal; color: var(--muted); font-size: 0.85em; }
table.expected-seen { margin: 4px 0; }
table.expected-seen th { text-align: left; padding: 1px 10px 1px 0; color: var(--muted); font-weight: 600;
  vertical-align: top; }
table.expected-seen td { padding: 1px 0; font-family: ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace;
  font-size: 0.9em; }
tr.seen td { color: var(--bad); font-weight: 600; }
.hazard tr.seen td, .note.hazard a.rule { color: var(--warn); }
.where { margin: 6px 0 0; font-size: 0.92em; }
.legend { font-size: 0.9em; color: var(--muted); }
.swatch { display: inline-block; width: 14px; height: 14px; vertical-align: -2px; border-radius: 3px; }
.swatch.marked { background: var(--bad-bg); border: 2px solid var(--bad); }
.swatch.marked-hazard { background: var(--warn-bg); border: 2px solid var(--warn-line); }
table.timeline { width: 100%; background: #fff; border: 1px solid var(--line); table-layout: fixed; }
table.timeline thead th { background: #f2f4f7; text-align: left; padding: 6px 10px; font-weight: 600; }
table.timeline th.n { width: 3.4em; }
table.timeline th.left { width: 42%; }
table.timeline > tbody > tr > td { vertical-align: top; padding: 7px 10px; border-top: 1px solid #eaecf0; }
table.timeline td.n { color: var(--muted); font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.step.sync { background: #f8f9fc; }
table.timeline > tbody > tr.step.sync > td { border-top: 2px solid var(--line); }
tr.step.marked td.n, tr.step.marked td.left { background: var(--bad-bg); }
tr.step.marked td.n { color: var(--bad); font-weight: 700; box-shadow: inset 5px 0 0 var(--bad); }
tr.step.marked-hazard td.n, tr.step.marked-hazard td.left { background: var(--warn-bg); }
tr.step.marked-hazard td.n { box-shadow: inset 5px 0 0 var(--warn-line); }
.note { margin: 6px 0 2px; padding: 5px 9px; border-radius: 4px; font-size: 0.92em; }
.note p { margin: 0; }
.note p.why { color: #475467; font-size: 0.92em; }
.note.violation { background: #fff; border: 1px solid var(--bad-line); border-left: 4px solid var(--bad); }
.note.violation a.rule { color: var(--bad); }
.note.hazard { background: #fff; border: 1px solid var(--warn-line); border-left: 4px solid var(--warn-line); }
.note.judged { border-width: 2px 2px 2px 6px; }
.outcome { margin: 3px 0; }
pre.error { color: var(--bad); background: var(--bad-bg); padding: 4px 8px; border-radius: 4px; }
.fault { margin: 3px 0; color: var(--warn); }
.message { border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px; margin: 0 0 8px; background: #fff; }
.message.marked { border: 2px solid var(--bad); background: var(--bad-bg); box-shadow: 0 0 0 3px #fee4e2; }
.message.marked-hazard { border: 2px solid var(--warn-line); background: var(--warn-bg); }
.message.discard { border-style: dashed; }
.msg-head { font-weight: 600; }
.msg-head .type { text-transform: uppercase; font-size: 0.8em; letter-spacing: 0.04em; padding: 0 6px;
  border-radius: 4px; background: #eef4ff; color: #3538cd; }
.msg-head .seq { color: var(--muted); font-weight: 400; }
.mid { color: var(--muted); overflow-wrap: anywhere; }
table.fields { margin: 4px 0; font-size: 0.92em; }
table.fields th { text-align: left; font-weight: 500; color: #344054; padding: 1px 14px 1px 0; vertical-align: top;
  font-family: ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace; overflow-wrap: break-word; }
table.fields td { padding: 1px 0; overflow-wrap: break-word; vertical-align: top;
  font-family: ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace; }
tr.list-trait th { color: #3538cd; }
td.v.true { color: var(--good); font-weight: 700; }
td.v.null { color: var(--bad); font-weight: 700; }
td.v.absent { color: var(--muted); font-style: italic; font-family: inherit; }
.warn { margin: 3px 0; color: var(--warn); font-size: 0.92em; }
.none { color: var(--muted); font-style: italic; margin: 0; }
details summary { cursor: pointer; color: #475467; font-size: 0.88em; }
details.views { margin-top: 4px; }
details pre { background: #f2f4f7; padding: 6px 8px; border-radius: 4px; font-size: 0.82em; }
a { color: #175cd3; }
@media print { details { display: block; } body { background: #fff; } }
"""
