"""The rule catalogue: DESIGN.md's ids, once each, in order, quoting the reference documents verbatim."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from contracts import SOURCE_REVISIONS
from harness.reference.config import REVISIONS as REFERENCE_SYNC_REVISIONS
from harness.rules import (
    CATALOGUE,
    DEFAULT_REVISION,
    REVISIONS,
    Citation,
    Rule,
    UnknownRule,
    get_rule,
    rules_for,
)

SHARED = Path(__file__).resolve().parents[3] / "shared"
REFERENCE = SHARED / "reference"
DESIGN = SHARED / "DESIGN.md"
OLD, NEW = "2023-07-13", "2023-08-03"
SPELLING = {OLD: "Listrak_list_", NEW: "listrak_list_"}
SECTION_KINDS = {"Message rules": "message", "State rules": "state", "Fault rules": "fault", "Hazards": "hazard"}
# DESIGN.md describes this hazard without an id; the catalogue names it.
UNNAMED_HAZARD = "removed-list-not-judged"


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def design_rules() -> list[tuple[str, str]]:
    """(id, kind) for every rule id in DESIGN.md's rule tables and hazard list, in document order."""
    kind: str | None = None
    found = []
    for line in DESIGN.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip()
            kind = next((kind for prefix, kind in SECTION_KINDS.items() if title.startswith(prefix)), None)
        elif kind is not None:
            match = re.match(r"\| `([a-z0-9-]+)` \|", line) or re.match(r"- `([a-z0-9-]+)`:", line)
            if match:
                found.append((match.group(1), kind))
    return found


def sections(path: Path) -> list[tuple[set[str], str]]:
    """The file cut at its ``#`` headings: each part's titles (heading and bold-only lines) and normalised text."""
    parts: list[tuple[set[str], str]] = []
    titles: set[str] = set()
    body: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        heading = re.fullmatch(r"#+\s+(.+?)\s*", line)
        if heading:
            parts.append((titles, normalise("\n".join(body))))
            titles, body = {heading.group(1)}, []
            continue
        bold = re.fullmatch(r"\*\*(.+?)\*\*\s*", line)
        if bold:
            titles.add(bold.group(1))
        body.append(line)
    parts.append((titles, normalise("\n".join(body))))
    return parts


def file_and_sections(citation: Citation) -> tuple[str, list[str]]:
    file, _, named = citation.source.partition(", ")
    return file, named.split("; ")


ALL_CITATIONS = [
    pytest.param(rule, citation, id=f"{rule.id}/{','.join(sorted(citation.revisions))}")
    for rule in CATALOGUE.values()
    for citation in rule.all_citations()
]


def test_design_md_is_parsed_into_its_twenty_three_named_rules() -> None:
    # Guards the parser below: a change to DESIGN.md's layout must not make the next test vacuous.
    parsed = design_rules()
    assert len(parsed) == 23
    assert parsed[0] == ("message-type", "message")
    assert parsed[-1] == ("undocumented-trait", "hazard")


def test_every_design_rule_id_is_in_the_catalogue_once_in_design_order_with_its_kind() -> None:
    expected = [*design_rules(), (UNNAMED_HAZARD, "hazard")]
    assert [(rule.id, rule.kind) for rule in CATALOGUE.values()] == expected
    assert list(CATALOGUE) == [rule.id for rule in CATALOGUE.values()]


def test_hazards_are_reported_and_never_fail_while_every_other_rule_can_fail() -> None:
    assert {rule.id for rule in CATALOGUE.values() if not rule.fails} == {
        "user-id-conflict",
        "user-id-shared",
        "redundant-message",
        "undocumented-trait",
        UNNAMED_HAZARD,
    }
    assert all(rule.fails == (rule.kind != "hazard") for rule in CATALOGUE.values())


@pytest.mark.parametrize(("rule", "citation"), ALL_CITATIONS)
def test_each_quote_is_verbatim_from_the_reference_file_it_names(rule: Rule, citation: Citation) -> None:
    file, _ = file_and_sections(citation)
    text = normalise((REFERENCE / file).read_text(encoding="utf-8"))
    position = 0
    # " … " joins passages the source separates; they must appear in that order.
    for passage in citation.quote.split(" … "):
        found = text.find(normalise(passage), position)
        assert found >= 0, f"{rule.id}: not in {file}: {passage!r}"
        position = found + len(passage)


@pytest.mark.parametrize(("rule", "citation"), ALL_CITATIONS)
def test_each_quote_lies_in_a_section_its_source_names(rule: Rule, citation: Citation) -> None:
    file, named = file_and_sections(citation)
    parts = sections(REFERENCE / file)
    for passage in citation.quote.split(" … "):
        homes = [titles for titles, text in parts if normalise(passage) in text]
        assert any(titles & set(named) for titles in homes), f"{rule.id}: {passage!r} is not under {named}"


def test_the_quote_test_catches_a_quote_that_is_not_in_its_file() -> None:
    # A near miss of a real sentence (the other revision's trait spelling) must not pass for it.
    text = normalise((REFERENCE / f"listrak-source-{OLD}.md").read_text(encoding="utf-8"))
    assert normalise(get_rule("list-trait-name").citation(NEW).quote) not in text
    assert normalise(get_rule("list-trait-name").citation(OLD).quote) in text


@pytest.mark.parametrize("rule", CATALOGUE.values(), ids=list(CATALOGUE))
def test_every_rule_applies_to_both_revisions_as_design_md_assigns_none_to_one_alone(rule: Rule) -> None:
    assert rule.revisions == frozenset(REVISIONS)


@pytest.mark.parametrize("revision", REVISIONS)
@pytest.mark.parametrize("rule", CATALOGUE.values(), ids=list(CATALOGUE))
def test_a_rule_quoting_the_listrak_source_page_quotes_that_revisions_page(rule: Rule, revision: str) -> None:
    file, _ = file_and_sections(rule.citation(revision))
    if file.startswith("listrak-source-"):
        assert file == f"listrak-source-{revision}.md"


@pytest.mark.parametrize("revision", REVISIONS)
def test_the_trait_name_rule_quotes_the_revisions_own_spelling(revision: str) -> None:
    other = SPELLING[NEW if revision == OLD else OLD]
    quote = get_rule("list-trait-name").citation(revision).quote
    assert SPELLING[revision] in quote
    assert other not in quote


@pytest.mark.parametrize(
    ("rule_id", "track_words"),
    [("message-type", "`track`"), ("user-id", "`track` events"), ("email-trait", "`context.traits.email`")],
)
def test_track_only_parts_of_rules_are_quoted_for_the_revision_that_has_track(rule_id: str, track_words: str) -> None:
    rule = get_rule(rule_id)
    assert track_words in rule.citation(NEW).quote
    assert "track" not in rule.citation(OLD).quote


@pytest.mark.parametrize(
    ("rule_id", "page"),
    [
        ("list-trait-value", "segment/unify--faqs.md"),
        ("segment-spec", "segment/partners--sources.md"),
        ("write-key", "segment/partners--sources.md"),
        ("limits", "segment/connections--sources--catalog--libraries--server--http-api.md"),
        ("message-id-unique", "segment/guides--duplicate-data.md"),
        ("retry-after", "segment/connections--sources--catalog--libraries--server--http-api.md"),
        ("token-refresh", "listrak-api-notes.md"),
        ("user-id-conflict", "segment/unify--identity-resolution--identity-resolution-settings.md"),
        ("user-id-shared", "segment/unify--identity-resolution--identity-resolution-settings.md"),
    ],
)
def test_rules_about_segment_or_listrak_api_behaviour_quote_that_page_for_every_revision(
    rule_id: str, page: str
) -> None:
    rule = get_rule(rule_id)
    assert [file_and_sections(rule.citation(revision))[0] for revision in REVISIONS] == [page, page]


@pytest.mark.parametrize(
    ("rule_id", "words"),
    [
        ("list-trait-value", ["`null`", "empty string won't remove"]),
        ("limits", ["32KB", "500KB", "2500"]),
        ("message-id-unique", ["_not_ on the contents"]),
        ("write-key", ["in the header"]),
        ("retry-after", ["`Retry-After`"]),
        ("token-refresh", ["401", "new token"]),
    ],
)
def test_segment_backed_rules_quote_the_sentence_that_states_the_behaviour(rule_id: str, words: list[str]) -> None:
    quote = get_rule(rule_id).quote
    assert [word for word in words if word not in quote] == []


@pytest.mark.parametrize("rule", CATALOGUE.values(), ids=list(CATALOGUE))
def test_each_statement_is_one_plain_sentence_and_quote_and_source_are_the_default_revisions(rule: Rule) -> None:
    assert rule.statement.endswith(".") and "\n" not in rule.statement
    assert re.search(r"\. [A-Z]", rule.statement) is None
    assert (rule.quote, rule.source) == (rule.citation(DEFAULT_REVISION).quote, rule.citation(DEFAULT_REVISION).source)


def test_the_revisions_agree_with_the_contracts_and_the_reference_sync() -> None:
    assert REVISIONS == SOURCE_REVISIONS == REFERENCE_SYNC_REVISIONS == (OLD, NEW)
    assert DEFAULT_REVISION == OLD


@pytest.mark.parametrize("revision", REVISIONS)
def test_rules_for_a_revision_keeps_design_order(revision: str) -> None:
    assert [rule.id for rule in rules_for(revision)] == list(CATALOGUE)


def test_rules_for_an_unknown_revision_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"one of 2023-07-13, 2023-08-03; saw '2024-01-01'"):
        rules_for("2024-01-01")


def test_get_rule_finds_a_rule_by_id() -> None:
    assert get_rule("user-id-conflict") is CATALOGUE["user-id-conflict"]


def test_an_unknown_rule_id_is_refused_with_the_ids_there_are() -> None:
    with pytest.raises(UnknownRule, match=r"expected a rule id of DESIGN\.md \(message-type, .*\), saw 'no-such-rule'"):
        get_rule("no-such-rule")
    with pytest.raises(LookupError):
        get_rule("Message-Type")


def test_a_citation_for_a_revision_the_rule_does_not_cover_is_refused() -> None:
    rule = dataclasses.replace(get_rule("limits"), revisions=frozenset({OLD}))
    with pytest.raises(ValueError, match="applies to revisions 2023-07-13, not to '2023-08-03'"):
        rule.citation(NEW)


def test_rules_are_immutable_and_hashable() -> None:
    rule = get_rule("message-type")
    with pytest.raises(dataclasses.FrozenInstanceError):
        rule.statement = "anything"  # type: ignore[misc]
    assert len({*CATALOGUE.values(), rule}) == len(CATALOGUE)


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"fails": True, "kind": "hazard"}, "expected fails=False for a hazard"),
        ({"kind": "warning"}, "expected a kind among"),
        ({"revisions": frozenset({"2022-01-01"})}, "expected revisions among"),
        ({"citations": (Citation("q", "s", frozenset({OLD})),)}, "expected one citation per revision"),
        ({"quote": "another quote"}, "earliest revision's citation"),
    ],
)
def test_a_rule_whose_parts_contradict_each_other_is_refused(changes: dict[str, object], complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        dataclasses.replace(get_rule("list-trait-name"), **changes)  # type: ignore[arg-type]
