"""`listrak-harness check --history H.json --messages M.ndjson`: judge a stream of Segment messages captured
elsewhere (a sync run in staging against `listrak-harness serve`, or whatever a sync sent) against a history.

The stream's format and how its messages are attributed to the history's syncs are in `harness.capture`
(and in `--help`). The messages go through a fresh fake Segment, and the checker judges the rebuilt run
as it judges a replay; the rules on HTTP requests are not exercised, and the output says so.
Exit 0 when no rule that can fail a run was violated, 1 on a violation, 2 for unusable input.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from harness.commands.conform import format_findings
from harness.commands.shared import (
    CommandError,
    add_report_options,
    finish_single_run,
    load_history,
    one_line,
    usage_error,
    verdict,
)

if TYPE_CHECKING:
    from harness.capture import Capture

__all__ = ["add_check_parser", "run_check"]

_FORMAT = """\
M.ndjson holds one JSON object a line (blank lines are skipped, line numbers count them):
  {"type": "identify", ...}
      a Segment message as the sync sent it (as `listrak-harness sync --dry-run` prints them)
  {"seq": 3, "writeKey": "W", "message": {...}, "violations": [...]}
      an entry of the fake Segment's GET /_fake/messages (jq -c '.messages[]')
  {"count": N, "messages": [...]}
      that whole export on one line (curl -s 'http://127.0.0.1:8765/_fake/messages?writeKey=W')
  {"sync": N}
      the messages that follow belong to sync N (the history's sync steps, from 1, in order)
  {"sync": N, "ok": false, "error": "why"}
      ... and sync N reported failure
  {"sync": N, "message": {...}}
      one message of sync N (this too moves the stream to sync N)

Messages before the first marker belong to sync 1, and syncs are listed in order. A stream without any
marker is refused when the history has more than one sync, unless --last-sync gives every message to the
last sync (earlier syncs are then not judged). With markers, a sync no line names is judged as one that
sent nothing. An export entry met again (same seq, same message) counts once, so a full export appended
after each sync works. Each sync's messages go, in order, through a fresh fake Segment under the
history's write key, which drops duplicate messageIds and builds the profiles by Segment's rules, exactly
as in a replay. The rules on HTTP requests (write-key, limits, retry-after, token-refresh) are not
exercised: a captured stream has no requests.

Exit 0 when no rule was violated, 1 on a violation, 2 for an unreadable or unattributable input."""


def add_check_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "check",
        help="judge a stream of Segment messages captured elsewhere against a history",
        description="Judge the Segment messages a sync sent, captured elsewhere, against the history it ran:\n"
        "every message rule, and every state rule on the profiles the fake Segment builds from them.",
        epilog=_FORMAT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--history", required=True, type=Path, metavar="H.json", help="the history the sync ran")
    parser.add_argument(
        "--messages", required=True, metavar="M.ndjson", help="the captured stream, NDJSON ('-' for stdin)"
    )
    parser.add_argument(
        "--last-sync",
        action="store_true",
        help="the stream has no sync markers: judge every message as sent by the history's last sync",
    )
    add_report_options(parser)


def run_check(args: argparse.Namespace) -> int:
    """Attribute, rebuild and judge; 0 conforms, 1 violations, 2 for an unusable history or stream."""
    from harness.capture import CaptureError, build_run
    from harness.checker import failing, iter_findings
    from harness.history import Sync

    try:
        history = load_history(args.history)
    except CommandError as exc:
        return _error(str(exc))
    syncs = sum(isinstance(step, Sync) for step in history.steps)
    source = "stdin" if args.messages == "-" else args.messages
    try:
        capture = _read(args.messages, syncs, args.last_sync)
    except CaptureError as exc:
        return _error(f"{source}: {one_line(exc)}")
    except OSError as exc:
        return _error(f"cannot read {source}: {exc.strerror or exc}")
    started, began = datetime.now(UTC), time.monotonic()
    captured = build_run(history, capture, implementation=f"captured:{source}")
    run = captured.run
    exercised: Counter[str] = Counter()
    findings = list(iter_findings(run, exercised))
    seconds = time.monotonic() - began
    bad = failing(findings)

    messages = capture.message_count
    print(
        f"check {source} against {args.history} (revision {history.revision}, {len(run.records)} "
        f"sync{'s' if len(run.records) != 1 else ''}, {messages} message{'s' if messages != 1 else ''})"
    )
    print(history.describe())
    print()
    for line in captured.sync_lines():
        print(line)
    for note in captured.notes:
        print(note)
    print()
    print(format_findings(findings))
    print()
    named = sorted({ref for f in findings for ref in f.messages if isinstance(ref, int) and ref in captured.lines})
    if named:
        where = ", ".join(f"message {seq} is line {captured.lines[seq]}" for seq in named)
        print(f"The findings number the messages the fake applied, in order: {where}.")
    print(verdict(bad))
    document = {
        "ok": not bad,
        "implementation": run.implementation,
        "history": str(args.history),
        "messages": str(source),
        "notExercised": sorted(_not_exercised(exercised)),
        "notes": list(captured.notes),
        "syncs": [
            {
                "sync": record.number,
                "syncStep": record.step,
                "judged": sync.judged,
                "messages": len(sync.messages),
                "applied": len(record.messages),
                "dropped": len(record.discards),
                "ok": record.outcome.ok,
                "error": record.outcome.error,
            }
            for sync, record in zip(capture.syncs, run.records, strict=True)
        ],
        "findings": [f.to_json() for f in findings],
        # The findings name applied messages by number (seq); this maps each to its line of the stream.
        "lines": {str(seq): line for seq, line in captured.lines.items()},
    }
    return finish_single_run("check", args, run, findings, exercised, document, seconds=seconds, started=started)


def _read(messages: str, syncs: int, last_sync: bool) -> Capture:
    from harness.capture import load_capture, read_capture

    if messages == "-":
        return read_capture(sys.stdin.buffer, syncs, last_sync=last_sync)
    return load_capture(messages, syncs, last_sync=last_sync)


def _not_exercised(exercised: Counter[str]) -> set[str]:
    from harness.capture import NOT_EXERCISED

    return {rule for rule in NOT_EXERCISED if not exercised[rule]}


def _error(message: str) -> int:
    return usage_error("check", message)
