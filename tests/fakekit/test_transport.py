"""FakeTransport: the tiny fake in-process, with faults failing as they would on a socket."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx
import pytest
import respx

from harness.fakekit import FakeTransport, Fault, respx_side_effect

if TYPE_CHECKING:
    from conftest import Kit


@pytest.fixture
def inproc(kit: Kit) -> Iterator[httpx.Client]:
    with httpx.Client(transport=FakeTransport(kit.app), base_url="http://tiny.fake", timeout=5.0) as client:
        yield client


def test_requests_reach_the_app_without_a_socket(kit: Kit, inproc: httpx.Client) -> None:
    assert inproc.post("/items", json={"n": 1}).json() == {"count": 1}
    assert kit.items == [{"n": 1}]


def test_status_fault_in_process(kit: Kit, inproc: httpx.Client) -> None:
    kit.engine.add(Fault(action="status", status=429, headers={"Retry-After": "2"}, times=1))
    response = inproc.get("/items")
    assert (response.status_code, response.headers["Retry-After"]) == (429, "2")


def test_latency_fault_in_process(kit: Kit, inproc: httpx.Client) -> None:
    kit.engine.add(Fault(action="latency", latency_s=0.2, times=1))
    started = time.perf_counter()
    assert inproc.get("/items").status_code == 200
    assert time.perf_counter() - started >= 0.2


def test_dropped_request_raises_remote_protocol_error(kit: Kit, inproc: httpx.Client) -> None:
    kit.engine.add(Fault(action="drop", times=1))
    with pytest.raises(httpx.RemoteProtocolError, match="Server disconnected without sending a response"):
        inproc.post("/items", json={})
    assert kit.items == []
    assert inproc.get("/items").status_code == 200


def test_hung_request_times_out_after_the_clients_read_timeout(kit: Kit, inproc: httpx.Client) -> None:
    kit.engine.add(Fault(action="hang", times=1))
    started = time.perf_counter()
    with pytest.raises(httpx.ReadTimeout):
        inproc.get("/items", timeout=0.3)
    assert 0.3 <= time.perf_counter() - started < 2


def test_hang_shorter_than_the_read_timeout_ends_in_a_closed_connection(kit: Kit, inproc: httpx.Client) -> None:
    kit.engine.add(Fault(action="hang", hang_s=0.05, times=1))
    with pytest.raises(httpx.RemoteProtocolError):
        inproc.get("/items", timeout=3)


def test_after_drop_in_process_applies_the_request(kit: Kit, inproc: httpx.Client) -> None:
    kit.engine.add(Fault(action="drop", after=True, times=1))
    with pytest.raises(httpx.RemoteProtocolError):
        inproc.post("/items", json={"n": 1})
    assert kit.items == [{"n": 1}]


def test_respx_routes_one_host_to_the_fake(kit: Kit) -> None:
    with respx.mock(assert_all_called=False) as router:
        router.route(host="tiny.fake").mock(side_effect=FakeTransport(kit.app).handle_request)
        router.route(host="other.test").respond(204)
        with httpx.Client() as client:
            assert client.post("http://tiny.fake/items", json={"n": 1}).json() == {"count": 1}
            assert client.get("http://other.test/anything").status_code == 204
            kit.engine.add(Fault(action="drop", times=1))
            with pytest.raises(httpx.RemoteProtocolError):
                client.get("http://tiny.fake/items")
            kit.engine.add(Fault(action="hang", times=1))
            with pytest.raises(httpx.ReadTimeout):
                client.get("http://tiny.fake/items", timeout=0.3)
    assert kit.items == [{"n": 1}]


def test_respx_side_effect_helper(kit: Kit) -> None:
    with respx.mock:
        respx.route(host="tiny.fake").mock(side_effect=respx_side_effect(kit.app))
        assert httpx.get("http://tiny.fake/items").json() == {"count": 0}


def test_an_app_answering_through_the_legacy_write_callable_is_heard_in_full() -> None:
    def app(environ, start_response):  # type: ignore[no-untyped-def]
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"written ")
        return [b"and returned"]

    with httpx.Client(transport=FakeTransport(app), base_url="http://fake") as client:
        assert client.get("/").content == b"written and returned"
