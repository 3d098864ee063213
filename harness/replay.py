"""Replaying a history against an implementation through in-process fakes, keeping what each sync did.

Each history gets its own fakes on one manual clock (a fake Listrak account whose page cap is
lowered so that pagination is always exercised, and a fake Segment that dedupes per write key).
Listrak steps go to the account, the integration steps change the context the next sync gets,
faults are armed on the history's own partition, and at each `sync` the implementation runs;
every message Segment applied and every discard is attributed to the sync that sent it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from fake_listrak.fake import FakeListrak
from fake_listrak.views import API_PREFIX, TOKEN_PATH
from fake_segment.models import Discard, StoredMessage
from fake_segment.server import FakeSegment
from harness.fakekit.clock import ManualClock
from harness.fakekit.faults import FiredFault, parse_fault

from .apply import apply_step, is_listrak_step
from .history import Crash, History, InjectFault, Integrate, RemoveIntegration, Sync, step_label
from .impls import Implementation, SyncContext, SyncOutcome

__all__ = ["LISTRAK_URL", "SEGMENT_URL", "ReplayError", "Run", "SyncRecord", "replay"]

# In-process runs never open a socket; these hosts only give the URLs their shape.
LISTRAK_URL = "http://listrak.fake"
SEGMENT_URL = "http://segment.fake"


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
    # The implementation's requests to the fake Listrak, as `GET /email/v1/List/7/Contact?...`.
    listrak_requests: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Run:
    """A replayed history and one record per sync step, in order."""

    history: History
    implementation: str
    records: tuple[SyncRecord, ...]

    def messages(self) -> list[StoredMessage]:
        """Every message Segment applied during the run, oldest first."""
        return [m for record in self.records for m in record.messages]


def replay(history: History, impl: Implementation, *, page_cap: int = 2) -> Run:
    """Replay `history` against `impl` through fresh in-process fakes; HistoryError for an illegal history."""
    history.validate()
    clock = ManualClock()
    listrak = FakeListrak(clock=clock, page_size_cap=page_cap)
    account = listrak.account()
    segment = FakeSegment(clock=clock, dedupe_scope="write_key")
    write_key = history.write_key
    integration: dict[int, int | None] = {}
    records: list[SyncRecord] = []
    last_seq = 0
    seen_discards = 0
    seen_fired = 0
    listrak_fired = 0
    with tempfile.TemporaryDirectory(prefix="listrak-harness-") as state_dir:
        for index, step in enumerate(history.steps):
            if is_listrak_step(step):
                apply_step(account, step, index)
            elif isinstance(step, Integrate):
                integration[step.list_id] = step.field_id
            elif isinstance(step, RemoveIntegration):
                del integration[step.list_id]
            elif isinstance(step, InjectFault):
                if step.target == "segment":
                    segment.backend.faults.add(parse_fault({**step.fault, "partition": write_key}))
                else:
                    account.add_fault(step.fault)
            elif isinstance(step, Crash):
                raise ReplayError(
                    f"{step_label(index, step)}: crash steps need a cmd: implementation, which replay cannot run yet"
                )
            elif isinstance(step, Sync):
                context = SyncContext(
                    listrak_auth_url=LISTRAK_URL + TOKEN_PATH,
                    listrak_api_url=LISTRAK_URL + API_PREFIX,
                    listrak_client_id=account.client_id,
                    listrak_client_secret=account.client_secret,
                    segment_api_url=SEGMENT_URL + "/v1",
                    segment_write_key=write_key,
                    lists=tuple(_list_entry(lid, fid) for lid, fid in sorted(integration.items())),
                    revision=history.revision,
                    state_dir=Path(state_dir),
                    listrak_transport=(listrak_seen := _Recording(listrak.transport())),
                    segment_transport=segment.transport(),
                )
                outcome = impl.run(context)
                messages = segment.backend.messages(write_key=write_key, after_seq=last_seq)
                if messages:
                    last_seq = messages[-1].seq
                discards = segment.backend.discards(write_key=write_key)
                fired_segment = segment.backend.faults.fired(write_key)
                fired_listrak = account.backend.faults.fired(account.client_id)
                records.append(
                    SyncRecord(
                        number=len(records) + 1,
                        step=index,
                        outcome=outcome,
                        messages=tuple(messages),
                        discards=tuple(discards[seen_discards:]),
                        faults=tuple(fired_segment[seen_fired:]) + tuple(fired_listrak[listrak_fired:]),
                        views=segment.backend.trait_views(write_key, "anonymousId"),
                        listrak_requests=tuple(listrak_seen.requests),
                    )
                )
                seen_discards, seen_fired, listrak_fired = len(discards), len(fired_segment), len(fired_listrak)
            else:  # pragma: no cover - every step type is handled above
                raise ReplayError(f"{step_label(index, step)}: no way to replay a {step.kind} step")
    return Run(history, impl.name, tuple(records))


class _Recording(httpx.BaseTransport):
    """Passes requests on, keeping each one's method and URL path and query."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.requests: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(f"{request.method} {request.url.raw_path.decode('ascii', 'replace')}")
        return self.inner.handle_request(request)


def _list_entry(list_id: int, field_id: int | None) -> dict[str, int]:
    entry = {"listId": list_id}
    if field_id is not None:
        entry["profileFieldId"] = field_id
    return entry
