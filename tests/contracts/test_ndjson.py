"""NDJSON checking: one message a line, a report, and the text the CLI prints."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from contracts import NdjsonReport, format_text, validate_file, validate_lines

VALID = {
    "type": "identify",
    "anonymousId": "a@example.com",
    "messageId": "m-1",
    "traits": {"email": "a@example.com", "subscribed": True},
    "timestamp": "2024-01-02T03:04:05.678Z",
}


def line(message: Any) -> str:
    return json.dumps(message) + "\n"


def test_valid_lines_make_an_ok_report_with_counts() -> None:
    report = validate_lines([line(VALID), line({**VALID, "messageId": "m-2"})])
    assert report.ok
    assert (report.messages, report.valid, report.invalid) == (2, 2, 0)
    assert [(result.line, result.message_id, result.ok) for result in report.results] == [
        (1, "m-1", True),
        (2, "m-2", True),
    ]


def test_blank_lines_are_skipped_but_still_count_for_line_numbers() -> None:
    report = validate_lines(["\n", line(VALID), "   \n", line({**VALID, "traits": "x"})])
    assert [result.line for result in report.results] == [2, 4]
    assert report.messages == 2


def test_one_invalid_line_makes_the_report_fail() -> None:
    report = validate_lines([line(VALID), line({**VALID, "traits": "x", "messageId": "m-7"})])
    assert not report.ok
    assert (report.valid, report.invalid) == (1, 1)
    (bad,) = [result for result in report.results if not result.ok]
    assert bad.message_id == "m-7"
    assert [finding.path for finding in bad.findings] == ["$.traits"]


@pytest.mark.parametrize(
    ("text", "seen"),
    [
        (
            "{not json}",
            "text that is not JSON (Expecting property name enclosed in double quotes at column 2)",
        ),
        ('{"type": "identify", "traits": NaN}', "text that is not JSON (NaN is not a JSON value)"),
        ("[1, 2]", "an array of 2 items"),
        ('"identify"', 'a string "identify"'),
        ("null", "null"),
        ("42", "a number 42"),
    ],
)
def test_a_line_that_is_not_a_json_object_is_a_json_finding(text: str, seen: str) -> None:
    (result,) = validate_lines([text]).results
    (finding,) = result.findings
    assert (finding.path, finding.rule) == ("$", "json")
    assert finding.message == f"$: expected a JSON object, saw {seen}"
    assert result.message_id is None


def test_format_text_prints_one_line_per_finding_then_a_summary() -> None:
    lines = [
        line(VALID),
        "\n",
        line({**VALID, "messageId": "m-7", "traits": "x"}),
        "oops\n",
        line({"type": "track", "userId": "u", "event": "", "messageId": 5}),
    ]
    assert format_text(validate_lines(lines)).splitlines() == [
        'line 3 (messageId m-7): $.traits: expected an object, saw a string "x" [type at #/properties/traits]',
        "line 4: $: expected a JSON object, saw text that is not JSON (Expecting value at column 1) [json]",
        "line 5: $.messageId: expected a string, saw a number 5 [type at common.json#/properties/messageId]",
        "line 5: $.event: expected a non-empty string, saw an empty string [minLength at #/properties/event]",
        "4 messages, 1 valid, 3 invalid",
    ]


def test_format_text_of_an_empty_input_is_just_the_summary() -> None:
    report = validate_lines([])
    assert report.ok
    assert format_text(report) == "0 messages, 0 valid, 0 invalid"
    assert format_text(validate_lines([line(VALID)])) == "1 message, 1 valid, 0 invalid"


def test_validate_file_reads_utf8_and_tolerates_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "messages.ndjson"
    text = line({**VALID, "traits": {"name": "Zoë"}}) + line({**VALID, "userId": 3})
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    report = validate_file(path)
    assert isinstance(report, NdjsonReport)
    assert [result.ok for result in report.results] == [True, False]
    assert validate_file(str(path)) == report
