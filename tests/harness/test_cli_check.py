"""`listrak-harness check --history H.json --messages M.ndjson`, run in-process: verdicts, exit codes, reports."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from histories_support import LIFECYCLE as SHARED_LIFECYCLE
from histories_support import ONE_SYNC as SHARED_ONE_SYNC
from segment_support import post

from fake_segment.server import FakeSegment
from harness.capture import NOT_EXERCISED
from harness.checker import HAZARDS
from harness.cli import main
from harness.history import (
    History,
    Sync,
)
from harness.impls import parse_impl
from harness.replay import Run, replay

OMIT = "python:broken_syncs:omit_removal"
LIFECYCLE = History(SHARED_LIFECYCLE)
ONE_SYNC = History(SHARED_ONE_SYNC)
NOT_EXERCISED_LINE = (
    "Not exercised: write-key, limits, retry-after, token-refresh, because a captured stream has no requests, "
    "only the messages they carried."
)


def _capture(run: Run, path: Path) -> Path:
    """Write a live run as a user would capture it: a marker before each sync, then the messages it sent."""
    lines = []
    for record in run.records:
        lines.append(json.dumps({"sync": record.number}))
        lines += [json.dumps(m.message, ensure_ascii=False) for m in record.messages]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _judged(findings: list[dict[str, object]]) -> list[tuple[object, ...]]:
    return [(f["rule"], f["sync"], f["explanation"]) for f in findings if f["rule"] not in NOT_EXERCISED]


@pytest.fixture
def lifecycle(tmp_path: Path) -> Path:
    return LIFECYCLE.save(tmp_path / "history.json")


def test_a_conforming_capture_exits_0_and_says_what_was_not_exercised(
    tmp_path: Path, lifecycle: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    messages = _capture(replay(LIFECYCLE, parse_impl("reference")), tmp_path / "sent.ndjson")
    assert main(["check", "--history", str(lifecycle), "--messages", str(messages)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert lines[0] == f"check {messages} against {lifecycle} (revision 2023-07-13, 3 syncs, 5 messages)"
    assert '  1. create list 7 "Newsletter"' in lines and " 11. sync 3" in lines
    assert "sync 1 (step 6): 2 messages (lines 2-3)" in lines
    assert NOT_EXERCISED_LINE in lines
    assert "No findings." in lines and lines[-1] == "OK: no rule violated"


def test_a_broken_capture_exits_1_with_the_findings_of_its_replay(
    tmp_path: Path, lifecycle: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    replayed, checked = tmp_path / "replay.json", tmp_path / "check.json"
    assert main(["replay", str(lifecycle), "--impl", OMIT, "--report-json", str(replayed)]) == 1
    messages = _capture(replay(LIFECYCLE, parse_impl(OMIT)), tmp_path / "sent.ndjson")
    capsys.readouterr()
    argv = ["check", "--history", str(lifecycle), "--messages", str(messages), "--report-json", str(checked)]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "[unsubscribed-trait-removed] (sync 2, step 9)" in out
    assert out.splitlines()[-2:] == [
        "The findings number the messages the fake applied, in order: message 1 is line 2, message 3 is line 5, "
        "message 5 is line 8.",
        "FAILED: unsubscribed-trait-removed violated",
    ]

    live, document = json.loads(replayed.read_text()), json.loads(checked.read_text())
    assert _judged(document["findings"]) == _judged(live["findings"])
    assert [f["rule"] for f in document["findings"] if f["rule"] not in HAZARDS] == ["unsubscribed-trait-removed"]
    assert document["ok"] is False and document["messages"] == str(messages)
    assert document["notExercised"] == sorted(NOT_EXERCISED)
    assert document["notes"] == [NOT_EXERCISED_LINE]
    assert document["lines"] == {"1": 2, "2": 3, "3": 5, "4": 6, "5": 8}
    assert [(s["sync"], s["syncStep"], s["messages"], s["ok"]) for s in document["syncs"]] == [
        (1, 5, 2, True),
        (2, 8, 2, True),
        (3, 10, 1, True),
    ]


def test_junit_and_html_reports_are_written(tmp_path: Path, lifecycle: Path) -> None:
    messages = _capture(replay(LIFECYCLE, parse_impl(OMIT)), tmp_path / "sent.ndjson")
    junit, html = tmp_path / "out" / "check.xml", tmp_path / "out" / "check.html"
    argv = ["check", "--history", str(lifecycle), "--messages", str(messages), "--junit", str(junit)]
    assert main([*argv, "--html", str(html)]) == 1
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("name") == f"listrak-harness check captured:{messages}"
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert cases["unsubscribed-trait-removed"].find("failure") is not None
    for rule in NOT_EXERCISED:
        assert cases[rule].find("skipped") is not None
    assert (
        cases["subscribed-has-trait"].find("failure") is None and cases["subscribed-has-trait"].find("skipped") is None
    )
    page = html.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "listrak-harness check" in page
    assert "unsubscribed-trait-removed" in page


def test_a_plain_stream_judges_a_one_sync_history(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    history = ONE_SYNC.save(tmp_path / "h.json")
    messages = tmp_path / "m.ndjson"
    message = {"type": "identify", "anonymousId": "a@x.io", "traits": {"email": "a@x.io", "Listrak_list_7": True}}
    messages.write_text(json.dumps(message) + "\n\n", encoding="utf-8")
    assert main(["check", "--history", str(history), "--messages", str(messages)]) == 0
    assert "sync 1 (step 4): 1 message (line 1)" in capsys.readouterr().out

    messages.write_text(json.dumps({**message, "traits": {"email": "a@x.io", "Listrak_list_7": False}}) + "\n")
    assert main(["check", "--history", str(history), "--messages", str(messages)]) == 1
    out = capsys.readouterr().out
    assert "[list-trait-value] (sync 1, step 4)" in out and "FAILED: " in out


def test_last_sync_judges_one_captured_run_as_the_last_sync(
    tmp_path: Path, lifecycle: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    once = History((*(s for s in LIFECYCLE.steps if not isinstance(s, Sync)), Sync()))
    messages = tmp_path / "once.ndjson"
    messages.write_text("".join(json.dumps(m.message) + "\n" for m in replay(once, parse_impl("reference")).messages()))
    argv = ["check", "--history", str(lifecycle), "--messages", str(messages)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"listrak-harness check: {messages}: the stream names no sync, but the history has 3")
    assert "--last-sync" in err and len(err.splitlines()) == 1

    assert main([*argv, "--last-sync"]) == 0
    out = capsys.readouterr().out
    assert "sync 1 (step 6): not captured, not judged" in out
    assert "--last-sync: every message is judged as sent by sync 3 (step 11)" in out
    assert out.splitlines()[-1] == "OK: no rule violated"


def test_the_fake_segments_export_is_judged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    history = ONE_SYNC.save(tmp_path / "h.json")
    seg = FakeSegment(write_keys=["staging-key"])
    client = seg.app.test_client()  # type: ignore[attr-defined]
    good = {"type": "identify", "anonymousId": "a@x.io", "traits": {"email": "a@x.io", "Listrak_list_7": True}}
    batch = {"batch": [good, {**good, "userId": "u9"}]}
    assert post(client, "/v1/batch", batch, write_key="staging-key").status_code == 200
    export = client.get("/_fake/messages?writeKey=staging-key")
    assert export.status_code == 200 and export.get_json()["count"] == 2
    messages = tmp_path / "export.ndjson"
    messages.write_bytes(export.get_data())
    assert main(["check", "--history", str(history), "--messages", str(messages)]) == 1
    out = capsys.readouterr().out
    assert "sync 1 (step 4): 2 messages (line 1)" in out
    assert "[user-id] (sync 1, step 4)" in out
    assert 'The export filed the messages under write key "staging-key" (line 1)' in out

    entries = [json.dumps(entry) for entry in export.get_json()["messages"]]
    messages.write_text("\n".join(entries[:1]) + "\n", encoding="utf-8")
    assert main(["check", "--history", str(history), "--messages", str(messages)]) == 0


def test_messages_can_come_from_stdin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    history = ONE_SYNC.save(tmp_path / "h.json")
    message = {"type": "identify", "anonymousId": "a@x.io", "traits": {"email": "a@x.io", "Listrak_list_7": True}}
    stream = io.TextIOWrapper(io.BytesIO((json.dumps({"sync": 1}) + "\n" + json.dumps(message) + "\n").encode()))
    monkeypatch.setattr("sys.stdin", stream)
    assert main(["check", "--history", str(history), "--messages", "-"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"check stdin against {history} (revision 2023-07-13, 1 sync, 1 message)")


@pytest.mark.parametrize(
    ("history", "messages", "error"),
    [
        (None, '{"sync": 1}', "cannot read {h}: No such file or directory"),
        ("{", '{"sync": 1}', "{h} is not a usable history: "),
        (
            json.dumps({"format": "listrak-harness/history@1", "steps": [{"kind": "subscribe"}]}),
            "",
            "{h} is not a usable history: ",
        ),
        (ONE_SYNC.dumps(), None, "cannot read {m}: No such file or directory"),
        (ONE_SYNC.dumps(), '\n{"type": "identify"', "{m}: line 2: expected a JSON object, saw text that is not JSON"),
        (ONE_SYNC.dumps(), "[]", "{m}: line 1: expected a JSON object, saw an empty array"),
        (ONE_SYNC.dumps(), '{"sync": 2}', "{m}: line 1: sync 2 is not a sync of the history, which has 1 sync step"),
        (LIFECYCLE.dumps(), '{"type": "identify"}', "{m}: the stream names no sync, but the history has 3 sync steps"),
    ],
    ids=[
        "history-missing",
        "history-not-json",
        "history-invalid",
        "messages-missing",
        "line-not-json",
        "line-not-object",
        "sync-out-of-range",
        "no-markers",
    ],
)
def test_unusable_input_exits_2_with_one_line(
    tmp_path: Path, history: str | None, messages: str | None, error: str, capsys: pytest.CaptureFixture[str]
) -> None:
    h, m = tmp_path / "h.json", tmp_path / "m.ndjson"
    if history is not None:
        h.write_text(history, encoding="utf-8")
    if messages is not None:
        m.write_text(messages + "\n", encoding="utf-8")
    assert main(["check", "--history", str(h), "--messages", str(m)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("listrak-harness check: " + error.format(h=h, m=m))
    assert len(err.splitlines()) == 1


def test_last_sync_with_markers_exits_2(tmp_path: Path, lifecycle: Path, capsys: pytest.CaptureFixture[str]) -> None:
    messages = tmp_path / "m.ndjson"
    messages.write_text('{"sync": 1}\n', encoding="utf-8")
    assert main(["check", "--history", str(lifecycle), "--messages", str(messages), "--last-sync"]) == 2
    assert capsys.readouterr().err == (
        f"listrak-harness check: {messages}: --last-sync gives a stream without sync markers to the last sync, "
        "but line 1 names a sync\n"
    )


@pytest.mark.parametrize("flag", ["--report-json", "--junit", "--html"])
def test_a_report_that_cannot_be_written_exits_2(
    tmp_path: Path, lifecycle: Path, flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    messages = _capture(replay(LIFECYCLE, parse_impl("reference")), tmp_path / "sent.ndjson")
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    target = blocked / "report"
    assert main(["check", "--history", str(lifecycle), "--messages", str(messages), flag, str(target)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"listrak-harness check: cannot write {target}: ") and len(err.splitlines()) == 1


def test_missing_arguments_are_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["check", "--messages", "m.ndjson"])
    assert exited.value.code == 2
    assert "the following arguments are required: --history" in capsys.readouterr().err


def test_help_documents_the_stream_format(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    out = capsys.readouterr().out
    for text in ('{"sync": N}', '{"sync": N, "ok": false, "error": "why"}', '{"sync": N, "message": {...}}'):
        assert text in out
    assert "/_fake/messages" in out and "--last-sync" in out and "write-key, limits, retry-after, token-refresh" in out
