"""ServerThread, serve_forever and check_loopback, against the tiny fake on 127.0.0.1."""

from __future__ import annotations

import gc
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import httpx
import pytest
from flask import Flask

from harness.fakekit import (
    Fault,
    NotLoopbackError,
    ServerStartError,
    ServerThread,
    check_loopback,
    serve_forever,
)

if TYPE_CHECKING:
    from conftest import Kit


def test_start_picks_a_free_port_and_answers_at_url(make_kit: Callable[[], Kit]) -> None:
    server = ServerThread(make_kit().app)
    with server:
        assert server.port > 0
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert httpx.get(f"{server.url}/_fake/health").json() == {"ok": True}
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/_fake/health")


def test_stop_is_idempotent_and_safe_before_start(make_kit: Callable[[], Kit]) -> None:
    server = ServerThread(make_kit().app)
    server.stop()
    server.start()
    server.stop()
    server.stop()
    assert "stopped" in repr(server)


def test_address_before_start_is_a_clear_error(make_kit: Callable[[], Kit]) -> None:
    with pytest.raises(RuntimeError, match=r"until start\(\) has been called"):
        _ = ServerThread(make_kit().app).url


def test_two_servers_cannot_share_a_port(server: ServerThread, make_kit: Callable[[], Kit]) -> None:
    with pytest.raises(ServerStartError, match=f"could not listen on 127.0.0.1:{server.port}") as info:
        ServerThread(make_kit().app, port=server.port).start()
    assert isinstance(info.value, OSError)  # so `serve` can catch bind failures as OSError


def test_start_fails_clearly_when_health_never_answers_2xx() -> None:
    app = Flask("sick")
    app.add_url_rule("/_fake/health", "health", lambda: ("not yet", 503))
    server = ServerThread(app, start_timeout=0.3)
    with pytest.raises(ServerStartError, match=r"did not answer GET /_fake/health with a 2xx within 0.3s"):
        server.start()
    assert "stopped" in repr(server)


def test_stop_ends_a_hanging_request_promptly(make_kit: Callable[[], Kit]) -> None:
    kit = make_kit()
    server = ServerThread(kit.app).start()
    kit.engine.add(Fault(action="hang"))
    errors: list[BaseException] = []

    def wait_forever() -> None:
        try:
            httpx.get(f"{server.url}/items", timeout=None)
        except httpx.HTTPError as exc:
            errors.append(exc)

    waiter = threading.Thread(target=wait_forever)
    waiter.start()
    deadline = time.monotonic() + 5
    while not kit.engine.fired() and time.monotonic() < deadline:
        time.sleep(0.01)  # polling for the hang to begin, not waiting for the server
    started = time.perf_counter()
    server.stop()
    waiter.join(5)
    assert time.perf_counter() - started < 2
    assert [type(e) for e in errors] == [httpx.RemoteProtocolError]


def test_app_not_waitress_answers_a_10mb_body(client: httpx.Client) -> None:
    response = client.post("/items", content=b"x" * (10 * 1024 * 1024), headers={"Content-Type": "text/plain"})
    assert response.status_code == 400
    assert response.json() == {"error": f"body of {10 * 1024 * 1024} bytes is over {500 * 1024}"}


def test_a_500kb_body_goes_through(client: httpx.Client) -> None:
    body = {"blob": "y" * (500 * 1024 - 20)}
    assert client.post("/items", json=body).json() == {"count": 1}


def test_eight_threads_at_once_are_all_served(client: httpx.Client) -> None:
    def post(n: int) -> int:
        return client.post("/items", json={"n": n}).status_code

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(post, range(64))) == [200] * 64
    assert client.get("/items").json() == {"count": 64}


def test_server_identifies_itself() -> None:
    app = Flask("ident")
    app.add_url_rule("/_fake/health", "health", lambda: "ok")
    with ServerThread(app, ident="fake-test") as server:
        assert httpx.get(f"{server.url}/_fake/health").headers["Server"] == "fake-test"


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_check_loopback_accepts_loopback_hosts(host: str) -> None:
    check_loopback(host, allow_remote=False)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "example.invalid"])
def test_check_loopback_refuses_other_hosts_unless_allowed(host: str) -> None:
    with pytest.raises(NotLoopbackError, match=rf"refusing to listen on '{host}': it is not a loopback"):
        check_loopback(host, allow_remote=False)
    check_loopback(host, allow_remote=True)


def test_serve_forever_runs_until_sigint_then_stops_everything(make_kit: Callable[[], Kit]) -> None:
    servers = [ServerThread(make_kit().app), ServerThread(make_kit().app)]
    seen: list[int] = []

    collecting: list[bool] = []

    def on_ready() -> None:
        seen.extend(httpx.get(f"{s.url}/_fake/health").status_code for s in servers)
        collecting.append(gc.isenabled())
        os.kill(os.getpid(), signal.SIGINT)

    before = signal.getsignal(signal.SIGINT)
    gc.enable()
    serve_forever(servers, on_ready)
    assert seen == [200, 200]
    assert signal.getsignal(signal.SIGINT) is before
    # Serving runs the idle collector policy, and gives automatic collection back afterwards.
    assert collecting == [False] and gc.isenabled()
    for server in servers:
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{server.url}/_fake/health")


def test_serve_forever_stops_on_its_event_off_the_main_thread(make_kit: Callable[[], Kit]) -> None:
    stop = threading.Event()
    urls: list[str] = []

    servers = [ServerThread(make_kit().app)]

    def on_ready() -> None:
        urls.extend(s.url for s in servers)
        stop.set()

    runner = threading.Thread(target=serve_forever, args=(servers, on_ready), kwargs={"stop": stop})
    runner.start()
    runner.join(5)
    assert not runner.is_alive()
    assert len(urls) == 1


@pytest.mark.parametrize("size", [17, 300 * 1024, 20 * 1024 * 1024], ids=["small", "over-256KB", "over-watermark"])
def test_answers_of_every_size_arrive_whole_while_other_requests_run(size: int) -> None:
    # Small pending output of a running task is left to the task; large output still flows.
    body = os.urandom(size)

    def app(environ, start_response):  # type: ignore[no-untyped-def]
        if environ["PATH_INFO"] == "/_fake/health":
            start_response("200 OK", [("Content-Length", "0")])
            return [b""]
        start_response("200 OK", [("Content-Length", str(size))])
        # Stream in pieces, as a big JSON dump would be.
        return [body[i : i + 65536] for i in range(0, size, 65536)]

    with ServerThread(app, threads=4) as served, ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda _: httpx.get(served.url + "/big", timeout=30).content, range(4)))
    assert all(answer == body for answer in got)


def test_waitress_spin_is_gone_under_load() -> None:
    # A slow task answering on one connection while another connection waits must not make the
    # I/O thread loop: count the poll() calls of the server's loop during 40 requests.
    import select

    polls = [0]
    real_poll = select.poll

    class CountingPoll:
        def __init__(self) -> None:
            self._poll = real_poll()

        def register(self, *args: object) -> None:
            self._poll.register(*args)

        def poll(self, *args: object) -> list[tuple[int, int]]:
            polls[0] += 1
            return self._poll.poll(*args)

    def app(environ, start_response):  # type: ignore[no-untyped-def]
        if environ["PATH_INFO"] != "/_fake/health":
            deadline = time.perf_counter() + 0.005
            while time.perf_counter() < deadline:  # CPU-bound, holding the GIL like a batch does
                pass
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]

    select.poll = CountingPoll  # type: ignore[assignment,misc]
    try:
        with ServerThread(app, threads=4) as served, ThreadPoolExecutor(2) as pool:
            before = polls[0]

            def ask(_: int) -> int:
                with httpx.Client() as client:
                    return sum(client.get(served.url + "/work").status_code == 200 for _ in range(20))

            assert sum(pool.map(ask, range(2))) == 40
            loops = polls[0] - before
    finally:
        select.poll = real_poll  # type: ignore[misc]
    assert loops < 40 * 12, f"the I/O loop ran {loops} times for 40 requests"


def test_a_request_tells_the_serving_collector_the_process_is_busy(make_kit: Callable[[], Kit]) -> None:
    from harness.fakekit.collector import last_activity

    with ServerThread(make_kit().app) as server:
        before = time.monotonic()
        httpx.get(f"{server.url}/_fake/health")
        assert last_activity() >= before
