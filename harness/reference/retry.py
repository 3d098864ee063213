"""Retrying one HTTP exchange: 5xx, 429 (honouring Retry-After), timeouts and dropped connections
are retried with exponential backoff and full jitter inside a total deadline; anything else is
returned to the caller to judge."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

import httpx

__all__ = ["GaveUp", "Retrying", "retry_after_seconds"]

# Failures after which the same request may succeed: the server or the path to it was unwell.
RETRIABLE_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


class GaveUp(Exception):
    """A call kept failing transiently until the retry deadline; says what and how often."""

    def __init__(self, what: str, last_failure: str, attempts: int, seconds: float) -> None:
        super().__init__(f"{what} failed {attempts} times over {seconds:.1f}s; last: {last_failure}")
        self.what = what
        self.last_failure = last_failure
        self.attempts = attempts


@dataclass
class Retrying:
    """Retry policy plus the clock and sleep it runs on (injectable so tests need not wait)."""

    deadline: float = 300.0
    base_delay: float = 0.5
    max_delay: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic
    rng: random.Random = field(default_factory=random.Random)
    on_retry: Callable[[str, str, float], None] | None = None
    retries: int = 0

    def call(
        self, what: str, send: Callable[[], httpx.Response], *, connect_deadline: float | None = None
    ) -> httpx.Response:
        """Send until the answer is neither a 5xx nor a 429, or the deadline would pass.

        `connect_deadline` gives up sooner while every attempt failed to connect at all: for a
        service never reached yet, that is more likely a wrong URL than an outage.
        """
        started = self.monotonic()
        attempt = 0
        never_connected = True
        while True:
            attempt += 1
            wait_at_least = 0.0
            try:
                response = send()
            except RETRIABLE_ERRORS as exc:
                failure = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                never_connected = never_connected and isinstance(exc, httpx.ConnectError)
            else:
                never_connected = False
                status = response.status_code
                if status < 500 and status != 429:
                    return response
                failure = f"HTTP {status}"
                wait_at_least = retry_after_seconds(response) or 0.0
                if wait_at_least:
                    failure += f" (Retry-After {wait_at_least:g}s)"
            backoff = self.rng.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))
            delay = max(backoff, wait_at_least)
            elapsed = self.monotonic() - started
            deadline = self.deadline
            if never_connected and connect_deadline is not None:
                deadline = min(deadline, connect_deadline)
            if elapsed + delay > deadline:
                raise GaveUp(what, failure, attempt, elapsed)
            self.retries += 1
            if self.on_retry is not None:
                self.on_retry(what, failure, delay)
            self.sleep(delay)


def retry_after_seconds(response: httpx.Response) -> float | None:
    """Retry-After (seconds or an HTTP date), else X-RateLimit-Reset (seconds), as Segment sends."""
    for header in ("Retry-After", "X-RateLimit-Reset"):
        value = response.headers.get(header)
        if not value:
            continue
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            continue
        return max(0.0, when.timestamp() - time.time())
    return None
