"""Judging a stream captured elsewhere: read what a sync sent, attribute each message to one of the
history's syncs, and rebuild the `Run` a live replay would have produced, so that the checker judges
it unchanged.

The stream is NDJSON: UTF-8, one JSON object a line; blank lines are skipped but counted, so that
errors name the line as an editor shows it. A line is one of:

- a Segment message as a sync sent it (an item of a `/v1/batch` body, or a line of what
  `listrak-harness sync --dry-run` prints): `{"type": "identify", "anonymousId": ..., ...}`;
- an entry of the fake Segment's export, `{"seq": 3, "writeKey": "W", "message": {...}, "violations": [...]}`
  (`jq -c '.messages[]'` of `GET /_fake/messages`): its `message` is taken, the rest ignored;
- that whole export on one line, `{"count": N, "messages": [...]}` (what
  `curl -s 'http://127.0.0.1:8765/_fake/messages?writeKey=W'` prints; fetch it without `limit`);
- a sync marker, `{"sync": N}`: the messages that follow belong to sync N (1-based: the history's
  `sync` steps in their order). `{"sync": N, "ok": false, "error": "why"}` also says that sync
  reported failure (an `error` alone implies `"ok": false`); a marker has no other keys;
- a message attributed on its own line, `{"sync": N, "message": {...}}` (or `"messages": [...]`, and
  any export fields beside it), which like a marker moves the stream to sync N.

Messages before any line that names a sync belong to sync 1. Syncs run in order, so a line may not
name a sync before the one the stream is at. A stream that names no sync at all is attributed whole to
sync 1 when the history has one sync; with more, it is refused unless `last_sync` is asked for, which
gives every message to the last sync and leaves the earlier ones unjudged (their outcome says "not
captured"), for a user who captured one run. When the stream names syncs, a sync no line names is
judged as one that sent nothing. A sync that reported failure is judged as a failed sync in a replay
is (no state rules after it; a failed last sync is a silent loss). An export entry met again with the
same `seq` and the same message (a full export appended after every sync) is the same stored message
and counts once; export entries filed under two write keys are refused (export one).

Each sync's messages are sent, in order, to one fresh `SegmentBackend` (dedupe per write key, on a
manual clock that the history's `advance_clock` steps move as in a replay) as one-item `/v1/batch`
requests under the history's write key, so that the fake's own rules drop duplicates and build the
per-`anonymousId` trait views exactly as in a live replay. A message Segment would answer `400`
(over 32KB) is recorded as dropped with the error's code. The records carry no HTTP exchanges, so
the rules on requests (`NOT_EXERCISED`) are not exercised, and no fired faults. Findings name
applied messages by their number in that fake (`seq`); `CapturedRun.lines` maps each to its line.
"""

from __future__ import annotations

import base64
import io
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any, Final

from contracts.validator import describe_value
from fake_segment.backend import ReadRequest, SegmentBackend
from fake_segment.exceptions import SegmentError
from fake_segment.models import Settings
from harness.fakekit.clock import ManualClock, format_iso

from .history import AdvanceClock, Crash, History, InjectFault, Sync
from .impls import SyncOutcome
from .replay import Run, SyncRecord

__all__ = [
    "NOT_EXERCISED",
    "Capture",
    "CaptureError",
    "CapturedMessage",
    "CapturedRun",
    "CapturedSync",
    "build_run",
    "load_capture",
    "parse_capture",
    "read_capture",
]

# The rules judged on HTTP requests: a captured stream holds messages, not the requests that carried them.
NOT_EXERCISED: Final = ("write-key", "limits", "retry-after", "token-refresh")

_MARKER_KEYS: Final = frozenset({"sync", "ok", "error"})


class CaptureError(ValueError):
    """A stream that cannot be attributed to the history: says what was expected, what was seen, and the line."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line is not None else message)
        self.line = line


@dataclass(frozen=True, slots=True)
class CapturedMessage:
    """One message of the stream and the line it came from."""

    line: int
    message: dict[str, Any]


@dataclass(slots=True)
class CapturedSync:
    """What the stream says about one sync: its messages in order, its outcome, and whether a line named it.

    `judged` is False for the syncs `--last-sync` leaves out (they were not captured).
    """

    number: int
    messages: list[CapturedMessage] = field(default_factory=list)
    ok: bool = True
    error: str | None = None
    error_line: int | None = None
    named: bool = False
    judged: bool = True


@dataclass(frozen=True, slots=True)
class Capture:
    """A stream attributed to the history's syncs (one `CapturedSync` per `sync` step, in order)."""

    syncs: tuple[CapturedSync, ...]
    # Whether any line named a sync (markers or attributed messages).
    marked: bool = False
    last_sync: bool = False
    # The write key the export entries were filed under (None when no line carried one), and its line.
    write_key: str | None = None
    write_key_line: int | None = None
    # Export entries met again (same seq, same message) and counted once.
    repeats: int = 0

    @property
    def message_count(self) -> int:
        """How many messages the stream attributes to a sync."""
        return sum(len(s.messages) for s in self.syncs)


@dataclass(frozen=True, slots=True)
class CapturedRun:
    """The run rebuilt from a capture, and the sentences a reader needs to trust it (what was not judged)."""

    run: Run
    capture: Capture
    notes: tuple[str, ...]
    # The stream's line of each applied message, by the number (seq) the findings call it by.
    lines: Mapping[int, int] = field(default_factory=dict)

    def sync_lines(self) -> list[str]:
        """One line per sync: its step, what the stream gave it, what Segment dropped, and its outcome."""
        out = []
        for captured, record in zip(self.capture.syncs, self.run.records, strict=True):
            where = f"sync {record.number} (step {record.step + 1})"
            if not captured.judged:
                out.append(f"{where}: not captured, not judged")
                continue
            parts = [_count(len(captured.messages), "message")]
            if captured.messages:
                first, last = captured.messages[0].line, captured.messages[-1].line
                parts[0] += f" (line {first})" if first == last else f" (lines {first}-{last})"
            dropped: dict[str, int] = {}
            for discard in record.discards:
                dropped[discard.reason] = dropped.get(discard.reason, 0) + 1
            parts += [f"{n} dropped by Segment ({reason})" for reason, n in sorted(dropped.items())]
            if not captured.ok:
                parts.append(f"reported failure: {captured.error or 'no reason given'}")
            elif not captured.named and self.capture.marked:
                parts.append("named by no line, judged as sending nothing")
            out.append(f"{where}: {', '.join(parts)}")
        return out


# -- reading -------------------------------------------------------------------------------------
def load_capture(path: str | os.PathLike[str], syncs: int, *, last_sync: bool = False) -> Capture:
    """Read a captured stream from a file; see `read_capture`. OSError when the file cannot be read."""
    with open(path, "rb") as stream:
        return read_capture(stream, syncs, last_sync=last_sync)


def read_capture(stream: IO[bytes], syncs: int, *, last_sync: bool = False) -> Capture:
    """Read a captured stream of UTF-8 lines (a leading byte-order mark tolerated); see `parse_capture`.

    A line that is not UTF-8 is a CaptureError naming it.
    """
    return parse_capture(_decoded(stream), syncs, last_sync=last_sync)


def _decoded(stream: IO[bytes]) -> Iterator[str]:
    for number, raw in enumerate(stream, start=1):
        try:
            yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise CaptureError(f"expected UTF-8 text, saw {exc.reason} at byte {exc.start + 1}", number) from None


def parse_capture(lines: Iterable[str], syncs: int, *, last_sync: bool = False) -> Capture:
    """Attribute the lines of a stream to a history with `syncs` sync steps (the module docstring gives the format).

    Raises CaptureError naming the line for a line that is not a JSON object, a bad marker or a sync the
    history does not have; and for a stream with messages but no marker when the history has several
    syncs, unless `last_sync`.
    """
    reader = _Reader(syncs)
    for number, text in enumerate(lines, start=1):
        if text.strip():
            reader.read(number, text)
    return reader.finish(last_sync)


class _Reader:
    """One pass over the stream: the sync it is at, the messages so far, the export entries seen."""

    def __init__(self, syncs: int) -> None:
        self.syncs = [CapturedSync(n) for n in range(1, syncs + 1)]
        self.current = 1
        self.marked: int | None = None  # the first line that named a sync
        self.messages: list[tuple[int, CapturedMessage]] = []
        self.write_key: tuple[str, int] | None = None
        self.exported: dict[tuple[str | None, int], dict[str, Any]] = {}
        self.repeats = 0

    def read(self, line: int, text: str) -> None:
        try:
            value = json.loads(text, parse_constant=_reject_constant)
        except ValueError as exc:
            detail = f"{exc.msg} at column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else str(exc)
            raise CaptureError(f"expected a JSON object, saw text that is not JSON ({detail})", line) from None
        except RecursionError:
            raise CaptureError("expected a JSON object, saw JSON nested too deeply to read", line) from None
        if not isinstance(value, dict):
            raise CaptureError(f"expected a JSON object, saw {describe_value(value)}", line)
        if "sync" in value:
            self._sync_line(line, value)
        for message in self._messages(line, value):
            self.messages.append((self.current, CapturedMessage(line, message)))

    def _sync_line(self, line: int, value: dict[str, Any]) -> None:
        """A marker, or a message attributed on its own line: move to its sync and take its outcome."""
        if "message" not in value and "messages" not in value:
            unknown = sorted(set(value) - _MARKER_KEYS)
            if unknown:
                shown = ", ".join(json.dumps(k, ensure_ascii=False) for k in unknown)
                raise CaptureError(
                    f'a sync marker has only "sync", "ok" and "error", saw {shown} too '
                    '(to attribute a message on its own line, put it under "message")',
                    line,
                )
        number = value["sync"]
        count = len(self.syncs)
        if type(number) is not int:
            raise CaptureError(f'expected "sync" to be a sync number (1, 2, ...), saw {describe_value(number)}', line)
        if not 1 <= number <= count:
            has = "no sync step" if not count else f"{_count(count, 'sync step')} (numbered 1 to {count} in order)"
            raise CaptureError(f"sync {number} is not a sync of the history, which has {has}", line)
        if number < self.current:
            raise CaptureError(
                f"sync {number} after sync {self.current}: syncs run in order, so the stream must list them in order",
                line,
            )
        ok, error = value.get("ok", True), value.get("error")
        if type(ok) is not bool:
            raise CaptureError(f'expected "ok" to be true or false, saw {describe_value(ok)}', line)
        if error is not None and not isinstance(error, str):
            raise CaptureError(
                f'expected "error" to be a string saying why the sync failed, saw {describe_value(error)}', line
            )
        if ok and error is not None and "ok" in value:
            raise CaptureError('"error" says the sync failed, but "ok" is true', line)
        self.current = number
        if self.marked is None:
            self.marked = line
        sync = self.syncs[number - 1]
        sync.named = True
        if not ok or error is not None:
            sync.ok = False
            if sync.error is None:
                sync.error, sync.error_line = error, line

    def _messages(self, line: int, value: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """The messages a line holds: none (a marker), its `message`, the entries of its `messages`, or itself."""
        if "messages" in value:
            entries = value["messages"]
            if not isinstance(entries, list):
                raise CaptureError(
                    f'expected "messages" to be an array (an export), saw {describe_value(entries)}', line
                )
            for index, entry in enumerate(entries):
                if not isinstance(entry, dict):
                    raise CaptureError(f"expected messages[{index}] to be an object, saw {describe_value(entry)}", line)
                yield from self._entry(line, entry, f"messages[{index}].")
        elif "message" in value:
            yield from self._entry(line, value, "")
        elif "sync" not in value:
            yield value

    def _entry(self, line: int, entry: dict[str, Any], where: str) -> Iterator[dict[str, Any]]:
        """A message, or an export entry wrapping one (`seq`, `writeKey`, `message`)."""
        if "message" not in entry:
            yield entry
            return
        message = entry["message"]
        if not isinstance(message, dict):
            raise CaptureError(
                f"expected {where}message to be a Segment message (an object), saw {describe_value(message)}", line
            )
        key = entry.get("writeKey")
        if key is not None:
            if not isinstance(key, str):
                raise CaptureError(f"expected {where}writeKey to be a string, saw {describe_value(key)}", line)
            if self.write_key is None:
                self.write_key = (key, line)
            elif key != self.write_key[0]:
                first, at = self.write_key
                raise CaptureError(
                    f"a message filed under write key {json.dumps(key)}, but line {at} has one filed under "
                    f"{json.dumps(first)}: export one write key (GET /_fake/messages?writeKey=...)",
                    line,
                )
        seq = entry.get("seq")
        if type(seq) is int:
            earlier = self.exported.get((key, seq))
            if earlier == message:
                self.repeats += 1
                return
            self.exported[(key, seq)] = message
        yield message

    def finish(self, last_sync: bool) -> Capture:
        count = len(self.syncs)
        if self.marked is not None and last_sync:
            raise CaptureError(
                f"--last-sync gives a stream without sync markers to the last sync, but line {self.marked} names a sync"
            )
        if self.messages and self.marked is None:
            line = self.messages[0][1].line
            if count == 0:
                raise CaptureError("a message, but the history has no sync step to attribute it to", line)
            if last_sync:
                self.messages = [(count, m) for _, m in self.messages]
                for sync in self.syncs[:-1]:
                    sync.judged = False
            elif count > 1:
                raise CaptureError(
                    f"the stream names no sync, but the history has {count} sync steps: put a line "
                    '{"sync": N} before the messages of sync N (or "sync": N beside each "message"), '
                    "or pass --last-sync to judge them all as the last sync"
                )
        elif self.messages and count == 0:
            raise CaptureError(
                "a message, but the history has no sync step to attribute it to", self.messages[0][1].line
            )
        for number, message in self.messages:
            self.syncs[number - 1].messages.append(message)
        if self.marked is None:
            for sync in self.syncs:
                sync.named = sync.judged
        elif self.syncs and self.syncs[0].messages:
            self.syncs[0].named = True  # messages before the first marker name sync 1
        key, key_line = self.write_key if self.write_key is not None else (None, None)
        return Capture(
            tuple(self.syncs),
            marked=self.marked is not None,
            last_sync=last_sync,
            write_key=key,
            write_key_line=key_line,
            repeats=self.repeats,
        )


def _reject_constant(name: str) -> object:
    # Python's json accepts NaN and Infinity; JSON, and so Segment, does not.
    raise ValueError(f"{name} is not a JSON value")


# -- rebuilding the run ---------------------------------------------------------------------------
def build_run(history: History, capture: Capture, *, implementation: str = "captured stream") -> CapturedRun:
    """The run the checker judges: each sync's messages through a fresh fake Segment, its views after them.

    `capture` must have one sync per `sync` step of `history` (as `parse_capture` with the history's
    count gives). Nothing here raises for a message: what Segment would refuse is recorded as dropped.
    """
    sync_steps = [index for index, step in enumerate(history.steps) if isinstance(step, Sync)]
    if len(sync_steps) != len(capture.syncs):
        raise ValueError(f"expected one captured sync per sync step ({len(sync_steps)}), saw {len(capture.syncs)}")
    clock = ManualClock()  # the replayer's epoch, so that receivedAt and the dedupe window run as in a replay
    backend = SegmentBackend(clock=clock, settings=Settings(dedupe_scope="write_key"))
    write_key = history.write_key
    auth = "Basic " + base64.b64encode(f"{write_key}:".encode()).decode("ascii")
    records: list[SyncRecord] = []
    refused: list[str] = []
    lines: dict[int, int] = {}
    seen_seq = seen_discards = 0
    captured_syncs = iter(capture.syncs)
    for index, step in enumerate(history.steps):
        if isinstance(step, AdvanceClock):
            clock.advance(step.seconds)
        if not isinstance(step, Sync):
            continue
        captured = next(captured_syncs)
        for item in captured.messages:
            applied = backend.counts()["applied"]
            error = _send(backend, write_key, auth, item.message)
            if backend.counts()["applied"] > applied:
                lines[applied + 1] = item.line
            if error is not None:
                refused.append(
                    f"line {item.line}: Segment would answer the request carrying this message {error.status} "
                    f"({error.code}: {error.message}), so it is judged as dropped."
                )
        messages = backend.messages(write_key=write_key, after_seq=seen_seq)
        if messages:
            seen_seq = messages[-1].seq
        discards = backend.discards(write_key=write_key)
        records.append(
            SyncRecord(
                number=captured.number,
                step=index,
                outcome=_outcome(captured, len(sync_steps)),
                messages=tuple(messages),
                discards=tuple(discards[seen_discards:]),
                faults=(),
                views=backend.trait_views(write_key, "anonymousId"),
            )
        )
        seen_discards = len(discards)
    run = Run(history, implementation, tuple(records))
    return CapturedRun(run, capture, tuple(_notes(history, capture, run) + refused), lines)


def _send(backend: SegmentBackend, write_key: str, auth: str, message: dict[str, Any]) -> SegmentError | None:
    """Send one message as a one-item `/v1/batch`, as a sync would; the error Segment would answer, if any."""
    body = json.dumps({"batch": [message]}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    try:
        backend.ingest("batch", io.BytesIO(body), authorization=auth)
    except SegmentError as error:
        # Segment refuses the whole request; keep the message as a drop, so its content is still judged.
        now = backend.clock.now()
        dropped = [(error.code, error.message, message)]
        backend.apply(ReadRequest(write_key, now.timestamp(), format_iso(now), [], dropped))
        return error
    return None


def _outcome(captured: CapturedSync, syncs: int) -> SyncOutcome:
    if not captured.judged:
        return SyncOutcome(
            ok=False,
            error=f"not captured: --last-sync judges the whole stream as sync {syncs}, so this sync is not judged",
        )
    if not captured.ok:
        said = captured.error or "no reason given"
        return SyncOutcome(
            ok=False, error=f"{said} (the stream's line {captured.error_line})" if captured.error_line else said
        )
    return SyncOutcome(ok=True)


def _notes(history: History, capture: Capture, run: Run) -> list[str]:
    """What the verdict does not cover, in sentences: the request rules, faults, unjudged or unnamed syncs."""
    notes = [
        f"Not exercised: {', '.join(NOT_EXERCISED)}, because a captured stream has no requests, only the messages "
        "they carried."
    ]
    if any(isinstance(step, InjectFault | Crash) for step in history.steps):
        notes.append(
            "The history's faults and crashes are not exercised: a captured stream does not say which fired, so "
            "no-silent-loss judges only the outcomes the stream reports."
        )
    records = run.records
    if capture.last_sync and len(records) > 1:
        last = records[-1]
        notes.append(
            f"--last-sync: every message is judged as sent by sync {last.number} (step {last.step + 1}); "
            f"{_syncs(records[:-1])}: not captured, so not judged."
        )
    if capture.marked:
        unnamed = [r for r, c in zip(records, capture.syncs, strict=True) if not c.named]
        if unnamed:
            notes.append(
                f"No line of the stream names {_syncs(unnamed)}, so each is judged as a sync that sent nothing."
            )
    if capture.write_key is not None and capture.write_key != history.write_key:
        notes.append(
            f"The export filed the messages under write key {json.dumps(capture.write_key)} (line "
            f"{capture.write_key_line}), not the history's {json.dumps(history.write_key)}; they are judged as sent "
            "with the history's (write-key is not exercised)."
        )
    if capture.repeats:
        were = "was" if capture.repeats == 1 else "were"
        notes.append(
            f"{_count(capture.repeats, 'export entry', 'export entries')} repeated an earlier one (same seq and "
            f"message) and {were} counted once."
        )
    return notes


def _syncs(records: Iterable[SyncRecord]) -> str:
    named = [f"{r.number} (step {r.step + 1})" for r in records]
    if len(named) == 1:
        return f"sync {named[0]}"
    return "syncs " + ", ".join(named[:-1]) + f" and {named[-1]}"


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"
