"""One run of the reference sync: read every integrated list, work out what changed since the last
delivery, send Segment what the Listrak Source documentation promises, and say truthfully how it went."""

from __future__ import annotations

import ssl
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TextIO

import httpx

from harness.fakekit.clock import Clock, SystemClock, format_iso
from harness.reference.config import ConfigError, SyncConfig
from harness.reference.listrak import ListrakClient, ListrakError
from harness.reference.messages import identify, message_id, unsubscribed_event
from harness.reference.prefetch import prefetched
from harness.reference.report import SyncReport
from harness.reference.retry import GaveUp, Retrying
from harness.reference.segment import Batch, SegmentClient, SegmentRejected, batches
from harness.reference.state import Change, StateStore

__all__ = ["Progress", "sync"]

STATES = (("Subscribed", 1), ("Unsubscribed", 0))


class Progress:
    """Progress lines on a stream (stderr), or nothing when quiet. Never given a secret."""

    def __init__(self, stream: TextIO | None = None, *, quiet: bool = False) -> None:
        self._stream = None if quiet else (stream or sys.stderr)

    def __call__(self, message: str) -> None:
        if self._stream is not None:
            print(f"[sync] {message}", file=self._stream, flush=True)


def sync(
    config: SyncConfig,
    *,
    progress: Callable[[str], None] | None = None,
    dry_run_out: TextIO | None = None,
    clock: Clock | None = None,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> SyncReport:
    """Run the sync once. Raises ConfigError for configuration that cannot work; every other
    failure is in the report, whose `ok` is True only when every change was delivered."""
    say = progress or Progress(quiet=True)
    clock = clock or SystemClock()
    started = time.monotonic()
    report = SyncReport(revision=config.revision, dry_run=config.dry_run, lists=[c.list_id for c in config.lists])
    if not config.lists:
        # LISTRAK_SEGMENT_LISTS=[]: no list is integrated (yet), so there is nothing to read or send, and
        # what earlier runs delivered for lists since removed stays as it is (DESIGN.md: not judged).
        say("no lists are integrated: nothing to sync")
        report.seconds = time.monotonic() - started
        return report

    def on_retry(what: str, failure: str, delay: float) -> None:
        say(f"retrying {what} in {delay:.1f}s after {failure}")

    # `sleep` and `monotonic` go together: a harness that waits in virtual time also measures in it.
    retrying = Retrying(deadline=config.retry_deadline, sleep=sleep, monotonic=monotonic, on_retry=on_retry)
    tls = _tls_context(config)
    listrak = ListrakClient(config, retrying, tls=tls)
    segment = SegmentClient(config, retrying, clock, tls=tls)
    try:
        with StateStore(config) as state:
            if state.pending_count():
                say(f"{state.pending_count()} changes were in flight when the last run stopped; checking them again")
            names = _read_lists(config, listrak, state, report, say)
            if not report.failures:
                _deliver(config, state, segment, names, report, say, dry_run_out or sys.stdout, clock)
    except ConfigError:
        raise
    except GaveUp as exc:
        raise_if_unreachable(exc, config, listrak)
        report.fail(str(exc) + ".")
    finally:
        report.retries = retrying.retries
        report.token_refreshes = listrak.token_refreshes
        report.seconds = time.monotonic() - started
        listrak.close()
        segment.close()
    return report


def _tls_context(config: SyncConfig) -> ssl.SSLContext | None:
    """One TLS context for both clients (loading the trust store takes ~17 ms), or None when neither connects.

    With no https URL configured (the fakes on loopback) no connection uses TLS: a context that trusts
    nothing is enough, and should a redirect or a typo ever lead to https it fails verification, safely.
    """
    if config.listrak_transport is not None and config.segment_transport is not None:
        return None  # both routed in-process: no sockets at all
    urls = (config.listrak_auth_url, config.listrak_api_url, config.segment_api_url)
    if any(url.lower().startswith("https:") for url in urls):
        return httpx.create_ssl_context()
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies certificates and host names, against no CA


def raise_if_unreachable(exc: GaveUp, config: SyncConfig, listrak: ListrakClient) -> None:
    """A service never reached at all is a configuration problem, said in one sentence."""
    if "ConnectError" not in exc.last_failure:
        return
    if exc.what.startswith(("POST OAuth2", "GET /List")) and listrak.requests == 0:
        url = config.listrak_auth_url if exc.what.startswith("POST") else config.listrak_api_url
        raise ConfigError(f"Cannot reach Listrak at {url}: {exc.last_failure}.") from None


def _read_lists(
    config: SyncConfig,
    listrak: ListrakClient,
    state: StateStore,
    report: SyncReport,
    say: Callable[[str], None],
) -> dict[int, str | None]:
    names: dict[int, str | None] = {}
    try:
        for entry in config.lists:
            names[entry.list_id] = listrak.get_list(entry.list_id).get("listName")
        with state.recording() as record:
            for entry in config.lists:
                for state_name, subscribed in STATES:
                    seen = 0
                    pages = listrak.contacts(entry.list_id, state_name, entry.profile_field_id)
                    for page in prefetched(pages, name=f"sync-pages-{entry.list_id}"):
                        record(_rows(entry.list_id, subscribed, entry.profile_field_id, page))
                        report.pages += 1
                        seen += len(page)
                        report.contacts_seen += len(page)
                    say(f"list {entry.list_id}: {seen:,} {state_name.lower()} contacts read")
                # Worked out in the writer while the next list is read.
                record.diff(entry.list_id)
        for entry in config.lists:
            found = record.changes[entry.list_id]
            report.changes += found
            say(f"list {entry.list_id}: {found:,} changes to send")
    except ListrakError as exc:
        report.fail(f"{exc}")
    return names


def _rows(
    list_id: int, subscribed: int, field_id: int | None, page: list[dict[str, Any]]
) -> list[tuple[int, str, int, str, str | None]]:
    """The page's contacts as state rows: (list, address, subscribed, user id or "", unsubscribe method)."""
    # One comprehension per page: this runs for every contact of every list on every sync. The unsubscribe
    # method only matters for an unsubscribed contact (it names the Unsubscribed event's type).
    if field_id is None:
        if subscribed:
            return [(list_id, a, 1, "", None) for c in page if type(a := c.get("emailAddress")) is str and a]
        return [
            (list_id, a, 0, "", _text(c.get("unsubscribeMethod")))
            for c in page
            if type(a := c.get("emailAddress")) is str and a
        ]
    return [
        (list_id, a, subscribed, _value(c, field_id), None if subscribed else _text(c.get("unsubscribeMethod")))
        for c in page
        if type(a := c.get("emailAddress")) is str and a
    ]


def _value(contact: dict[str, Any], field_id: int | None) -> str:
    if field_id is None:
        return ""
    for value in contact.get("segmentationFieldValues") or ():
        if type(value) is dict and value.get("segmentationFieldId") == field_id:
            found = value.get("value")
            return found if type(found) is str else ""
    return ""


def _text(value: Any) -> str | None:
    return value if type(value) is str else None


def _deliver(
    config: SyncConfig,
    state: StateStore,
    segment: SegmentClient,
    names: dict[int, str | None],
    report: SyncReport,
    say: Callable[[str], None],
    out: TextIO,
    clock: Clock,
) -> None:
    timestamp = format_iso(clock.now())
    prefix = config.trait_prefix
    write_key = config.segment_write_key
    epoch = state.epoch
    with_events = config.revision == "2023-08-03"

    def messages() -> Iterator[tuple[Change, list[dict[str, Any]]]]:
        for change in state.changes():
            mid = message_id(write_key, epoch, change.list_id, change.address, change.counter)
            built = [
                identify(
                    change.address,
                    f"{prefix}{change.list_id}",
                    change.subscribed,
                    change.user_id,
                    mid,
                    timestamp,
                )
            ]
            if with_events and change.observed and not change.subscribed and change.was_subscribed:
                event_id = message_id(write_key, epoch, change.list_id, change.address, change.counter, "Unsubscribed")
                built.append(
                    unsubscribed_event(
                        change.address,
                        change.list_id,
                        names.get(change.list_id),
                        change.unsubscribe_method,
                        event_id,
                        timestamp,
                    )
                )
            yield change, built

    oversized: list[tuple[Any, int]] = []
    if config.dry_run:
        for batch in batches(messages(), oversized):
            for encoded in batch.encoded:
                out.write(encoded.decode() + "\n")
            report.messages_sent += len(batch.encoded)
            report.batches_sent += 1
    elif not _send_all(batches(messages(), oversized), state, segment, report, say):
        return  # the undelivered count already holds every change not acknowledged, too big ones included
    if oversized:
        report.undelivered += len(oversized)
        sample = ", ".join(f"{key.address} on list {key.list_id} ({size:,} bytes)" for key, size in oversized[:3])
        report.fail(f"{len(oversized)} changes make messages over Segment's 32KB limit and were not sent: {sample}.")


def _send_all(
    pending: Iterator[Batch],
    state: StateStore,
    segment: SegmentClient,
    report: SyncReport,
    say: Callable[[str], None],
) -> bool:
    """Send every batch, building and storing the next while Segment answers this one; False after a failure.

    Each batch is marked pending (durably) before it is sent and delivered only once acknowledged, so at
    most two batches are pending at a time: the one in flight and the next, not yet sent. All state work
    stays on this thread; a sender thread only posts. On the first failure nothing more is sent and every
    change not acknowledged counts as undelivered.
    """
    remaining = report.changes
    in_flight: tuple[Batch, Future[None]] | None = None

    def acknowledged(batch: Batch, sent: Future[None]) -> None:
        nonlocal remaining
        sent.result()  # raises what the send raised
        state.mark_delivered(batch.keys)
        remaining -= len(batch.keys)
        report.messages_sent += len(batch.encoded)
        report.batches_sent += 1
        say(f"batch {report.batches_sent}: {len(batch.encoded)} messages delivered ({remaining:,} changes to go)")

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-sender") as sender:
        try:
            for batch in pending:
                state.mark_pending(batch.keys)
                if in_flight is not None:
                    acknowledged(*in_flight)
                in_flight = (batch, sender.submit(segment.send, batch))
            if in_flight is not None:
                acknowledged(*in_flight)
        except (GaveUp, SegmentRejected, httpx.HTTPError) as exc:
            # Every change not yet acknowledged, those set aside as too big included.
            report.undelivered = remaining
            report.fail(f"{_reason(exc)}")
            return False
    return True


def _reason(exc: Exception) -> str:
    if isinstance(exc, GaveUp):
        return f"Segment could not be reached: {exc}."
    return f"Segment refused a batch: {exc}."
