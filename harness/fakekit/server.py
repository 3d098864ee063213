"""Running a fake as a real HTTP server on loopback: waitress in a daemon thread."""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import signal
import socket
import threading
import time
from collections.abc import Callable, Sequence
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any

from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import create_server
from waitress.trigger import trigger as _Trigger

from harness.fakekit.collector import IdleCollector, note_activity

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "NotLoopbackError",
    "ServerStartError",
    "ServerThread",
    "check_loopback",
    "serve_forever",
]

# Far above any body the fakes accept (Segment: 500KB a batch), so an oversize body reaches
# the app and gets the fake's own JSON error rather than waitress's plain-text 413.
DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024

_ADJUSTMENTS: dict[str, Any] = {
    # Read a 500KB batch in ~8 recv calls rather than 64.
    "recv_bytes": 65536,
    # Keep bodies up to 1MB in memory; bigger ones spill to a temporary file.
    "inbuf_overflow": 1024 * 1024,
    # Idle keep-alive connections are cheap; closing them early races clients reusing them.
    "channel_timeout": 300,
    "connection_limit": 512,
    "asyncore_use_poll": True,
    "clear_untrusted_proxy_headers": True,
    # Keeps a channel readable while its request runs, so a hang fault notices its client leave
    # (waitress.client_disconnected only works with a lookahead > 0).
    "channel_request_lookahead": 1,
}


class ServerStartError(OSError):
    """A fake server could not bind or did not answer its health check in time."""


class NotLoopbackError(ValueError):
    """A host that is not a loopback address, given without allow_remote."""


def check_loopback(host: str, allow_remote: bool = False) -> None:
    """Raise NotLoopbackError unless `host` is a loopback address (or `allow_remote` is set)."""
    if allow_remote or _is_loopback(host):
        return
    raise NotLoopbackError(
        f"refusing to listen on {host!r}: it is not a loopback address, so the fakes, which accept "
        "made-up credentials, would be reachable from other machines; use 127.0.0.1, or pass "
        "allow_remote=True (--allow-remote) if that is what you want"
    )


class _PatientChannel(HTTPChannel):
    """A waitress channel whose I/O thread leaves a running task's small answer to the task.

    waitress reports a channel writable as soon as a task has put bytes in its output buffer, but
    while the task is still running it only flushes them if it can take the task's output lock. A
    task writes its answer under that lock and flushes it itself; between the socket send and
    taking the interpreter back, the I/O thread spins on POLLOUT, failing to take the lock and
    taking the GIL from the very thread it waits for (about 100 idle loops per answer under load).
    Small pending output of a running task is left to the task; large output (a streamed body
    near waitress's high watermark) keeps waitress's own behaviour, so nothing can stall.

    It also tells the serving collector when bytes arrive, so that it never takes a busy process
    for a quiet one.
    """

    def writable(self) -> bool:
        if self.requests and 0 < self.total_outbufs_len < _TASK_FLUSHES_BELOW:
            return False
        return bool(super().writable())

    def received(self, data: bytes) -> bool:
        note_activity()  # the serving collector waits for quiet (harness.fakekit.collector)
        return bool(super().received(data))


_TASK_FLUSHES_BELOW = 256 * 1024


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(info[4][0]).is_loopback for info in infos)


class ServerThread:
    """A WSGI app served by waitress from a daemon thread; `start()` returns once it answers."""

    def __init__(
        self,
        wsgi_app: WSGIApplication,
        host: str = "127.0.0.1",
        port: int = 0,
        threads: int = 8,
        health_path: str = "/_fake/health",
        *,
        ident: str = "listrak-harness",
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        start_timeout: float = 10.0,
    ) -> None:
        self.wsgi_app = wsgi_app
        self.host = host
        self.threads = threads
        self.health_path = health_path
        self.ident = ident
        self.max_body_bytes = max_body_bytes
        self.start_timeout = start_timeout
        self._requested_port = port
        self._server: Any = None
        self._map: dict[int, Any] = {}
        self._thread: threading.Thread | None = None
        self._bound: tuple[str, int] | None = None
        self._crash: BaseException | None = None

    @property
    def port(self) -> int:
        """The port the server listens on (the free one picked when started with port 0)."""
        return self._address()[1]

    @property
    def url(self) -> str:
        """`http://127.0.0.1:PORT`, no trailing slash."""
        host, port = self._address()
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def _address(self) -> tuple[str, int]:
        if self._bound is None:
            raise RuntimeError("the server has no address until start() has been called")
        return self._bound

    def start(self) -> ServerThread:
        """Bind, serve from a daemon thread, and return once the health path answers."""
        if self._server is not None:
            raise RuntimeError(f"the server at {self.url} is already running")
        self._map = {}
        try:
            self._server = create_server(
                self.wsgi_app,
                map=self._map,
                host=self.host,
                port=self._requested_port,
                threads=self.threads,
                ident=self.ident,
                max_request_body_size=self.max_body_bytes,
                **_ADJUSTMENTS,
            )
        except OSError as exc:
            raise ServerStartError(f"could not listen on {self.host}:{self._requested_port}: {exc}") from exc
        # waitress's documented hook for the per-connection class (BaseWSGIServer.channel_class).
        self._server.channel_class = _PatientChannel
        listen = getattr(self._server, "effective_listen", None) or [
            (self._server.effective_host, self._server.effective_port)
        ]
        self._bound = (str(listen[0][0]), int(listen[0][1]))
        self._crash = None
        self._thread = threading.Thread(target=self._run, name=f"fake-server-{self.port}", daemon=True)
        self._thread.start()
        try:
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def _run(self) -> None:
        try:
            self._server.run()
        except BaseException as exc:  # reported by start() or stop(), not lost in a thread
            self._crash = exc

    def _wait_healthy(self) -> None:
        host, port = self._address()
        deadline = time.monotonic() + self.start_timeout
        pause = 0.005
        last = "no answer yet"
        while True:
            if self._crash is not None:
                raise ServerStartError(f"the server at {self.url} stopped while starting: {self._crash!r}")
            try:
                conn = http.client.HTTPConnection(host, port, timeout=max(0.1, deadline - time.monotonic()))
                try:
                    conn.request("GET", self.health_path)
                    status = conn.getresponse().status
                finally:
                    conn.close()
                if 200 <= status < 300:
                    return
                last = f"HTTP {status}"
            except OSError as exc:
                last = repr(exc)
            if time.monotonic() >= deadline:
                raise ServerStartError(
                    f"the server at {self.url} did not answer GET {self.health_path} with a 2xx within "
                    f"{self.start_timeout}s (last: {last})"
                )
            time.sleep(pause)
            pause = min(pause * 2, 0.1)

    def stop(self, timeout: float = 5.0) -> None:
        """Close the listening socket and every connection, and join the threads; safe to call twice."""
        server, self._server = self._server, None
        if server is None:
            return
        thread = self._thread
        if thread is not None and thread.is_alive():
            # Close from inside the loop thread: closing sockets under a running poll() races it.
            trigger = next((obj for obj in list(self._map.values()) if isinstance(obj, _Trigger)), None)
            if trigger is not None:
                # OSError: the loop is already closing its sockets; the close below finishes the job.
                with contextlib.suppress(OSError):
                    trigger.pull_trigger(lambda: wasyncore.close_all(self._map, ignore_all=True))
            thread.join(timeout)
        if self._map:
            wasyncore.close_all(self._map, ignore_all=True)
        # Closing the channels marks them disconnected, which ends any hanging request.
        server.task_dispatcher.shutdown(timeout=timeout)
        if thread is not None:
            thread.join(timeout)

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self._bound is not None else f"{self.host}:{self._requested_port}"
        return f"<ServerThread {where} {'running' if self._server is not None else 'stopped'}>"


def serve_forever(
    servers: Sequence[ServerThread],
    on_ready: Callable[[], object] | None = None,
    *,
    stop: threading.Event | None = None,
) -> None:
    """Start `servers`, call `on_ready()`, and block until SIGINT/SIGTERM (or `stop` is set).

    The process runs the serving collector policy meanwhile (`harness.fakekit.collector`).
    """
    stop = stop or threading.Event()
    previous: dict[signal.Signals, Any] = {}

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, on_signal)
    started: list[ServerThread] = []
    collector = IdleCollector().start()
    try:
        for server in servers:
            started.append(server.start())
        if on_ready is not None:
            on_ready()
        # A timed wait keeps the main thread returning to the interpreter, where signal handlers run.
        while not stop.wait(0.5):
            pass
    finally:
        for server in reversed(started):
            server.stop()
        collector.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
