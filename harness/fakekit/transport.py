"""An httpx transport that runs a fake's WSGI app in-process, with faults looking as they do on a socket.

Use it directly, `httpx.Client(transport=FakeTransport(app), base_url="http://segment.fake")`,
or under respx, routing a host to the fake while everything else stays mocked::

    with respx.mock:
        respx.route(host="segment.fake").mock(side_effect=FakeTransport(app).handle_request)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import httpx

from .wsgi import ClientHang, ConnectionDropped

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["FakeTransport", "respx_side_effect"]

# The words httpcore uses when a server closes the connection before answering.
_DISCONNECTED = "Server disconnected without sending a response."


class FakeTransport(httpx.BaseTransport):
    """Routes httpx requests to a WSGI app with no socket; dropped and hung requests fail as on the wire."""

    def __init__(
        self,
        app: WSGIApplication,
        *,
        remote_addr: str = "127.0.0.1",
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.app = app
        self._wsgi = httpx.WSGITransport(app=_WithWrite(app), remote_addr=remote_addr)
        self._sleep = sleep

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Run the request through the app, turning a cut connection into the httpx error a client sees."""
        try:
            return self._wsgi.handle_request(request)
        except ConnectionDropped as exc:
            raise httpx.RemoteProtocolError(_DISCONNECTED, request=request) from exc
        except ClientHang as exc:
            read_timeout = (request.extensions.get("timeout") or {}).get("read")
            if read_timeout is not None and read_timeout < exc.hang_s:
                self._sleep(read_timeout)
                raise httpx.ReadTimeout("timed out", request=request) from exc
            # The client outwaits the hang: the server then closes the connection unanswered.
            self._sleep(exc.hang_s)
            raise httpx.RemoteProtocolError(_DISCONNECTED, request=request) from exc


class _WithWrite:
    """Gives an app the WSGI `write()` callable that httpx's WSGITransport leaves out (PEP 3333)."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterator[bytes]:
        written: list[bytes] = []

        def starting(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            start_response(status, headers, exc_info)
            return written.append

        body = self.app(environ, starting)
        return _chained(written, body)


def _chained(written: list[bytes], body: Iterable[bytes]) -> Iterator[bytes]:
    try:
        yield from written
        yield from body
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()


def respx_side_effect(app: WSGIApplication) -> Callable[[httpx.Request], httpx.Response]:
    """A respx side effect that answers from `app`: `respx.route(host=...).mock(side_effect=...)`."""
    return FakeTransport(app).handle_request
