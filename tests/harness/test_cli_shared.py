"""What the judging commands share: report options, reading a history, the one-line usage error."""

from __future__ import annotations

import argparse
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from histories_support import LIFECYCLE

from harness.checker import Finding, iter_findings
from harness.commands.shared import (
    CommandError,
    add_report_options,
    finish_single_run,
    load_history,
    one_line,
    usage_error,
    verdict,
)
from harness.history import CreateList, History, Sync
from harness.impls import parse_impl
from harness.replay import replay


def test_report_options_are_the_same_three_paths_everywhere() -> None:
    parser = argparse.ArgumentParser()
    add_report_options(parser)
    args = parser.parse_args(["--report-json", "r.json", "--junit", "r.xml", "--html", "r.html"])
    assert (args.report_json, args.junit, args.html) == (Path("r.json"), Path("r.xml"), Path("r.html"))
    assert parser.parse_args([]).junit is None


def test_a_history_is_loaded_or_refused_in_one_line(tmp_path: Path) -> None:
    saved = History((CreateList(1), Sync())).save(tmp_path / "h.json")
    assert load_history(saved).steps == (CreateList(1), Sync())
    with pytest.raises(CommandError, match=r"^cannot read .*missing\.json: No such file or directory$"):
        load_history(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "listrak-harness/history@1",\n "steps": "no"}')
    with pytest.raises(CommandError) as caught:
        load_history(broken)
    assert str(caught.value).startswith(f"{broken} is not a usable history: ") and "\n" not in str(caught.value)


def test_a_usage_error_is_one_line_on_stderr_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert usage_error("check", one_line(ValueError("two\n  lines"))) == 2
    assert capsys.readouterr().err == "listrak-harness check: two lines\n"


def test_the_verdict_names_each_violated_rule_once_in_order() -> None:
    assert verdict([]) == "OK: no rule violated"
    found = [_finding("user-id"), _finding("email-trait"), _finding("user-id")]
    assert verdict(found) == "FAILED: email-trait, user-id violated"


def _finding(rule: str) -> Finding:
    return Finding(rule, "2023-07-13", "quote", 0, (), (), "expected", "seen", "why")


def test_a_single_run_is_reported_and_its_exit_status_says_whether_a_rule_failed(tmp_path: Path) -> None:
    history = History(LIFECYCLE)
    run = replay(history, parse_impl("reference"))
    exercised: Counter[str] = Counter()
    findings = list(iter_findings(run, exercised))
    report = tmp_path / "r.json"
    args = argparse.Namespace(history=tmp_path / "h.json", report_json=report, junit=None, html=None)
    when = datetime.now(UTC)

    assert finish_single_run("replay", args, run, findings, exercised, {"ok": True}, seconds=0.1, started=when) == 0
    assert json.loads(report.read_text()) == {"ok": True}

    broken = [*findings, _finding("unsubscribed-trait-removed")]
    assert finish_single_run("replay", args, run, broken, exercised, {}, seconds=0.1, started=when) == 1

    (tmp_path / "a-file").write_text("")
    args.report_json = tmp_path / "a-file" / "r.json"  # a file where a directory should be: cannot write
    assert finish_single_run("replay", args, run, findings, exercised, {}, seconds=0.1, started=when) == 2
