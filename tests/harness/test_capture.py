"""Captured streams: attributed to the history's syncs, rebuilt into the run a live replay makes, judged alike."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import Any

import httpx
import pytest
from histories_support import LIFECYCLE, LISTS, ONE_SYNC
from hypothesis import HealthCheck, given, settings

from fake_segment.server import FakeSegment
from harness.capture import (
    NOT_EXERCISED,
    Capture,
    CapturedRun,
    CaptureError,
    build_run,
    parse_capture,
    read_capture,
)
from harness.checker import Finding, failing, iter_findings
from harness.history import (
    AdvanceClock,
    History,
    InjectFault,
    Step,
    Sync,
)
from harness.impls import parse_impl
from harness.replay import Run, replay
from harness.strategies import histories


def _stream(run: Run) -> list[str]:
    """What a user would capture of a live run: a marker before each sync, then the messages it sent."""
    lines = []
    for record in run.records:
        lines.append(json.dumps({"sync": record.number}))
        lines += [json.dumps(m.message) for m in record.messages]
    return lines


def _judged(findings: list[Finding]) -> list[tuple[str, int, str, tuple[int | str, ...]]]:
    """The findings a capture can reproduce (all but the request rules), as comparable tuples."""
    return [(f.rule, f.sync, f.explanation, f.messages) for f in findings if f.rule not in NOT_EXERCISED]


def _check(steps: Sequence[Step], lines: Sequence[str], *, last_sync: bool = False, **history: Any) -> CapturedRun:
    h = History(tuple(steps), **history)
    syncs = sum(isinstance(step, Sync) for step in steps)
    return build_run(h, parse_capture(lines, syncs, last_sync=last_sync))


def _identify(address: str, list_id: int = 7, value: object = True, **fields: Any) -> dict[str, Any]:
    return {
        "type": "identify",
        "anonymousId": address,
        "traits": {"email": address, f"Listrak_list_{list_id}": value},
        **fields,
    }


def _lines(*items: object) -> list[str]:
    return [item if isinstance(item, str) else json.dumps(item) for item in items]


# -- a capture is judged as its live replay -------------------------------------------------------
@pytest.mark.parametrize("revision", ["2023-07-13", "2023-08-03"])
@pytest.mark.parametrize("steps", [LIFECYCLE, LISTS], ids=["lifecycle", "lists"])
@pytest.mark.parametrize(
    "impl",
    ["reference", "python:broken_syncs:omit_removal", "python:broken_syncs:false_removal"],
)
def test_a_captured_stream_gets_the_findings_of_its_live_replay(
    impl: str, steps: tuple[Step, ...], revision: str
) -> None:
    history = History(steps, revision=revision)
    live = replay(history, parse_impl(impl))
    captured = build_run(history, parse_capture(_stream(live), len(live.records)))
    expected = list(iter_findings(live))
    found = list(iter_findings(captured.run))
    assert _judged(found) == _judged(expected)
    assert [r.views for r in captured.run.records] == [r.views for r in live.records]
    assert [m.seq for m in captured.run.messages()] == [m.seq for m in live.messages()]
    if impl == "reference":
        assert failing(found) == []
    else:
        assert failing(found), "a broken sync's capture must fail as its replay does"


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_any_reference_capture_is_judged_as_its_live_replay(history: History) -> None:
    live = replay(history, parse_impl("reference"))
    captured = build_run(history, parse_capture(_stream(live), len(live.records)))
    assert _judged(list(iter_findings(captured.run))) == _judged(list(iter_findings(live)))
    assert [r.views for r in captured.run.records] == [r.views for r in live.records]


def test_the_records_carry_no_requests_and_the_notes_say_so() -> None:
    captured = _check(ONE_SYNC, _lines(_identify("a@x.io")))
    [record] = captured.run.records
    assert record.exchanges == () and record.faults == () and record.outcome.ok
    assert captured.notes[0].startswith("Not exercised: write-key, limits, retry-after, token-refresh, because")
    assert "no requests" in captured.notes[0]
    assert captured.sync_lines() == ["sync 1 (step 4): 1 message (line 1)"]


def test_a_history_with_faults_says_they_are_not_exercised() -> None:
    steps = (*ONE_SYNC[:3], InjectFault("segment", {"action": "status", "status": 500, "times": 1}), Sync())
    captured = _check(steps, _lines(_identify("a@x.io")))
    assert any("faults and crashes are not exercised" in note for note in captured.notes)


# -- attribution ----------------------------------------------------------------------------------
def test_a_single_sync_history_takes_a_stream_without_markers() -> None:
    captured = _check(ONE_SYNC, _lines(_identify("a@x.io"), "", _identify("a@x.io", messageId="m2")))
    assert [item.line for item in captured.capture.syncs[0].messages] == [1, 3]
    assert captured.run.records[0].views == {"a@x.io": {"email": "a@x.io", "Listrak_list_7": True}}
    assert failing(list(iter_findings(captured.run))) == []


def test_messages_before_the_first_marker_belong_to_sync_1() -> None:
    captured = _check(LIFECYCLE, _lines(_identify("Ann@X.io"), {"sync": 2}, _identify("Ann@X.io", value=None)))
    first, second, third = captured.capture.syncs
    assert [m.line for m in first.messages] == [1] and first.named
    assert [m.line for m in second.messages] == [3] and second.named
    assert third.messages == [] and not third.named


def test_a_message_attributed_on_its_own_line_moves_the_stream_to_its_sync() -> None:
    lines = _lines({"sync": 2, "message": _identify("Ann@X.io", value=None)}, _identify("bob@x.io"), {"sync": 3})
    first, second, _ = _check(LIFECYCLE, lines).capture.syncs
    assert first.messages == [] and not first.named
    assert [m.line for m in second.messages] == [1, 2]


def test_a_sync_no_line_names_is_judged_as_one_that_sent_nothing() -> None:
    captured = _check(LIFECYCLE, _lines({"sync": 2}, {"sync": 3}))
    assert any(note.startswith("No line of the stream names sync 1 (step 6)") for note in captured.notes)
    assert captured.sync_lines()[0] == "sync 1 (step 6): 0 messages, named by no line, judged as sending nothing"
    rules = {(f.rule, f.sync) for f in failing(list(iter_findings(captured.run)))}
    assert ("subscribed-has-trait", 1) in rules


def test_a_marker_says_a_sync_reported_failure() -> None:
    lines = _lines({"sync": 1}, {"sync": 2, "ok": False, "error": "Listrak 503"}, {"sync": 3, "error": "timeout"})
    captured = _check(LIFECYCLE, lines)
    first, second, third = (r.outcome for r in captured.run.records)
    assert first.ok and not second.ok and not third.ok
    assert second.error == "Listrak 503 (the stream's line 2)"
    assert captured.sync_lines()[1] == "sync 2 (step 9): 0 messages, reported failure: Listrak 503"
    # The last sync had nothing armed against it, so its reported failure is a silent loss, as in a replay.
    assert ("no-silent-loss", 3) in {(f.rule, f.sync) for f in iter_findings(captured.run)}


def test_last_sync_gives_every_message_to_the_last_sync_and_leaves_the_others_unjudged() -> None:
    # One run of the sync, from scratch, after every step of the history: what a user captured once.
    once = History((*(step for step in LIFECYCLE if not isinstance(step, Sync)), Sync()))
    lines = [json.dumps(m.message) for m in replay(once, parse_impl("reference")).messages()]
    captured = _check(LIFECYCLE, lines, last_sync=True)
    first, second, third = captured.run.records
    assert not first.outcome.ok and "not captured" in (first.outcome.error or "")
    assert not second.outcome.ok and len(third.messages) == len(lines)
    assert captured.sync_lines() == [
        "sync 1 (step 6): not captured, not judged",
        "sync 2 (step 9): not captured, not judged",
        f"sync 3 (step 11): {len(lines)} messages (lines 1-{len(lines)})",
    ]
    assert any(note.startswith("--last-sync: every message is judged as sent by sync 3") for note in captured.notes)
    assert failing(list(iter_findings(captured.run))) == []


def test_last_sync_on_a_one_sync_history_is_the_plain_attribution() -> None:
    captured = _check(ONE_SYNC, _lines(_identify("a@x.io")), last_sync=True)
    assert captured.run.records[0].outcome.ok and len(captured.run.records[0].messages) == 1


def test_an_empty_stream_is_a_run_that_sent_nothing() -> None:
    captured = _check(LIFECYCLE, ["", "  "])
    assert captured.capture.message_count == 0
    assert all(r.outcome.ok and not r.messages for r in captured.run.records)


# -- the fake Segment's export --------------------------------------------------------------------
def test_the_fake_segments_export_is_read_whole_or_entry_by_entry() -> None:
    history = History(LIFECYCLE)
    live = replay(history, parse_impl("python:broken_syncs:omit_removal"))
    seg = FakeSegment(dedupe_scope="write_key")
    whole: list[str] = []  # `curl .../_fake/messages?writeKey=W` appended after every sync
    entries: list[str] = []  # `jq -c '.messages[]'` of only the new entries
    seen = 0
    with httpx.Client(transport=seg.transport(), base_url="http://segment.fake") as client:
        for record in live.records:
            batch = {"batch": [m.message for m in record.messages]}
            assert client.post("/v1/batch", json=batch, auth=(history.write_key, "")).status_code == 200
            export = client.get("/_fake/messages", params={"writeKey": history.write_key})
            marker = json.dumps({"sync": record.number})
            whole += [marker, export.text]
            fresh = [e for e in export.json()["messages"] if e["seq"] > seen]
            entries += [marker, *(json.dumps(e) for e in fresh)]
            seen = max([seen, *(e["seq"] for e in fresh)])
    assert len(whole[1].splitlines()) == 1  # the export is one line of JSON
    expected = _judged(list(iter_findings(live)))
    assert expected and failing(list(iter_findings(live)))
    for lines in (whole, entries):
        captured = build_run(history, parse_capture(lines, 3))
        assert _judged(list(iter_findings(captured.run))) == expected
        assert [r.views for r in captured.run.records] == [r.views for r in live.records]
    first, second, _ = (len(r.messages) for r in live.records)
    # Sync 1's entries come again in the exports after syncs 2 and 3, sync 2's after sync 3.
    assert parse_capture(whole, 3).repeats == 2 * first + second


def test_an_export_repeated_without_changes_is_noted() -> None:
    entry = {"seq": 1, "writeKey": "harness-write-key", "message": _identify("a@x.io"), "violations": []}
    captured = _check(ONE_SYNC, _lines(entry, entry))
    assert captured.capture.repeats == 1 and len(captured.run.records[0].messages) == 1
    assert "1 export entry repeated an earlier one (same seq and message) and was counted once." in captured.notes


def test_a_message_sent_again_is_dropped_as_segment_drops_a_duplicate() -> None:
    again = _identify("a@x.io", messageId="m1")
    changed = _identify("a@x.io", value=None, messageId="m1")
    captured = _check(ONE_SYNC, _lines(again, again, changed))
    [record] = captured.run.records
    assert len(record.messages) == 1 and [d.reason for d in record.discards] == ["duplicate", "duplicate"]
    assert captured.lines == {1: 1}
    assert record.views["a@x.io"]["Listrak_list_7"] is True
    assert [f.rule for f in failing(list(iter_findings(captured.run)))] == ["message-id-unique"]
    assert captured.sync_lines() == ["sync 1 (step 4): 3 messages (lines 1-3), 2 dropped by Segment (duplicate)"]


def test_the_history_clock_moves_the_dedupe_window_as_in_a_replay() -> None:
    steps = (*ONE_SYNC, AdvanceClock(25 * 3600), Sync())
    message = _identify("a@x.io", messageId="m1")
    captured = _check(steps, _lines(message, {"sync": 2}, message))
    assert [len(r.messages) for r in captured.run.records] == [1, 1]  # 24 hours later it is no duplicate


def test_an_export_under_another_write_key_is_noted() -> None:
    entry = {"seq": 1, "writeKey": "staging-key", "message": _identify("a@x.io")}
    captured = _check(ONE_SYNC, _lines(entry))
    assert captured.run.records[0].messages[0].write_key == "harness-write-key"
    assert any('write key "staging-key" (line 1), not the history\'s "harness-write-key"' in n for n in captured.notes)


def test_a_message_over_32kb_is_judged_as_dropped() -> None:
    big = _identify("a@x.io", context={"padding": "x" * 40_000})
    captured = _check(ONE_SYNC, _lines(big))
    [record] = captured.run.records
    assert record.messages == () and [d.reason for d in record.discards] == ["payload_too_large"]
    assert any(
        note.startswith("line 1: Segment would answer the request carrying this message 400") for note in captured.notes
    )
    assert ("subscribed-has-trait", 1) in {(f.rule, f.sync) for f in iter_findings(captured.run)}


# -- what cannot be attributed ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("lines", "syncs", "error"),
    [
        (["{not json"], 1, "line 1: expected a JSON object, saw text that is not JSON (Expecting property name"),
        (["", "[1, 2]"], 1, "line 2: expected a JSON object, saw an array of 2 items"),
        (['"identify"'], 1, 'line 1: expected a JSON object, saw a string "identify"'),
        (['{"type": "identify", "n": NaN}'], 1, "line 1: expected a JSON object, saw text that is not JSON (NaN"),
        (['{"sync": 0}'], 3, "line 1: sync 0 is not a sync of the history, which has 3 sync steps (numbered 1 to 3"),
        (['{"sync": 4}'], 3, "line 1: sync 4 is not a sync of the history"),
        (['{"sync": 1}'], 0, "line 1: sync 1 is not a sync of the history, which has no sync step"),
        (['{"sync": "2"}'], 3, 'line 1: expected "sync" to be a sync number (1, 2, ...), saw a string "2"'),
        (['{"sync": true}'], 3, 'line 1: expected "sync" to be a sync number (1, 2, ...), saw a boolean true'),
        (['{"sync": 1.5}'], 3, 'line 1: expected "sync" to be a sync number (1, 2, ...), saw a number 1.5'),
        (['{"sync": 2}', '{"sync": 1}'], 3, "line 2: sync 1 after sync 2: syncs run in order"),
        (['{"sync": 1, "ok": "no"}'], 3, 'line 1: expected "ok" to be true or false, saw a string "no"'),
        (['{"sync": 1, "error": 503}'], 3, 'line 1: expected "error" to be a string saying why the sync failed'),
        (['{"sync": 1, "ok": true, "error": "x"}'], 3, 'line 1: "error" says the sync failed, but "ok" is true'),
        (['{"sync": 1, "type": "identify"}'], 3, 'line 1: a sync marker has only "sync", "ok" and "error", saw "type"'),
        (['{"sync": 1, "message": "hi"}'], 3, "line 1: expected message to be a Segment message (an object), saw a"),
        (['{"messages": {}}'], 1, 'line 1: expected "messages" to be an array (an export), saw an empty object'),
        (['{"messages": [1]}'], 1, "line 1: expected messages[0] to be an object, saw a number 1"),
        (['{"messages": [{"message": 1}]}'], 1, "line 1: expected messages[0].message to be a Segment message"),
        (['{"writeKey": 7, "message": {}}'], 1, "line 1: expected writeKey to be a string, saw a number 7"),
        (
            ['{"writeKey": "a", "message": {}}', '{"writeKey": "b", "message": {}}'],
            1,
            'line 2: a message filed under write key "b", but line 1 has one filed under "a"',
        ),
        (['{"type": "identify"}'], 0, "line 1: a message, but the history has no sync step to attribute it to"),
    ],
)
def test_a_line_that_cannot_be_attributed_is_refused_naming_it(lines: list[str], syncs: int, error: str) -> None:
    with pytest.raises(CaptureError) as raised:
        parse_capture(lines, syncs)
    assert str(raised.value).startswith(error)


def test_several_syncs_without_a_marker_are_refused_with_how_to_attribute() -> None:
    with pytest.raises(CaptureError) as raised:
        parse_capture([json.dumps(_identify("a@x.io"))], 3)
    message = str(raised.value)
    assert raised.value.line is None
    assert message.startswith("the stream names no sync, but the history has 3 sync steps")
    assert '{"sync": N}' in message and "--last-sync" in message


def test_last_sync_refuses_a_stream_that_names_syncs() -> None:
    with pytest.raises(CaptureError, match=r"^--last-sync gives a stream without sync markers .* line 2 names a sync"):
        parse_capture(["", '{"sync": 1}'], 3, last_sync=True)


def test_a_line_that_is_not_utf8_is_named() -> None:
    stream = io.BytesIO(b'\xef\xbb\xbf{"type": "identify", "anonymousId": "a@x.io"}\n{"type": "\xff"}\n')
    with pytest.raises(CaptureError, match=r"^line 2: expected UTF-8 text, saw invalid start byte at byte 11"):
        read_capture(stream, 1)


def test_a_leading_byte_order_mark_is_tolerated() -> None:
    capture = read_capture(io.BytesIO(b'\xef\xbb\xbf{"sync": 1}\n'), 1)
    assert isinstance(capture, Capture) and capture.marked


def test_build_run_needs_one_captured_sync_per_sync_step() -> None:
    with pytest.raises(ValueError, match=r"one captured sync per sync step \(2\), saw 1"):
        build_run(History((*ONE_SYNC, Sync())), parse_capture([], 1))
