"""The retry policy on a fake clock: what is retried, how long it waits, and when it gives up."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from harness.reference.retry import GaveUp, Retrying, retry_after_seconds

REQUEST = httpx.Request("POST", "http://segment.fake/v1/batch")


class FakeTime:
    """A monotonic clock that moves only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Script:
    """A `send` that answers from a script: a status, (status, headers), or an exception class."""

    def __init__(self, *answers: Any, then: Any = None) -> None:
        self.answers = list(answers)
        self.then = then
        self.calls = 0

    def __call__(self) -> httpx.Response:
        self.calls += 1
        answer = self.answers.pop(0) if self.answers else self.then
        if isinstance(answer, type) and issubclass(answer, Exception):
            raise answer("scripted failure", request=REQUEST)
        status, headers = answer if isinstance(answer, tuple) else (answer, {})
        return httpx.Response(status, headers=headers, request=REQUEST)


@pytest.fixture
def clock() -> FakeTime:
    return FakeTime()


@pytest.fixture
def retrying(clock: FakeTime) -> Callable[..., Retrying]:
    def make(**options: Any) -> Retrying:
        return Retrying(sleep=clock.sleep, monotonic=clock.monotonic, rng=random.Random(7), **options)

    return make


def test_server_errors_are_retried_until_an_answer_comes(retrying, clock):
    policy = retrying()
    response = policy.call("POST /v1/batch", Script(500, 503, 502, 200))
    assert response.status_code == 200
    assert len(clock.sleeps) == 3 and policy.retries == 3


@pytest.mark.parametrize("status", [400, 401, 404, 413])
def test_client_errors_are_returned_without_a_retry(retrying, clock, status):
    send = Script(status, then=200)
    assert retrying().call("POST /v1/batch", send).status_code == status
    assert send.calls == 1 and clock.sleeps == []


@pytest.mark.parametrize(
    "failure", [httpx.ReadTimeout, httpx.ConnectTimeout, httpx.RemoteProtocolError, httpx.ReadError]
)
def test_timeouts_and_dropped_connections_are_retried(retrying, failure):
    assert retrying().call("GET /List", Script(failure, failure, 200)).status_code == 200


def test_an_error_retrying_cannot_mend_is_raised_at_once(retrying, clock):
    with pytest.raises(httpx.UnsupportedProtocol):
        retrying().call("GET /List", Script(httpx.UnsupportedProtocol, then=200))
    assert clock.sleeps == []


def test_429_waits_at_least_retry_after(retrying, clock):
    retrying().call("POST /v1/batch", Script((429, {"Retry-After": "7"}), 200))
    assert clock.sleeps[0] >= 7.0


def test_retry_after_as_an_http_date_is_honoured(retrying, clock):
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    retrying().call("POST /v1/batch", Script((429, {"Retry-After": when}), 200))
    assert clock.sleeps[0] >= 18.0


def test_segment_rate_limit_reset_header_is_honoured(retrying, clock):
    retrying().call("POST /v1/batch", Script((429, {"X-RateLimit-Reset": "5"}), 200))
    assert clock.sleeps[0] >= 5.0


def test_retry_after_past_the_deadline_gives_up_without_waiting(retrying, clock):
    with pytest.raises(GaveUp, match="Retry-After 600s"):
        retrying(deadline=300).call("POST /v1/batch", Script((429, {"Retry-After": "600"})))
    assert clock.sleeps == []


def test_backoff_grows_exponentially_is_capped_and_stays_within_the_deadline(retrying, clock):
    send = Script(then=503)
    with pytest.raises(GaveUp) as caught:
        retrying(deadline=120, base_delay=0.5, max_delay=30).call("POST /v1/batch", send)
    assert clock.now <= 120
    for attempt, slept in enumerate(clock.sleeps, start=1):
        assert 0 <= slept <= min(30, 0.5 * 2 ** (attempt - 1))
    assert caught.value.attempts == send.calls == len(clock.sleeps) + 1
    assert "POST /v1/batch failed" in str(caught.value) and "HTTP 503" in str(caught.value)


def test_jitter_spreads_the_waits(retrying, clock):
    with pytest.raises(GaveUp):
        retrying(deadline=200).call("POST /v1/batch", Script(then=500))
    late = clock.sleeps[6:]
    assert len(set(late)) == len(late)


def test_connection_refused_before_first_contact_fails_fast(retrying, clock):
    with pytest.raises(GaveUp, match="ConnectError"):
        retrying(deadline=300).call("POST OAuth2/Token", Script(then=httpx.ConnectError), connect_deadline=10)
    assert clock.now <= 10


def test_connection_refused_after_an_answer_gets_the_whole_deadline(retrying, clock):
    send = Script(500, then=httpx.ConnectError)
    with pytest.raises(GaveUp):
        retrying(deadline=300).call("POST /v1/batch", send, connect_deadline=10)
    assert clock.now > 10


def test_each_retry_is_announced_with_what_failed_and_the_wait(retrying):
    seen: list[tuple[str, str, float]] = []
    retrying(on_retry=lambda *event: seen.append(event)).call("GET /List/1", Script(500, 200))
    [(what, failure, delay)] = seen
    assert (what, failure) == ("GET /List/1", "HTTP 500") and delay >= 0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [({}, None), ({"Retry-After": "3"}, 3.0), ({"Retry-After": "-4"}, 0.0), ({"Retry-After": "soon"}, None)],
)
def test_retry_after_seconds_reads_the_header(headers, expected):
    assert retry_after_seconds(httpx.Response(429, headers=headers)) == expected
