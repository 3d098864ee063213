"""Delivering messages to Segment's `/v1/batch` within its limits, with retries."""

from __future__ import annotations

import ssl
from collections.abc import Iterable, Iterator
from typing import Any

import httpx
import orjson

from harness import __version__
from harness.fakekit.clock import SystemClock, format_iso
from harness.reference.config import ConfigError, SyncConfig
from harness.reference.listrak import FIRST_CONTACT_DEADLINE_S
from harness.reference.retry import GaveUp, Retrying

__all__ = [
    "BATCH_BYTES",
    "BATCH_ITEMS",
    "MESSAGE_BYTES",
    "Batch",
    "SegmentClient",
    "SegmentRejected",
    "batches",
]

MESSAGE_BYTES = 32 * 1024
BATCH_BYTES = 500 * 1024
BATCH_ITEMS = 2500
# Room left in a batch request for the envelope: the batch key, context, sentAt, separators.
_ENVELOPE_BYTES = 1024
LIBRARY = {"name": "listrak-harness", "version": __version__}


class SegmentRejected(Exception):
    """Segment answered a batch with a status that retrying cannot change (a 4xx)."""


class Batch:
    """Encoded messages that fit in one request, and the changes they carry."""

    __slots__ = ("encoded", "keys", "size")

    def __init__(self) -> None:
        self.encoded: list[bytes] = []
        self.keys: list[Any] = []
        self.size = 0


def batches(items: Iterable[tuple[Any, list[dict[str, Any]]]], oversized: list[tuple[Any, int]]) -> Iterator[Batch]:
    """Pack (change key, its messages) into batches under 500KB and 2500 items.

    A change whose messages cannot be sent (one is over 32KB) is added to `oversized` instead;
    a change's messages always travel in the same batch.
    """
    batch = Batch()
    for key, messages in items:
        # orjson writes the same compact UTF-8 JSON as json.dumps(separators=(",", ":"), ensure_ascii=False)
        # for what a sync sends (strings, booleans, nulls), in a twentieth of the time.
        encoded = [orjson.dumps(m) for m in messages]
        biggest = max(len(e) for e in encoded)
        if biggest > MESSAGE_BYTES:
            oversized.append((key, biggest))
            continue
        size = sum(len(e) + 1 for e in encoded)
        if batch.encoded and (
            len(batch.encoded) + len(encoded) > BATCH_ITEMS or batch.size + size > BATCH_BYTES - _ENVELOPE_BYTES
        ):
            yield batch
            batch = Batch()
        batch.encoded.extend(encoded)
        batch.keys.append(key)
        batch.size += size
    if batch.encoded:
        yield batch


class SegmentClient:
    """POSTs batches to Segment with Basic auth (partner sources send the key in the header)."""

    def __init__(
        self, config: SyncConfig, retrying: Retrying, clock: Any = None, *, tls: ssl.SSLContext | None = None
    ) -> None:
        """`tls`: a TLS context to share with the run's other client (building one costs ~17 ms); None builds one."""
        self._base_url = config.segment_api_url
        self._url = config.segment_api_url.rstrip("/") + "/batch"
        self._reached = False
        self._retrying = retrying
        self._clock = clock or SystemClock()
        self._http = httpx.Client(
            transport=config.segment_transport,
            timeout=config.request_timeout,
            verify=True if tls is None else tls,
            auth=(config.segment_write_key, ""),
            headers={"Content-Type": "application/json", "User-Agent": f"listrak-harness/{__version__}"},
        )
        self._context = orjson.dumps({"library": LIBRARY, "integration": LIBRARY})
        self.requests = 0

    def close(self) -> None:
        self._http.close()

    def send(self, batch: Batch) -> None:
        """Deliver one batch: returns once Segment acknowledged it, raises otherwise."""

        # sentAt is set per attempt: it says when this request left, so Segment can correct skew.
        def post() -> httpx.Response:
            sent_at = orjson.dumps(format_iso(self._clock.now()))
            body = b"".join(
                (
                    b'{"batch":[',
                    b",".join(batch.encoded),
                    b'],"context":',
                    self._context,
                    b',"sentAt":',
                    sent_at,
                    b"}",
                )
            )
            self.requests += 1
            return self._http.post(self._url, content=body)

        try:
            response = self._retrying.call(
                "POST /v1/batch", post, connect_deadline=None if self._reached else FIRST_CONTACT_DEADLINE_S
            )
        except GaveUp as exc:
            # Never answered once and every attempt refused: a wrong URL, not an outage.
            if not self._reached and "ConnectError" in exc.last_failure:
                raise ConfigError(f"Cannot reach Segment at {self._base_url}: {exc.last_failure}.") from None
            raise
        self._reached = True
        if response.status_code >= 300:
            raise SegmentRejected(f"Segment answered {response.status_code}: {response.text[:300]}")
