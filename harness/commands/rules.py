"""`listrak-harness rules`: print the rule catalogue, each rule with the documentation it rests on."""

from __future__ import annotations

import argparse
import json
import textwrap
from collections.abc import Sequence
from typing import Any

from harness.rules import CATALOGUE, REVISIONS, Citation, Rule, rules_for

__all__ = ["add_rules_parser", "format_json", "format_text", "run_rules"]

_WIDTH = 100
_KIND_LABELS = {
    "message": "message rule",
    "state": "state rule",
    "fault": "fault rule",
    "hazard": "hazard, reported and never a failure",
}


def add_rules_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "rules",
        help="print the rule catalogue: each rule, its revisions, and the documentation it rests on",
        description="Print every rule the conformance checker judges (DESIGN.md's ids), the Listrak Source "
        "revisions it applies to, one sentence of what it demands, and the documentation passage it rests on.",
    )
    parser.add_argument(
        "--revision", choices=REVISIONS, help="only the rules of this revision, quoted as it words them"
    )
    parser.add_argument("--json", action="store_true", help="print the catalogue as one JSON document")


def run_rules(args: argparse.Namespace) -> int:
    """Print the catalogue (or one revision's part of it) as text or JSON; always exits 0."""
    rules = rules_for(args.revision) if args.revision else list(CATALOGUE.values())
    if args.json:
        print(json.dumps(format_json(rules, args.revision), indent=2, ensure_ascii=False))
    else:
        print(format_text(rules, args.revision))
    return 0


def format_text(rules: Sequence[Rule], revision: str | None = None) -> str:
    """One block per rule: id, kind and revisions; the statement; each source and its quote; then a count."""
    blocks = []
    for rule in rules:
        lines = [f"{rule.id} ({_KIND_LABELS[rule.kind]}; revisions {', '.join(sorted(rule.revisions))})"]
        lines.append(_wrap(rule.statement, "  "))
        for citation in _citations(rule, revision):
            # Name the revision only where the revisions word the rule differently.
            shared = revision or citation.revisions == rule.revisions
            lines.append(f"  {citation.source}" if shared else f"  [{_revisions(citation)}] {citation.source}")
            lines.append(_wrap(f'"{citation.quote}"', "    "))
        blocks.append("\n".join(lines))
    hazards = sum(1 for rule in rules if not rule.fails)
    scope = f"revision {revision}" if revision else f"revisions {', '.join(REVISIONS)}"
    blocks.append(f"{len(rules)} rules for {scope}: {len(rules) - hazards} can fail a run, {hazards} are hazards")
    return "\n\n".join(blocks)


def format_json(rules: Sequence[Rule], revision: str | None = None) -> dict[str, Any]:
    """The catalogue as JSON data; with a revision, each rule's quote and source are that revision's."""
    return {
        "revision": revision,
        "rules": [
            {
                "id": rule.id,
                "kind": rule.kind,
                "revisions": sorted(rule.revisions),
                "fails": rule.fails,
                "statement": rule.statement,
                "quote": (rule.citation(revision) if revision else rule).quote,
                "source": (rule.citation(revision) if revision else rule).source,
                "citations": [
                    {"revisions": sorted(citation.revisions), "quote": citation.quote, "source": citation.source}
                    for citation in _citations(rule, revision)
                ],
            }
            for rule in rules
        ],
    }


def _citations(rule: Rule, revision: str | None) -> tuple[Citation, ...]:
    return (rule.citation(revision),) if revision else rule.all_citations()


def _revisions(citation: Citation) -> str:
    # Revisions are ISO dates, so sorting them is chronological.
    return ", ".join(sorted(citation.revisions))


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(
        text,
        width=_WIDTH,
        initial_indent=indent,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )
