"""Turning a fired fault into what the client sees, plus the access log for `serve`.

A fake's request hooks call `enact(engine.check(...), environ)` before the view and
`enact_after(environ)` after it. A `status` fault becomes a `FaultReply` the fake renders;
`latency` sleeps; `hang` and `drop` mark the environ and `FaultMiddleware` (wrapped around
the app's `wsgi_app`) carries them out once the app has returned: on waitress it closes the
connection without writing a byte, elsewhere it raises `ConnectionDropped` / `ClientHang`
for the in-process transport to convert.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from waitress.channel import ClientDisconnected as _WaitressClientDisconnected

from .faults import DEFAULT_HANG_S, Fault

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = [
    "AccessLogMiddleware",
    "ClientHang",
    "ConnectionDropped",
    "FaultMiddleware",
    "FaultMiddlewareMissing",
    "FaultReply",
    "enact",
    "enact_after",
]

_MIDDLEWARE_KEY = "fakekit.fault_middleware"
_AFTER_KEY = "fakekit.after_fault"
_CUT_KEY = "fakekit.cut_fault"
_WAITRESS_DISCONNECTED = "waitress.client_disconnected"
# How often a hanging request looks to see whether its client has gone.
_HANG_POLL_S = 0.02


class ConnectionDropped(Exception):
    """A fault closed the connection without a response (raised out of the WSGI call when no socket)."""

    def __init__(self, fault: Fault) -> None:
        super().__init__(f"fault {fault.id!r} ({fault.action}) closed the connection without a response")
        self.fault = fault


class ClientHang(Exception):
    """A fault holds the request unanswered; the in-process transport waits out the client's timeout."""

    def __init__(self, fault: Fault) -> None:
        super().__init__(f"fault {fault.id!r} holds the request for up to {fault.hang_s}s without answering")
        self.fault = fault
        self.hang_s = fault.hang_s if fault.hang_s is not None else DEFAULT_HANG_S


class _WaitressDropped(_WaitressClientDisconnected, ConnectionDropped):
    """Raised inside waitress: its channel treats it as a vanished client, closing without a 500."""


class FaultMiddlewareMissing(RuntimeError):
    """A hang or drop fault fired in an app whose `wsgi_app` is not wrapped in FaultMiddleware."""


@dataclass(frozen=True, slots=True)
class FaultReply:
    """What the fake should answer instead of processing the request (or, `after`, instead of its answer)."""

    fault: Fault
    status: int
    headers: dict[str, str] = field(default_factory=dict, hash=False)
    # The JSON body to send; None means the fake's own error body for `status`.
    body: Any = field(default=None, hash=False)
    # True for hang/drop: FaultMiddleware throws the answer away, so any response will do.
    placeholder: bool = False


def enact(fault: Fault | None, environ: WSGIEnvironment) -> FaultReply | None:
    """Carry out the part of a fired fault that comes before the view; None means go on normally.

    A fault with `after=True` is kept in the environ for `enact_after`. Actions this module does
    not know (a fake's own, such as Listrak's `revoke_tokens`) are left to the fake: None.
    """
    if fault is None:
        return None
    if fault.after:
        environ[_AFTER_KEY] = fault
        return None
    return _perform(fault, environ)


def enact_after(environ: WSGIEnvironment) -> FaultReply | None:
    """Carry out an `after=True` fault once the request has been processed; None means send the answer."""
    fault = environ.pop(_AFTER_KEY, None)
    return None if fault is None else _perform(fault, environ)


def _perform(fault: Fault, environ: WSGIEnvironment) -> FaultReply | None:
    if fault.action == "latency":
        time.sleep(fault.latency_s or 0.0)
        return None
    if fault.action == "status":
        assert fault.status is not None  # Fault guarantees it for this action
        return FaultReply(fault, fault.status, dict(fault.headers or {}), fault.body)
    if fault.action in ("hang", "drop"):
        if not environ.get(_MIDDLEWARE_KEY):
            raise FaultMiddlewareMissing(
                f"fault {fault.id!r} ({fault.action}) fired, but the app is not wrapped in FaultMiddleware, "
                "so nothing can cut the connection; set app.wsgi_app = FaultMiddleware(app.wsgi_app)"
            )
        environ[_CUT_KEY] = fault
        return FaultReply(fault, 503, {}, None, placeholder=True)
    return None


class FaultMiddleware:
    """WSGI middleware that performs hang and drop faults after the app has run."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        environ[_MIDDLEWARE_KEY] = True
        held = _HeldStart(start_response)
        app_iter = self.app(environ, held)
        fault: Fault | None = environ.get(_CUT_KEY)
        if fault is None:
            return held.release(app_iter)
        if hasattr(app_iter, "close"):
            app_iter.close()
        return self._cut(fault, environ)

    def _cut(self, fault: Fault, environ: WSGIEnvironment) -> Iterable[bytes]:
        client_gone: Callable[[], bool] | None = environ.get(_WAITRESS_DISCONNECTED)
        if client_gone is None:
            raise ClientHang(fault) if fault.action == "hang" else ConnectionDropped(fault)
        if fault.action == "hang":
            # waitress only notices a vanished client while the channel stays readable, which
            # ServerThread arranges with channel_request_lookahead.
            deadline = time.monotonic() + (fault.hang_s or DEFAULT_HANG_S)
            while not client_gone() and (left := deadline - time.monotonic()) > 0:
                time.sleep(min(_HANG_POLL_S, left))
        # waitress takes ClientDisconnected as "the client went away": it closes the channel
        # without writing the 500 it writes for other exceptions, so the client sees no bytes.
        raise _WaitressDropped(fault)


class _HeldStart:
    """A start_response that holds the status and headers until the middleware knows no fault cuts in."""

    def __init__(self, start_response: StartResponse) -> None:
        self._start_response = start_response
        self._held: tuple[str, list[tuple[str, str]], Any] | None = None
        self._released = False
        self._real_write: Callable[[bytes], object] | None = None

    def __call__(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], object]:
        if self._released:
            return self._start_response(status, headers, exc_info)
        self._held = (status, headers, exc_info)
        return self._write

    def _write(self, data: bytes) -> object:
        # An app using the legacy write() callable commits to its answer there and then.
        if self._real_write is None:
            self._real_write = self._start_held()
        return self._real_write(data)

    def _start_held(self) -> Callable[[bytes], object]:
        self._released = True
        assert self._held is not None, "write() called before start_response()"
        held, self._held = self._held, None
        return self._start_response(*held)

    def release(self, app_iter: Iterable[bytes]) -> Iterable[bytes]:
        if self._held is not None:
            self._real_write = self._start_held()
        self._released = True
        return app_iter


class AccessLogMiddleware:
    """WSGI middleware writing one line a request: `127.0.0.1 POST /v1/batch 200 1234B 2.1ms`."""

    def __init__(self, app: WSGIApplication, stream: TextIO, *, skip_paths: Iterable[str] = ("/_fake/health",)) -> None:
        self.app = app
        self.stream = stream
        self.skip_paths = frozenset(skip_paths)
        self._lock = threading.Lock()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "") in self.skip_paths:
            return self.app(environ, start_response)
        started = time.perf_counter()
        status = ["-"]
        written = [0]

        def logging_start(status_line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status[0] = status_line.split(" ", 1)[0]
            write = start_response(status_line, headers, exc_info)

            def counting_write(data: bytes) -> Any:  # an app may answer through the legacy write()
                written[0] += len(data)
                return write(data)

            return counting_write

        try:
            app_iter = self.app(environ, logging_start)
        except (ConnectionDropped, ClientHang) as exc:
            self._log(environ, "hang" if exc.fault.action == "hang" else "drop", 0, started)
            raise
        except BaseException:
            self._log(environ, "error", 0, started)
            raise
        return _CountingIter(app_iter, lambda sent: self._log(environ, status[0], sent + written[0], started))

    def _log(self, environ: WSGIEnvironment, status: str, sent: int, started: float) -> None:
        path = environ.get("PATH_INFO", "") or "/"
        if query := environ.get("QUERY_STRING"):
            path = f"{path}?{query}"
        line = (
            f"{environ.get('REMOTE_ADDR', '-')} {environ.get('REQUEST_METHOD', '-')} {path} "
            f"{status} {sent}B {(time.perf_counter() - started) * 1000:.1f}ms\n"
        )
        with self._lock:
            self.stream.write(line)
            self.stream.flush()


class _CountingIter:
    """Passes the body through, counting bytes, and reports the total when the server closes it."""

    def __init__(self, app_iter: Iterable[bytes], done: Callable[[int], None]) -> None:
        self._app_iter = app_iter
        self._done: Callable[[int], None] | None = done
        self._sent = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._app_iter:
            self._sent += len(chunk)
            yield chunk

    def close(self) -> None:
        try:
            if hasattr(self._app_iter, "close"):
                self._app_iter.close()
        finally:
            done, self._done = self._done, None
            if done is not None:
                done(self._sent)
