"""FakeSegment as a real loopback server: faults seen by an httpx client, bad input on the wire,
concurrency, and the in-process transport."""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import respx

from fake_segment.server import FakeSegment

AUTH = ("wk", "")


@pytest.fixture(scope="module")
def seg() -> Iterator[FakeSegment]:
    with FakeSegment(retention=200_000, seed=7) as fake:
        yield fake


@pytest.fixture(autouse=True)
def _clean(seg: FakeSegment) -> Iterator[None]:
    yield
    seg.reset()


def ident(i: int | str) -> dict:
    return {"type": "identify", "anonymousId": f"c{i}@x.io", "traits": {"email": f"c{i}@x.io"}}


def test_start_gives_a_loopback_url_and_stop_frees_the_port() -> None:
    fake = FakeSegment().start()
    port = int(fake.url.rsplit(":", 1)[1])
    assert fake.url.startswith("http://127.0.0.1:")
    assert fake.api_url == fake.url + "/v1"
    fake.stop()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))  # would raise if the fake still held it


def test_messages_profiles_and_traits_are_readable_directly(seg: FakeSegment) -> None:
    httpx.post(seg.api_url + "/identify", json={**ident(1), "userId": "u1"}, auth=AUTH).raise_for_status()
    assert seg.messages("wk")[0]["anonymousId"] == "c1@x.io"
    assert seg.records("wk")[0].seq >= 1
    assert seg.profile("wk", userId="u1")["ids"]["email"] == ["c1@x.io"]
    assert seg.traits("wk", anonymous_id="c1@x.io") == {"email": "c1@x.io"}
    view = seg.for_write_key("wk")
    assert view.profile(email="c1@x.io")["traits"] == {"email": "c1@x.io"}


def test_status_fault_with_retry_after_is_seen_by_httpx(seg: FakeSegment) -> None:
    seg.add_fault(action="status", status=429, headers={"Retry-After": "2"}, times=1)
    first = httpx.post(seg.api_url + "/identify", json=ident(1), auth=AUTH)
    assert first.status_code == 429
    assert first.headers["Retry-After"] == "2"
    assert httpx.post(seg.api_url + "/identify", json=ident(1), auth=AUTH).status_code == 200
    assert len(seg.messages()) == 1


def test_latency_fault_delays_the_answer(seg: FakeSegment) -> None:
    seg.add_fault(action="latency", latency_s=0.3, times=1)
    response = httpx.post(seg.api_url + "/identify", json=ident(1), auth=AUTH)
    assert response.status_code == 200
    assert response.elapsed.total_seconds() >= 0.3


def test_hang_fault_times_the_client_out_and_applies_nothing(seg: FakeSegment) -> None:
    seg.add_fault(action="hang", hang_s=5, times=1)
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(seg.api_url + "/identify", json=ident(1), auth=AUTH, timeout=0.3)
    assert seg.messages() == []
    assert httpx.post(seg.api_url + "/identify", json=ident(2), auth=AUTH).status_code == 200


def test_drop_fault_closes_the_connection_without_an_answer(seg: FakeSegment) -> None:
    seg.add_fault(action="drop", times=1)
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(seg.api_url + "/identify", json=ident(1), auth=AUTH)
    assert seg.messages() == []


def test_drop_after_applying_loses_only_the_acknowledgement(seg: FakeSegment) -> None:
    seg.add_fault(action="drop", after=True, times=1, path="/v1/batch")
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(seg.api_url + "/batch", json={"batch": [ident(1)]}, auth=AUTH)
    assert [m["anonymousId"] for m in seg.messages()] == ["c1@x.io"]
    assert [f.action for f in seg.backend.faults.fired()] == ["drop"]


def test_a_delay_after_applying_holds_up_only_its_own_request(seg: FakeSegment) -> None:
    seg.add_fault(action="latency", latency_s=2.0, after=True, times=1, partition="slow")
    slow: list[httpx.Response] = []
    worker = threading.Thread(
        target=lambda: slow.append(httpx.post(seg.api_url + "/identify", json=ident(1), auth=("slow", ""))),
    )
    worker.start()
    deadline = time.monotonic() + 5
    while not seg.messages("slow") and time.monotonic() < deadline:
        time.sleep(0.01)  # the slow request has been applied and is now sleeping
    started = time.monotonic()
    assert httpx.post(seg.api_url + "/identify", json=ident(2), auth=AUTH).status_code == 200
    took = time.monotonic() - started
    worker.join()
    assert slow[0].status_code == 200 and slow[0].elapsed.total_seconds() >= 2.0
    assert took < 1.0, f"the other request waited {took:.2f} s behind the delay"


def test_probability_fault_fires_on_some_requests_only(seg: FakeSegment) -> None:
    seg.add_fault(action="status", status=503, probability=0.5)
    statuses = [httpx.post(seg.api_url + "/identify", json=ident(i), auth=AUTH).status_code for i in range(40)]
    assert 5 < statuses.count(503) < 35
    assert statuses.count(200) == len(seg.messages())


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (b'{"batch": [', {}, 400),
        (b"\xff\xfe\xfd", {}, 400),
        (b"[]", {}, 400),
        (b"[" * 100_000 + b"]" * 100_000, {}, 400),
        (b"x" * (10 * 1024 * 1024), {}, 400),
        (gzip.compress(b"\0" * (110 * 1024 * 1024)), {"Content-Encoding": "gzip"}, 400),
        (b"", {}, 400),
    ],
    ids=["malformed", "invalid-utf8", "array", "deep-nesting", "10MB", "gzip-bomb", "missing-body"],
)
def test_bad_input_on_the_wire_is_a_json_400_and_the_server_keeps_serving(
    seg: FakeSegment, body: bytes, headers: dict[str, str], status: int
) -> None:
    response = httpx.post(seg.api_url + "/batch", content=body, headers=headers, auth=AUTH, timeout=30)
    assert response.status_code == status
    assert response.json()["message"]
    assert httpx.post(seg.api_url + "/identify", json=ident(1), auth=AUTH).status_code == 200


def test_wrong_method_on_the_wire_is_a_json_405(seg: FakeSegment) -> None:
    response = httpx.get(seg.api_url + "/identify")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_concurrent_batches_are_all_recorded_with_no_5xx(seg: FakeSegment) -> None:
    threads, batches, size = 8, 200, 50
    statuses: list[int] = []
    lock = threading.Lock()

    def work(worker: int) -> None:
        seen = []
        with httpx.Client(auth=AUTH, timeout=30) as client:
            for b in range(batches):
                items = [
                    {**ident(f"{worker}-{i % 40}"), "messageId": f"w{worker}-b{b}-{i}", "traits": {"n": b}}
                    for i in range(size)
                ]
                seen.append(client.post(seg.api_url + "/batch", json={"batch": items}).status_code)
        with lock:
            statuses.extend(seen)

    workers = [threading.Thread(target=work, args=(w,)) for w in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert statuses == [200] * (threads * batches)
    records = seg.records("wk")
    assert len(records) == threads * batches * size == 80_000
    assert [r.seq for r in records] == sorted(r.seq for r in records)
    assert len({r.message["messageId"] for r in records}) == 80_000
    # Profiles agree with the log: 8 x 40 contacts, each left with the last batch's trait.
    profiles = seg.profiles("wk")
    assert len(profiles) == threads * 40
    assert sum(len(p["messages"]) for p in profiles) == 80_000
    assert {p["traits"]["n"] for p in profiles} == {batches - 1}


def test_in_process_transport_needs_no_socket_and_sees_faults() -> None:
    fake = FakeSegment()  # never started
    with httpx.Client(transport=fake.transport(), base_url="http://segment.fake", auth=AUTH) as client:
        assert client.post("/v1/identify", json=ident(1)).json() == {"success": True}
        fake.add_fault(action="drop", times=1)
        with pytest.raises(httpx.RemoteProtocolError):
            client.post("/v1/identify", json=ident(2))
    assert [m["anonymousId"] for m in fake.messages()] == ["c1@x.io"]


def test_respx_users_can_route_to_the_fake() -> None:
    fake = FakeSegment()
    with respx.mock:
        respx.route(host="api.segment.io").mock(side_effect=fake.transport().handle_request)
        response = httpx.post("https://api.segment.io/v1/track", json={"userId": "u", "event": "E"}, auth=AUTH)
    assert response.status_code == 200
    assert fake.messages("wk")[0]["event"] == "E"


def test_messages_endpoint_serves_deeply_nested_stored_messages(seg: FakeSegment) -> None:
    nested: object = "leaf"
    for _ in range(800):
        nested = [nested]
    body = json.dumps({**ident(1), "traits": {"deep": nested}}).encode()
    assert httpx.post(seg.api_url + "/identify", content=body, auth=AUTH).status_code in (200, 400)
    response = httpx.get(seg.url + "/_fake/messages")
    assert response.status_code == 200
