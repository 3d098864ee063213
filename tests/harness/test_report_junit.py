"""The JUnit XML report: one testcase per rule that CI systems parse, failures that explain themselves."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest

from harness.checker import Finding
from harness.conform import CampaignResult, Failure, RuleCoverage, failing
from harness.history import CreateList, History, Integrate, Subscribe, Sync, Unsubscribe
from harness.replay import Run
from harness.report_junit import (
    NOT_CHECKED,
    NOT_EXERCISED,
    NOT_IN_CAPTURE,
    junit_xml,
    replay_command,
    visible_text,
    write_junit,
)
from harness.rules import CATALOGUE

OMIT = "python:broken_syncs:omit_removal"


def _suite(document: str) -> ET.Element:
    root = ET.fromstring(document)
    assert root.tag == "testsuites"
    [suite] = root.findall("testsuite")
    return suite


def _cases(suite: ET.Element) -> dict[str, ET.Element]:
    return {case.attrib["name"]: case for case in suite.findall("testcase")}


def _assert_counts_match_children(document: str) -> None:
    root = ET.fromstring(document)
    suite = _suite(document)
    cases = suite.findall("testcase")
    expected = {
        "tests": len(cases),
        "failures": sum(case.find("failure") is not None for case in cases),
        "errors": sum(case.find("error") is not None for case in cases),
        "skipped": sum(case.find("skipped") is not None for case in cases),
    }
    for element in (root, suite):
        assert {key: int(element.attrib[key]) for key in expected} == expected
        assert float(element.attrib["time"]) >= sum(float(case.attrib["time"]) for case in cases)
    for case in cases:  # a testcase is failed, skipped or passed, never two of them
        assert len([child for child in case if child.tag in {"failure", "error", "skipped"}]) <= 1


def test_a_passing_campaign_has_one_passing_or_skipped_testcase_per_rule(passing_result: CampaignResult) -> None:
    document = junit_xml(passing_result, seconds=1.25)
    _assert_counts_match_children(document)
    suite = _suite(document)
    assert suite.attrib["name"] == "listrak-harness conform reference"
    assert suite.attrib["failures"] == "0" and suite.attrib["time"] == "1.250"
    cases = suite.findall("testcase")
    assert [case.attrib["name"] for case in cases] == list(passing_result.coverage)
    for case in cases:
        rule = CATALOGUE[case.attrib["name"]]
        assert case.attrib["classname"] == f"listrak-harness.{rule.kind}"
        coverage = passing_result.coverage[rule.id]
        skipped = case.find("skipped")
        if not coverage.checked:
            assert skipped is not None and skipped.attrib["message"] == NOT_CHECKED
        elif coverage.exercised == 0:
            assert skipped is not None and skipped.attrib["message"] == NOT_EXERCISED
        elif coverage.violated:  # only a hazard can be violated in a passing campaign: it passes, and says so
            assert not rule.fails and [child.tag for child in case] == ["system-out"]
        else:
            assert list(case) == []
    properties = {p.attrib["name"]: p.attrib["value"] for p in suite.iter("property")}
    assert properties["implementation"] == "reference" and properties["ok"] == "true"
    assert properties["seed"] == "3" and properties["examples"] == "5"


def test_a_violated_rule_fails_with_its_findings_and_the_replay_command(failing_result: CampaignResult) -> None:
    document = junit_xml(failing_result)
    _assert_counts_match_children(document)
    suite = _suite(document)
    assert suite.attrib["name"] == f"listrak-harness conform {OMIT}" and suite.attrib["failures"] == "1"
    [failure_case] = [case for case in suite.findall("testcase") if case.find("failure") is not None]
    assert failure_case.attrib == {
        "classname": "listrak-harness.state",
        "name": "unsubscribed-trait-removed",
        "time": "0",
    }
    [saved] = failing_result.failures
    [finding] = failing(saved.findings)
    failure = failure_case.find("failure")
    assert failure is not None and failure.text is not None
    assert failure.attrib == {"message": finding.explanation, "type": "unsubscribed-trait-removed"}
    text = failure.text
    for part in (
        finding.explanation,
        f"expected: {finding.expected}",
        f"seen:     {finding.seen}",
        f'"{finding.quote}"',
        finding.source,
        f"revision {finding.revision}, sync {finding.sync} (step {finding.sync_step + 1})",
        f"step {finding.steps[0] + 1} (unsubscribe ",
        f"Minimal failing history: {saved.path}",
        f"Replay it: listrak-harness replay {saved.path} --impl {OMIT}",
        saved.run.history.describe(),
    ):
        assert part in text


def test_the_report_is_written_as_utf8_with_its_directory(failing_result: CampaignResult, tmp_path: Path) -> None:
    path = tmp_path / "reports" / "junit.xml"
    write_junit(failing_result, path, seconds=7.5, timestamp=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC))
    raw = path.read_bytes()
    assert raw.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    suite = ET.parse(path).getroot().find("testsuite")
    assert suite is not None
    assert suite.attrib["time"] == "7.500" and suite.attrib["timestamp"] == "2024-01-02T03:04:05+00:00"


# -- hand-made results: every verdict, and values that XML cannot carry as they are --------------------------------
_HOSTILE = "Zoë <b>&amp; \"quoted\" 'single' \x01\x00\x1b\x7f\ud800 \U0001f600 ü@exämple.com\u2028end"


def _finding(rule: str, *, explanation: str = "At sync 1 (step 4), it went wrong.") -> Finding:
    return Finding(
        rule=rule,
        revision="2023-07-13",
        quote=CATALOGUE[rule].quote,
        sync_step=3,
        steps=(2,),
        messages=(1, "m-<1>"),
        expected=f"traits.Listrak_list_7 = {_HOSTILE}",
        seen="nothing & <more>",
        explanation=explanation,
        sync=1,
        source=CATALOGUE[rule].source,
    )


def _result(
    coverage: list[RuleCoverage], findings: list[Finding], implementation: str = "cmd:./sync.sh"
) -> CampaignResult:
    history = History(
        (CreateList(7, _HOSTILE), Integrate(7), Subscribe(7, "zoë@exämple.com"), Sync(), Unsubscribe(7, "a@b.io")),
        "2023-07-13",
    )
    failures = [Failure(Path("/tmp/saved <1>.json"), findings, Run(history, implementation, ()))] if findings else []
    return CampaignResult(implementation, "2023-07-13", 4, {c.rule: c for c in coverage}, failures, seed=None)


def test_unchecked_unexercised_and_hazard_rules_get_their_verdicts() -> None:
    result = _result(
        [
            RuleCoverage("user-id", checked=True, exercised=3, violated=0),
            RuleCoverage("list-trait-truth", checked=True, exercised=0, violated=0),
            RuleCoverage("write-key", checked=False),
            RuleCoverage("user-id-conflict", checked=True, exercised=2, violated=1),
            RuleCoverage("limits", checked=True, exercised=5, violated=2),
        ],
        [_finding("user-id-conflict", explanation="ann@x.io was sent with userIds u1 and u2.")],
    )
    document = junit_xml(result)
    _assert_counts_match_children(document)
    cases = _cases(_suite(document))
    assert list(cases["user-id"]) == []
    assert [(c.tag, c.attrib["message"]) for c in cases["list-trait-truth"]] == [("skipped", NOT_EXERCISED)]
    assert [(c.tag, c.attrib["message"]) for c in cases["write-key"]] == [("skipped", NOT_CHECKED)]
    # A hazard never fails a run: it passes, with what it found in system-out.
    [out] = list(cases["user-id-conflict"])
    assert out.tag == "system-out" and out.text is not None
    assert "hazard" in out.text and "ann@x.io was sent with userIds u1 and u2." in out.text
    # Violated in the generated histories, though the saved minimal history was shrunk for another rule.
    [failure] = list(cases["limits"])
    assert failure.tag == "failure" and failure.attrib["type"] == "limits"
    assert "violated 2 times" in failure.attrib["message"] and failure.text is not None
    assert "shrunk for another rule" in failure.text


def test_hostile_values_are_escaped_and_invisible_characters_written_out() -> None:
    implementation = 'cmd:./sync.sh --name "a b" & <x>'
    coverage = [RuleCoverage("list-trait-truth", checked=True, exercised=1, violated=1)]
    document = junit_xml(_result(coverage, [_finding("list-trait-truth", explanation=_HOSTILE)], implementation))
    document.encode("utf-8")  # no lone surrogate left
    for code in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF]:
        assert chr(code) not in document
    suite = _suite(document)
    assert suite.attrib["name"] == f"listrak-harness conform {implementation}"
    failure = _cases(suite)["list-trait-truth"].find("failure")
    assert failure is not None and failure.text is not None
    assert failure.attrib["message"] == visible_text(_HOSTILE)
    assert failure.attrib["message"].startswith(
        "Zoë <b>&amp; \"quoted\" 'single' \\x01\\x00\\x1b\\x7f\\ud800 \U0001f600"
    )
    assert "ü@exämple.com\u2028end" in failure.attrib["message"]
    assert "seen:     nothing & <more>" in failure.text
    assert f"Replay it: {replay_command(Path('/tmp/saved <1>.json'), implementation)}" in failure.text
    assert "listrak-harness replay '/tmp/saved <1>.json' --impl 'cmd:./sync.sh --name \"a b\" & <x>'" in failure.text
    assert "step 3 (subscribe zoë@exämple.com to list 7)" in failure.text


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain ascii", "plain ascii"),
        ("tab\tnew\nline\rreturn", "tab\tnew\nline\rreturn"),
        ("\x00\x01\x1f", "\\x00\\x01\\x1f"),
        ("del\x7f c1\x85", "del\\x7f c1\\x85"),
        ("\ud83d half", "\\ud83d half"),
        ("\ufffe\uffff", "\\ufffe\\uffff"),
        ("ünïcödé \U0001f600 \u2028", "ünïcödé \U0001f600 \u2028"),
    ],
)
def test_visible_text_writes_out_what_xml_forbids_or_no_one_sees(text: str, shown: str) -> None:
    assert visible_text(text) == shown
    assert visible_text(shown) == shown


def test_a_captured_stream_says_why_request_rules_were_not_exercised_and_how_to_check_it_again() -> None:
    result = _result(
        [RuleCoverage("write-key", checked=True, exercised=0), RuleCoverage("limits", checked=True, exercised=4)],
        [],
        implementation="captured:run 2.ndjson",
    )
    cases = _cases(_suite(junit_xml(result)))
    assert [(c.tag, c.attrib["message"]) for c in cases["write-key"]] == [("skipped", NOT_IN_CAPTURE)]
    assert list(cases["limits"]) == []
    assert replay_command(Path("h.json"), "captured:run 2.ndjson") == (
        "listrak-harness check --history h.json --messages 'run 2.ndjson'"
    )
    assert replay_command(Path("h.json"), "reference") == "listrak-harness replay h.json --impl reference"
