"""Replaying a history against an implementation through the two fakes, keeping what each sync did.

A `Replayer` owns one fake Listrak account (its page cap lowered so that pagination is always
exercised) and one fake Segment (deduping per write key) on one manual clock, and empties both
before each history, so that a campaign builds its fakes once. In-process (the default) the
implementation reaches the fakes through httpx transports with no socket; `served=True` puts both
on loopback servers instead, which `cmd:` implementations need (their process makes real HTTP
requests), and which crash steps need (a `Tripwire` in front of both fakes kills the process once
they have handled N of its requests).

Listrak steps go to the account, the integration steps change the context the next sync gets,
faults are armed on the history's own partition, and at each `sync` the implementation runs;
every message Segment applied, every discard, every fault fired and every HTTP exchange is
attributed to the sync that caused it.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from fake_listrak.fake import FakeListrak
from fake_listrak.views import API_PREFIX, TOKEN_PATH
from fake_segment.models import Discard, StoredMessage
from fake_segment.server import FakeSegment
from harness.fakekit.clock import ManualClock
from harness.fakekit.faults import FiredFault, parse_fault
from harness.fakekit.server import ServerThread
from harness.fakekit.transport import FakeTransport

from .apply import apply_step, is_listrak_step
from .cmd_impl import Tripwire
from .exchanges import Exchange, ExchangeLog
from .history import Crash, History, InjectFault, Integrate, RemoveIntegration, Step, Sync, step_label
from .impls import Implementation, SyncContext, SyncOutcome

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = [
    "LISTRAK_URL",
    "SEGMENT_URL",
    "LiveReplay",
    "ReplayError",
    "Replayer",
    "Run",
    "SyncRecord",
    "VirtualTime",
    "needs_servers",
    "replay",
]

# In-process runs never open a socket; these hosts only give the URLs their shape.
LISTRAK_URL = "http://listrak.fake"
SEGMENT_URL = "http://segment.fake"


# Each history's SYNC_STATE_DIR lives in memory where the machine has a tmpfs: an implementation's
# durable writes (SQLite's fsyncs) then cost nothing the history is not about.
_STATE_ROOT = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


class ReplayError(RuntimeError):
    """A history the replayer cannot carry out (as opposed to an implementation that fails it)."""


@dataclass(frozen=True, slots=True)
class SyncRecord:
    """What one `sync` step did: the outcome, what Segment applied and discarded, faults fired, and the views after."""

    number: int
    step: int
    outcome: SyncOutcome
    messages: tuple[StoredMessage, ...]
    discards: tuple[Discard, ...]
    faults: tuple[FiredFault, ...]
    # The per-anonymousId trait views Segment holds once the sync is over.
    views: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # Every request the implementation made to either fake during the sync, in order.
    exchanges: tuple[Exchange, ...] = ()
    # The crash step armed against this sync (kill after N requests), if any.
    crash_after: int | None = None

    @property
    def listrak_requests(self) -> tuple[str, ...]:
        """The implementation's requests to the fake Listrak, as `GET /email/v1/List/7/Contact?...`."""
        return tuple(e.route for e in self.exchanges if e.target == "listrak")


@dataclass(frozen=True, slots=True)
class Run:
    """A replayed history and one record per sync step, in order."""

    history: History
    implementation: str
    records: tuple[SyncRecord, ...]

    def messages(self) -> list[StoredMessage]:
        """Every message Segment applied during the run, oldest first."""
        return [m for record in self.records for m in record.messages]

    @property
    def implementation_seconds(self) -> float:
        """Wall time spent inside the implementation, summed over the syncs: each sync's run less the time
        the fakes took to answer its requests (the harness's share, even when they answer in-process)."""
        in_fakes = sum(e.ended - e.started for record in self.records for e in record.exchanges)
        return max(sum(record.outcome.seconds for record in self.records) - in_fakes, 0.0)


def needs_servers(impl: Implementation) -> bool:
    """Whether `impl` runs in another process and so needs the fakes on loopback (`cmd:` implementations)."""
    return bool(getattr(impl, "needs_servers", False))


def replay(history: History, impl: Implementation, *, page_cap: int = 2) -> Run:
    """Replay one history against `impl` with fakes of its own; HistoryError for an illegal history."""
    with Replayer(page_cap=page_cap, served=needs_servers(impl)) as replayer:
        return replayer.replay(history, impl)


class VirtualTime:
    """The monotonic clock of an in-process replay: real time plus every `sleep` taken so far.

    An in-process implementation that backs off or honours a Retry-After sleeps here, so the wait
    costs nothing, yet the exchange log (which stamps requests with `monotonic`) sees the gap, and
    `retry-after` is judged exactly as it would be on the wall clock.
    """

    def __init__(self) -> None:
        self._slept = 0.0
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        return time.monotonic() + self._slept

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            with self._lock:
                self._slept += seconds


class Replayer:
    """Fakes built once and emptied before each history; use as a context manager (servers stop at exit)."""

    def __init__(self, *, page_cap: int = 2, served: bool = False) -> None:
        self.served = served
        self.clock = ManualClock()
        self._epoch = self.clock.now()
        self.listrak = FakeListrak(clock=self.clock, page_size_cap=page_cap)
        self.account = self.listrak.account()
        self.segment = FakeSegment(clock=self.clock, dedupe_scope="write_key")
        # Served replays wait on the wall clock: another process cannot share a virtual one.
        self.time: VirtualTime | None = None if served else VirtualTime()
        self.log = ExchangeLog(self.time.monotonic if self.time is not None else time.monotonic)
        self.tripwire: Tripwire | None = None
        listrak_app: WSGIApplication = self.log.wrap("listrak", self.listrak.app)
        segment_app: WSGIApplication = self.log.wrap("segment", self.segment.app)
        if served:
            tripwire = self.tripwire = Tripwire()
            self._servers: tuple[ServerThread, ...] = (
                ServerThread(tripwire.wrap(listrak_app)),
                ServerThread(tripwire.wrap(segment_app)),
            )
            for server in self._servers:
                server.start()
            self.listrak_url, self.segment_url = (server.url for server in self._servers)
            self._transports: tuple[FakeTransport | None, FakeTransport | None] = (None, None)
        else:
            self._servers = ()
            self.listrak_url, self.segment_url = LISTRAK_URL, SEGMENT_URL
            sleep = self.time.sleep if self.time is not None else time.sleep
            self._transports = (FakeTransport(listrak_app, sleep=sleep), FakeTransport(segment_app, sleep=sleep))

    def close(self) -> None:
        """Stop the servers (served mode); safe to call twice."""
        for server in self._servers:
            server.stop()
        self._servers = ()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def replay(self, history: History, impl: Implementation) -> Run:
        """Replay `history` against `impl` on emptied fakes; HistoryError for an illegal history."""
        history.validate()
        if needs_servers(impl) and not self.served:
            raise ReplayError(f"{impl.name} runs in its own process and needs served fakes: Replayer(served=True)")
        if not self.served and any(isinstance(step, Crash) for step in history.steps):
            index, crash = next((i, s) for i, s in enumerate(history.steps) if isinstance(s, Crash))
            raise ReplayError(
                f"{step_label(index, crash)}: a crash step kills the implementation's process, so it needs a "
                "cmd: implementation"
            )
        with self.live(impl, history.revision, history.write_key) as live:
            for step in history.steps:
                live.apply(step)
            return live.run()

    def live(self, impl: Implementation, revision: str, write_key: str) -> LiveReplay:
        """A replay fed one step at a time (a state machine's), on this replayer's emptied fakes.

        Steps are applied as they come, unchecked: the caller keeps the history valid (the state
        machine does, through the same model the strategies use). Close it (or use `with`).
        """
        # Every history starts from the same fakes at the same time, so a replay repeats a campaign's run.
        self.clock.set(self._epoch)
        self.listrak.backend.reset()
        self.segment.backend.reset()
        self.log.clear()
        return LiveReplay(self, impl, revision, write_key)


class LiveReplay:
    """One history's replay, step by step: the integration so far, and where the logs stood at the last sync."""

    def __init__(self, replayer: Replayer, impl: Implementation, revision: str, write_key: str) -> None:
        self.r = replayer
        self.impl = impl
        self.revision = revision
        self.write_key = write_key
        self._scratch = tempfile.TemporaryDirectory(prefix="listrak-harness-", dir=_STATE_ROOT)
        self.state_dir = Path(self._scratch.name)
        self.steps: list[Step] = []
        self.records: list[SyncRecord] = []
        self.integration: dict[int, int | None] = {}
        self.crash_after: int | None = None
        self.seen = {"seq": 0, "discards": 0, "segment": 0, "listrak": 0, "exchanges": 0}

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Remove the implementation's state directory (safe to call twice)."""
        self._scratch.cleanup()

    def apply(self, step: Step) -> SyncRecord | None:
        """Carry out one step; a `sync` step runs the implementation and returns what it did."""
        index = len(self.steps)
        if isinstance(step, Crash) and not self.r.served:
            raise ReplayError(
                f"{step_label(index, step)}: a crash step kills the implementation's process, so it needs a "
                "cmd: implementation"
            )
        self.steps.append(step)
        account, segment = self.r.account, self.r.segment
        if is_listrak_step(step):
            apply_step(account, step, index)
        elif isinstance(step, Integrate):
            self.integration[step.list_id] = step.field_id
        elif isinstance(step, RemoveIntegration):
            del self.integration[step.list_id]
        elif isinstance(step, InjectFault):
            if step.target == "segment":
                segment.backend.faults.add(parse_fault({**step.fault, "partition": self.write_key}))
            else:
                account.add_fault(step.fault)
        elif isinstance(step, Crash):
            self.crash_after = step.after_requests
        elif isinstance(step, Sync):
            record = self._sync(len(self.records) + 1, index)
            self.records.append(record)
            return record
        else:  # pragma: no cover - every step type is handled above
            raise ReplayError(f"{step_label(index, step)}: no way to replay a {step.kind} step")
        return None

    def run(self) -> Run:
        """The history so far and what each of its syncs did."""
        history = History(tuple(self.steps), self.revision, self.write_key)
        return Run(history, self.impl.name, tuple(self.records))

    def _context(self, crash_after: int | None) -> SyncContext:
        r = self.r
        listrak_transport, segment_transport = r._transports
        return SyncContext(
            listrak_auth_url=r.listrak_url + TOKEN_PATH,
            listrak_api_url=r.listrak_url + API_PREFIX,
            listrak_client_id=r.account.client_id,
            listrak_client_secret=r.account.client_secret,
            segment_api_url=r.segment_url + "/v1",
            segment_write_key=self.write_key,
            lists=tuple(_list_entry(lid, fid) for lid, fid in sorted(self.integration.items())),
            revision=self.revision,
            state_dir=self.state_dir,
            listrak_transport=listrak_transport,
            segment_transport=segment_transport,
            crash_after=crash_after,
            tripwire=r.tripwire,
            sleep=r.time.sleep if r.time is not None else None,
            monotonic=r.time.monotonic if r.time is not None else None,
        )

    def _sync(self, number: int, index: int) -> SyncRecord:
        r, seen = self.r, self.seen
        crash_after, self.crash_after = self.crash_after, None
        outcome = self.impl.run(self._context(crash_after))
        backend = r.segment.backend
        messages = backend.messages(write_key=self.write_key, after_seq=seen["seq"])
        if messages:
            seen["seq"] = messages[-1].seq
        discards = backend.discards(write_key=self.write_key)
        fired_segment = backend.faults.fired(self.write_key)
        fired_listrak = r.account.backend.faults.fired(r.account.client_id)
        exchanges = r.log.since(seen["exchanges"])
        record = SyncRecord(
            number=number,
            step=index,
            outcome=outcome,
            messages=tuple(messages),
            discards=tuple(discards[seen["discards"] :]),
            faults=tuple(fired_segment[seen["segment"] :]) + tuple(fired_listrak[seen["listrak"] :]),
            views=backend.trait_views(self.write_key, "anonymousId"),
            exchanges=exchanges,
            crash_after=crash_after,
        )
        seen["discards"], seen["segment"], seen["listrak"] = len(discards), len(fired_segment), len(fired_listrak)
        seen["exchanges"] += len(exchanges)
        return record


def _list_entry(list_id: int, field_id: int | None) -> dict[str, int]:
    entry = {"listId": list_id}
    if field_id is not None:
        entry["profileFieldId"] = field_id
    return entry
