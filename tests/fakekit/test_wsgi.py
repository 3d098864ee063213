"""Each fault kind, as a real httpx client sees it from the tiny fake served by waitress."""

from __future__ import annotations

import io
import socket
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx
import pytest

from harness.fakekit import (
    AccessLogMiddleware,
    FakeTransport,
    Fault,
    FaultMiddlewareMissing,
    FaultReply,
    ServerThread,
    enact,
    enact_after,
)

if TYPE_CHECKING:
    from conftest import Kit


def test_status_fault_answers_with_its_status_headers_and_body(kit: Kit, client: httpx.Client) -> None:
    kit.engine.add(
        Fault(
            action="status",
            status=429,
            headers={"Retry-After": "2"},
            body={"error": "slow down"},
            method="POST",
            times=1,
        )
    )
    response = client.post("/items", json={"n": 1})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "2"
    assert response.json() == {"error": "slow down"}
    assert client.get("/items").json() == {"count": 0}  # the request was never processed
    assert client.post("/items", json={"n": 2}).status_code == 200  # the fault is spent


def test_status_fault_without_body_gets_the_fakes_default_error_body(kit: Kit, client: httpx.Client) -> None:
    kit.engine.add(Fault(action="status", status=503))
    response = client.get("/items")
    assert (response.status_code, response.json()) == (503, {"error": "injected fault", "status": 503})


def test_latency_fault_delays_then_answers_normally(kit: Kit, client: httpx.Client) -> None:
    kit.engine.add(Fault(action="latency", latency_s=0.2, times=1))
    started = time.perf_counter()
    response = client.post("/items", json={})
    assert time.perf_counter() - started >= 0.2
    assert response.json() == {"count": 1}


def test_hang_fault_times_the_client_out_and_the_server_keeps_serving(kit: Kit, client: httpx.Client) -> None:
    kit.engine.add(Fault(action="hang", path="/items", method="POST", times=1))
    started = time.perf_counter()
    with pytest.raises(httpx.ReadTimeout):
        client.post("/items", json={}, timeout=0.3)
    assert 0.3 <= time.perf_counter() - started < 2
    assert client.get("/items").json() == {"count": 0}


def test_hang_ends_when_the_client_goes_away(make_kit: Callable[[], Kit]) -> None:
    # One worker thread: if the hang outlived its client, the next request would wait 60s.
    kit = make_kit()
    with ServerThread(kit.app, threads=1) as server, httpx.Client(base_url=server.url) as client:
        kit.engine.add(Fault(action="hang", times=1))
        with pytest.raises(httpx.ReadTimeout):
            client.get("/items", timeout=0.3)
        assert client.get("/items", timeout=3.0).json() == {"count": 0}


def test_hang_that_outlasts_hang_s_closes_without_an_answer(kit: Kit, client: httpx.Client) -> None:
    kit.engine.add(Fault(action="hang", hang_s=0.1, times=1))
    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        client.get("/items")


def test_drop_fault_closes_the_connection_and_the_server_keeps_serving(kit: Kit, client: httpx.Client) -> None:
    kit.engine.add(Fault(action="drop", times=1))
    with pytest.raises(httpx.RemoteProtocolError, match="Server disconnected without sending a response"):
        client.post("/items", json={})
    assert client.post("/items", json={}).json() == {"count": 1}


def test_drop_sends_not_a_single_byte(kit: Kit, server: ServerThread) -> None:
    kit.engine.add(Fault(action="drop", times=1))
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
        raw.sendall(b"GET /items HTTP/1.1\r\nHost: fake\r\n\r\n")
        assert raw.recv(4096) == b""


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault(action="drop", after=True), httpx.RemoteProtocolError),
        (Fault(action="hang", after=True), httpx.ReadTimeout),
    ],
)
def test_after_fault_applies_the_request_but_loses_the_answer(
    kit: Kit, client: httpx.Client, fault: Fault, error: type[Exception]
) -> None:
    kit.engine.add(fault)
    with pytest.raises(error):
        client.post("/items", json={"n": 1}, timeout=0.3)
    kit.engine.clear()
    assert client.get("/items").json() == {"count": 1}


def test_after_status_fault_applies_the_request_and_answers_the_fault(kit: Kit, client: httpx.Client) -> None:
    kit.engine.add(Fault(action="status", status=500, after=True, times=1))
    assert client.post("/items", json={}).status_code == 500
    assert client.get("/items").json() == {"count": 1}


def test_after_latency_fault_delays_the_answer_to_a_processed_request(kit: Kit, client: httpx.Client) -> None:
    kit.engine.add(Fault(action="latency", latency_s=0.2, after=True, times=1))
    started = time.perf_counter()
    assert client.post("/items", json={}).json() == {"count": 1}
    assert time.perf_counter() - started >= 0.2


def test_partition_fault_hits_only_its_partition(kit: Kit, client: httpx.Client) -> None:
    kit.engine.add(Fault(action="status", status=401, partition="wk_a"))
    assert client.get("/items", headers={"X-Partition": "wk_a"}).status_code == 401
    assert client.get("/items", headers={"X-Partition": "wk_b"}).status_code == 200
    assert [(f.partition, f.path) for f in kit.engine.fired()] == [("wk_a", "/items")]


def test_enact_keeps_an_after_fault_for_enact_after() -> None:
    environ: dict[str, object] = {}
    fault = Fault(action="status", status=502, headers={"Retry-After": "1"}, after=True)
    assert enact(fault, environ) is None
    assert enact_after(environ) == FaultReply(fault, 502, {"Retry-After": "1"}, None)
    assert enact_after(environ) is None


def test_enact_leaves_no_fault_and_fake_specific_actions_alone() -> None:
    assert enact(None, {}) is None
    assert enact(Fault(action="revoke_tokens"), {}) is None


def test_hang_or_drop_without_the_middleware_says_how_to_install_it() -> None:
    with pytest.raises(FaultMiddlewareMissing, match=r"app.wsgi_app = FaultMiddleware\(app.wsgi_app\)"):
        enact(Fault(action="drop", id="d1"), {})


def test_access_log_writes_one_line_a_request(make_kit: Callable[[], Kit]) -> None:
    kit = make_kit()
    stream = io.StringIO()
    app = AccessLogMiddleware(kit.app, stream)
    with httpx.Client(transport=FakeTransport(app), base_url="http://fake") as client:
        client.post("/items?x=1", json={"n": 1})
        client.get("/_fake/health")
        kit.engine.add(Fault(action="drop", times=1))
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/items")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("127.0.0.1 POST /items?x=1 200 12B ")
    assert lines[0].endswith("ms")
    assert lines[1].startswith("127.0.0.1 GET /items drop 0B ")


def test_the_access_log_counts_bytes_sent_through_write() -> None:
    def app(environ, start_response):  # type: ignore[no-untyped-def]
        start_response("200 OK", [])(b"12345")
        return [b"678"]

    stream = io.StringIO()
    logged = AccessLogMiddleware(app, stream)
    answer = logged({"PATH_INFO": "/x", "REQUEST_METHOD": "GET"}, lambda *a: lambda data: None)
    assert b"".join(answer) == b"678"
    answer.close()  # type: ignore[attr-defined]  # as a WSGI server does when the answer is sent
    assert " 200 8B " in stream.getvalue()
