"""Segment's official Python library (segment-analytics-python) talking to the fake over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from segment.analytics import Client

from fake_segment.server import FakeSegment
from harness.fakekit.clock import ManualClock, parse_iso

FAKE_NOW = datetime(2030, 1, 1, tzinfo=UTC)
CLIENT_TIME = datetime(2020, 6, 1, 8, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def seg() -> Iterator[FakeSegment]:
    # The fake's clock is years away from the client's, so skew correction is visible.
    with FakeSegment(clock=ManualClock(FAKE_NOW)) as fake:
        yield fake


def fetched(seg: FakeSegment, write_key: str) -> list[dict]:
    response = httpx.get(seg.url + "/_fake/messages", params={"writeKey": write_key})
    response.raise_for_status()
    return [record["message"] for record in response.json()["messages"]]


def assert_skew_corrected(message: dict) -> None:
    received = parse_iso(message["receivedAt"])
    sent = parse_iso(message["sentAt"])
    original = parse_iso(message["originalTimestamp"])
    assert received == FAKE_NOW
    assert original == CLIENT_TIME
    assert received is not None and sent is not None and original is not None
    expected = received - (sent - original)
    assert abs(parse_iso(message["timestamp"]) - expected) < timedelta(milliseconds=2)  # type: ignore[operator]


@pytest.mark.parametrize("use_gzip", [False, True], ids=["plain", "gzip"])
def test_identify_and_track_arrive_with_ids_traits_and_corrected_timestamps(seg: FakeSegment, use_gzip: bool) -> None:
    write_key = f"sdk-{use_gzip}"
    client = Client(write_key, host=seg.url, gzip=use_gzip, sync_mode=True, max_retries=0)
    client.identify(
        "u-1",
        {"email": "ada@x.io", "Listrak_list_7": True},
        anonymous_id="ada@x.io",
        timestamp=CLIENT_TIME,
    )
    client.track("u-1", "Email Opened", {"list_id": 7}, anonymous_id="ada@x.io", timestamp=CLIENT_TIME)
    identify, track = fetched(seg, write_key)
    assert (identify["type"], identify["userId"], identify["anonymousId"]) == ("identify", "u-1", "ada@x.io")
    assert identify["traits"] == {"email": "ada@x.io", "Listrak_list_7": True}
    assert (track["type"], track["event"], track["properties"]) == ("track", "Email Opened", {"list_id": 7})
    assert identify["context"]["library"]["name"] == "analytics-python"
    for message in (identify, track):
        assert_skew_corrected(message)
    profile = httpx.get(seg.url + "/_fake/profiles", params={"writeKey": write_key, "userId": "u-1"}).json()
    assert profile["profiles"][0]["traits"] == {"email": "ada@x.io", "Listrak_list_7": True}


@pytest.mark.parametrize("use_gzip", [False, True], ids=["plain", "gzip"])
def test_a_batch_of_queued_calls_arrives_whole(seg: FakeSegment, use_gzip: bool) -> None:
    write_key = f"sdk-batch-{use_gzip}"
    client = Client(write_key, host=seg.url, gzip=use_gzip, upload_size=50, max_retries=0)
    for i in range(30):
        client.identify(anonymous_id=f"c{i}@x.io", traits={"email": f"c{i}@x.io"}, timestamp=CLIENT_TIME)
    client.flush()
    client.shutdown()
    messages = fetched(seg, write_key)
    assert sorted(m["anonymousId"] for m in messages) == sorted(f"c{i}@x.io" for i in range(30))
    assert len({m["messageId"] for m in messages}) == 30
    for message in messages:
        assert_skew_corrected(message)
    violations = httpx.get(seg.url + "/_fake/messages", params={"writeKey": write_key}).json()["messages"]
    assert all(record["violations"] == [] for record in violations)
