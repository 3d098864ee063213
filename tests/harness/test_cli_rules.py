"""`listrak-harness rules` prints the catalogue; `listrak-harness validate --revision` uses the source contracts."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from harness.cli import main
from harness.rules import CATALOGUE, REVISIONS, get_rule

OLD, NEW = REVISIONS
HEADER = re.compile(r"^([a-z0-9-]+) \((.+); revisions (.+)\)$")


def blocks(text: str) -> dict[str, str]:
    """The printed rule blocks by rule id (the closing count line is not a block)."""
    found = {}
    for block in text.strip().split("\n\n"):
        header = HEADER.match(block.splitlines()[0])
        if header:
            found[header.group(1)] = block
    return found


def test_rules_prints_one_block_per_rule_in_catalogue_order(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    out = capsys.readouterr().out
    assert list(blocks(out)) == list(CATALOGUE)
    assert out.rstrip().endswith("24 rules for revisions 2023-07-13, 2023-08-03: 19 can fail a run, 5 are hazards")


def test_a_rule_block_gives_kind_revisions_statement_and_each_revisions_quote_with_its_source(
    capsys: pytest.CaptureFixture[str],
) -> None:
    main(["rules"])
    block = blocks(capsys.readouterr().out)["list-trait-name"]
    flat = " ".join(block.split())
    assert block.splitlines()[0] == "list-trait-name (message rule; revisions 2023-07-13, 2023-08-03)"
    assert " ".join(get_rule("list-trait-name").statement.split()) in flat
    for revision in REVISIONS:
        citation = get_rule("list-trait-name").citation(revision)
        assert f"[{revision}] {citation.source}" in block
        assert f'"{citation.quote}"' in flat


def test_a_rule_resting_on_one_passage_shows_it_once_without_a_revision_label(
    capsys: pytest.CaptureFixture[str],
) -> None:
    main(["rules"])
    block = blocks(capsys.readouterr().out)["user-id-shared"]
    assert block.splitlines()[0] == (
        "user-id-shared (hazard, reported and never a failure; revisions 2023-07-13, 2023-08-03)"
    )
    assert "\n  segment/unify--identity-resolution--identity-resolution-settings.md, Flat matching logic\n" in block
    assert "[" not in block


def test_rules_for_one_revision_quotes_only_that_revisions_wording(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--revision", NEW]) == 0
    out = capsys.readouterr().out
    block = blocks(out)["list-trait-name"]
    assert "listrak_list_{listId}" in block
    assert "Listrak_list_{listId}`" not in block
    assert f"listrak-source-{OLD}.md" not in out
    assert out.rstrip().endswith("24 rules for revision 2023-08-03: 19 can fail a run, 5 are hazards")


def test_rules_json_lists_every_rule_with_its_citations(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["revision"] is None
    assert [rule["id"] for rule in document["rules"]] == list(CATALOGUE)
    by_id = {rule["id"]: rule for rule in document["rules"]}
    assert by_id["redundant-message"]["fails"] is False
    assert by_id["message-type"]["kind"] == "message"
    assert by_id["message-type"]["revisions"] == [OLD, NEW]
    assert [citation["revisions"] for citation in by_id["message-type"]["citations"]] == [[OLD], [NEW]]
    assert by_id["limits"]["citations"] == [
        {"revisions": [OLD, NEW], "quote": get_rule("limits").quote, "source": get_rule("limits").source}
    ]


def test_rules_json_for_a_revision_quotes_that_revision(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--json", "--revision", NEW]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["revision"] == NEW
    user_id = {rule["id"]: rule for rule in document["rules"]}["user-id"]
    assert user_id["quote"] == get_rule("user-id").citation(NEW).quote
    assert user_id["source"] == f"listrak-source-{NEW}.md, Stream"
    assert [citation["revisions"] for citation in user_id["citations"]] == [[NEW]]


def test_rules_refuses_an_unknown_revision(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["rules", "--revision", "2023-09-01"])
    assert exit_info.value.code == 2
    assert "2023-09-01" in capsys.readouterr().err


IDENTIFY_OLD = {"type": "identify", "anonymousId": "a@x.io", "traits": {"email": "a@x.io", "Listrak_list_7": True}}
IDENTIFY_NEW = {"type": "identify", "anonymousId": "a@x.io", "traits": {"email": "a@x.io", "listrak_list_7": True}}


def write_lines(path: Path, *messages: object) -> Path:
    path.write_text("".join(json.dumps(message) + "\n" for message in messages), encoding="utf-8")
    return path


def test_validate_with_a_revision_checks_that_revisions_contracts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    messages = write_lines(tmp_path / "m.ndjson", IDENTIFY_OLD)
    assert main(["validate", str(messages)]) == 0
    assert main(["validate", str(messages), "--revision", OLD]) == 0
    capsys.readouterr()
    assert main(["validate", str(messages), "--revision", NEW]) == 1
    out = capsys.readouterr().out
    assert "line 1: $.traits.Listrak_list_7: expected a list trait spelled listrak_list_{listId}" in out
    assert "[list-trait-name: anyOf at #/properties/traits/propertyNames]" in out
    assert out.rstrip().endswith("1 message, 0 valid, 1 invalid against the Listrak Source contracts of 2023-08-03")


def test_validate_with_the_old_revision_refuses_a_track_event(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    event = {"type": "track", "event": "Email Opened", "anonymousId": "a@x.io", "context": {"traits": {"email": "a"}}}
    without_lists = {"type": "identify", "anonymousId": "a@x.io", "traits": {"email": "a@x.io"}}
    messages = write_lines(tmp_path / "m.ndjson", without_lists, event)
    assert main(["validate", str(messages), "--revision", NEW]) == 0
    capsys.readouterr()
    assert main(["validate", str(messages), "--revision", OLD]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-2:] == [
        'line 2: $.type: expected "identify" (the only call the Listrak Source documents in revision 2023-07-13), '
        'saw a string "track" [message-type]',
        "2 messages, 1 valid, 1 invalid against the Listrak Source contracts of 2023-07-13",
    ]


def test_validate_with_a_revision_reads_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps({**IDENTIFY_NEW, "userId": ""}) + "\n"))
    assert main(["validate", "-", "--revision", NEW]) == 1
    assert "$.userId: expected a non-empty string, saw an empty string [user-id:" in capsys.readouterr().out


def test_validate_refuses_an_unknown_revision(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    messages = write_lines(tmp_path / "m.ndjson", IDENTIFY_OLD)
    with pytest.raises(SystemExit) as exit_info:
        main(["validate", str(messages), "--revision", "latest"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'latest'" in capsys.readouterr().err
