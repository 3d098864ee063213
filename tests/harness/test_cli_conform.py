"""`listrak-harness conform` and `listrak-harness replay`, run in-process."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness.checker import CHECKED_RULES, HAZARDS
from harness.cli import main
from harness.conform import rules_in_scope

OMIT = "python:broken_syncs:omit_removal"


def _table_rows(out: str) -> dict[str, list[str]]:
    rows = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 4 and (parts[1].isdigit() or parts[1] == "-"):
            rows[parts[0]] = parts[1:]
    return rows


def test_conform_reference_exits_0_with_a_coverage_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["conform", "--impl", "reference", "--examples", "15", "--seed", "1", "--progress-every", "5"]
    status = main([*argv, "--save-failures", str(tmp_path / "f"), "--database", str(tmp_path / "db")])
    captured = capsys.readouterr()
    assert status == 0
    rows = _table_rows(captured.out)
    for rule in CHECKED_RULES:
        exercised, passed, violated = (int(x) for x in rows[rule][:3])
        assert rule in HAZARDS or (violated == 0 and passed == exercised)
    assert sum(int(rows[rule][0]) for rule in CHECKED_RULES) > 0
    assert rows["user-id-shared"][3:] == ["hazard:", "reported,", "never", "a", "failure"]
    assert "all 24 rules checked" in captured.out
    assert "OK: no rule violated in 15 histories" in captured.out
    assert captured.err.splitlines() == [f"conform: {n}/15 examples" for n in (5, 10, 15)]


def test_a_violation_exits_1_is_saved_and_replay_reproduces_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.json"
    argv = ["conform", "--impl", OMIT, "--examples", "60", "--seed", "1", "--max-steps", "30", "--no-faults"]
    status = main([*argv, "--save-failures", str(tmp_path / "f"), "--report-json", str(report), "--quiet"])
    captured = capsys.readouterr()
    assert status == 1
    [saved] = (tmp_path / "f").iterdir()
    assert saved.name.startswith("unsubscribed-trait-removed-") and saved.suffix == ".json"
    assert f"FAILURE: minimal history saved as {saved}" in captured.out
    assert "[unsubscribed-trait-removed]" in captured.out
    assert "The trait will be removed if the email address is not subscribed to the list." in " ".join(
        captured.out.split()
    )
    assert "  1. create list" in captured.out and "FAILED: unsubscribed-trait-removed violated" in captured.out
    assert _table_rows(captured.out)["unsubscribed-trait-removed"][2] != "0"
    assert captured.err == ""

    document = json.loads(report.read_text())
    assert document["ok"] is False and document["examples"] >= 1
    assert document["coverage"]["unsubscribed-trait-removed"]["violated"] >= 1
    assert document["coverage"]["write-key"]["checked"] is True
    [failure] = document["failures"]
    assert failure["history"] == str(saved)
    assert [f["rule"] for f in failure["findings"] if f["rule"] not in HAZARDS] == ["unsubscribed-trait-removed"]
    assert failure["findings"][0]["quote"] and failure["findings"][0]["explanation"]

    replayed = tmp_path / "replay.json"
    assert main(["replay", str(saved), "--impl", OMIT, "--report-json", str(replayed)]) == 1
    out = capsys.readouterr().out
    assert "[unsubscribed-trait-removed]" in out and "FAILED: unsubscribed-trait-removed violated" in out
    assert json.loads(replayed.read_text())["findings"] == failure["findings"]

    assert main(["replay", str(saved), "--impl", "reference"]) == 0
    out = capsys.readouterr().out
    assert "No findings." in out and "OK: no rule violated" in out


@pytest.mark.parametrize("command", ["conform", "replay"])
@pytest.mark.parametrize("impl", ["nonsense", "python:no_such_module_here:f", "cmd:  "])
def test_a_bad_impl_exits_2_with_one_line(
    command: str, impl: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    history = _one_sync_history(tmp_path)
    argv = ["conform", "--save-failures", str(tmp_path)] if command == "conform" else ["replay", str(history)]
    assert main([*argv, "--impl", impl]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = captured.err.splitlines()
    assert line.startswith(f"listrak-harness {command}: ")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "cannot read"),
        ("{not json", "is not a usable history"),
        ('{"format": "something-else", "steps": []}', "is not a usable history"),
        (
            '{"format": "listrak-harness/history@1", "revision": "2023-07-13", "writeKey": "k", '
            '"steps": [{"kind": "unsubscribe", "list_id": 9, "address": "a@b.io"}]}',
            "is not a usable history",
        ),
    ],
)
def test_an_invalid_history_file_exits_2_with_one_line(
    content: str | None, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "h.json"
    if content is not None:
        path.write_text(content)
    assert main(["replay", str(path), "--impl", "reference"]) == 2
    captured = capsys.readouterr()
    [line] = captured.err.splitlines()
    assert line.startswith("listrak-harness replay: ") and expected in line
    assert captured.out == ""


def _junit_suite(path: Path) -> ET.Element:
    suite = ET.parse(path).getroot().find("testsuite")
    assert suite is not None
    return suite


def test_conform_writes_junit_and_html_reports_of_a_conforming_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junit, page = tmp_path / "out" / "junit.xml", tmp_path / "out" / "conform.html"
    argv = ["conform", "--impl", "reference", "--examples", "5", "--seed", "3", "--no-database", "--quiet"]
    assert main([*argv, "--save-failures", str(tmp_path / "f"), "--junit", str(junit), "--html", str(page)]) == 0
    assert capsys.readouterr().err == ""
    suite = _junit_suite(junit)
    assert suite.attrib["name"] == "listrak-harness conform reference" and suite.attrib["failures"] == "0"
    assert [case.attrib["name"] for case in suite.iter("testcase")] == rules_in_scope(None)
    assert float(suite.attrib["time"]) > 0
    document = page.read_text(encoding="utf-8")
    assert '<p class="verdict-line" id="verdict">OK: no rule violated in 5 histories</p>' in document


def test_conform_and_replay_write_junit_and_html_reports_of_a_violation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junit, page = tmp_path / "junit.xml", tmp_path / "conform.html"
    argv = ["conform", "--impl", OMIT, "--examples", "60", "--seed", "1", "--max-steps", "30", "--no-faults", "--quiet"]
    argv += ["--save-failures", str(tmp_path / "f"), "--no-database", "--junit", str(junit), "--html", str(page)]
    assert main(argv) == 1
    capsys.readouterr()
    [saved] = (tmp_path / "f").iterdir()
    [failed] = [case for case in _junit_suite(junit).iter("testcase") if case.find("failure") is not None]
    assert failed.attrib["name"] == "unsubscribed-trait-removed"
    failure = failed.find("failure")
    assert failure is not None and failure.text is not None
    assert f"listrak-harness replay {saved} --impl {OMIT}" in failure.text
    document = page.read_text(encoding="utf-8")
    assert 'id="f1-step-1"' in document and "FAILED: unsubscribed-trait-removed violated" in document

    junit, page = tmp_path / "replay.xml", tmp_path / "replay.html"
    assert main(["replay", str(saved), "--impl", OMIT, "--junit", str(junit), "--html", str(page)]) == 1
    capsys.readouterr()
    suite = _junit_suite(junit)
    assert suite.attrib["name"] == f"listrak-harness replay {OMIT}" and suite.attrib["failures"] == "1"
    document = page.read_text(encoding="utf-8")
    assert "FAILED: unsubscribed-trait-removed violated" in document and 'class="step sync marked"' in document

    assert main(["replay", str(saved), "--impl", "reference", "--junit", str(junit), "--html", str(page)]) == 0
    assert _junit_suite(junit).attrib["failures"] == "0"
    assert "OK: no rule violated in 1 history" in page.read_text(encoding="utf-8")


@pytest.mark.parametrize("command", ["conform", "replay"])
@pytest.mark.parametrize("flag", ["--junit", "--html", "--report-json"])
def test_an_unwritable_report_exits_2_with_one_line(
    command: str, flag: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    target = blocker / "report.out"
    if command == "conform":
        argv = ["conform", "--impl", "reference", "--examples", "1", "--seed", "1", "--no-database", "--quiet"]
        argv += ["--save-failures", str(tmp_path / "f")]
    else:
        history = _one_sync_history(tmp_path)
        argv = ["replay", str(history), "--impl", "reference"]
    assert main([*argv, flag, str(target)]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"listrak-harness {command}: cannot write {target}: ")


def _one_sync_history(tmp_path: Path) -> Path:
    """A saved history of one list and one sync, as a user would have it on disk."""
    history = tmp_path / "h.json"
    document = {
        "format": "listrak-harness/history@1",
        "revision": "2023-07-13",
        "writeKey": "k",
        "steps": [{"kind": "create_list", "list_id": 1, "name": "N"}, {"kind": "sync"}],
    }
    history.write_text(json.dumps(document))
    return history
