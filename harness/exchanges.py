"""The implementation's HTTP exchanges with the fakes, as the fault and transport rules need them.

`ExchangeLog.wrap(target, app)` puts a WSGI middleware in front of a fake: every request the
implementation makes (the fakes' own `/_fake/` admin paths aside) is kept as an `Exchange` with
its arrival and completion times on the monotonic clock, the headers the rules read
(`Authorization`, `Content-Encoding`), the raw body, the status and the `Retry-After` of the
answer. The same middleware serves in-process replays (through the fakes' transports) and served
ones (in front of the loopback servers), so the checker judges both alike.

Bodies are kept raw and decoded only when a rule asks (`Exchange.json()`), so that recording costs
a replay next to nothing.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import io
import json
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["Exchange", "ExchangeLog", "basic_user"]


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request the implementation made to a fake and the answer it got."""

    seq: int
    target: str  # "segment" or "listrak"
    method: str
    path: str  # path and query, as sent
    started: float  # time.monotonic() when the request arrived
    ended: float  # when the fake had answered
    status: int
    authorization: str | None
    content_encoding: str | None
    body: bytes
    retry_after: str | None = None

    @property
    def route(self) -> str:
        """`METHOD /path?query`, as reports show a request."""
        return f"{self.method} {self.path}"

    def decoded_body(self) -> bytes:
        """The body with its Content-Encoding (gzip or deflate) undone; the raw body if it cannot be."""
        encoding = (self.content_encoding or "").strip().lower()
        try:
            if encoding == "gzip":
                return gzip.decompress(self.body)
            if encoding == "deflate":
                return zlib.decompress(self.body)
        except (OSError, EOFError, zlib.error):
            return self.body
        return self.body

    def json(self) -> Any:
        """The body parsed as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.decoded_body())
        except (ValueError, UnicodeDecodeError):
            return None


def basic_user(authorization: str | None) -> str | None:
    """The user of a Basic `Authorization` header (Segment's write key), or None when there is none."""
    if not authorization:
        return None
    scheme, _, credentials = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[0] or None


class ExchangeLog:
    """Exchanges with every fake it wraps, numbered in arrival order; thread-safe (served fakes answer in threads)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._exchanges: list[Exchange] = []
        self._next = 0

    def __len__(self) -> int:
        return len(self._exchanges)

    def since(self, start: int) -> tuple[Exchange, ...]:
        """The exchanges completed after the first `start` ones (in completion order)."""
        with self._lock:
            return tuple(self._exchanges[start:])

    def clear(self) -> None:
        """Forget every exchange and number the next one 1 again (each history's requests count from 1)."""
        with self._lock:
            self._exchanges.clear()
            self._next = 0

    def wrap(self, target: str, app: WSGIApplication) -> WSGIApplication:
        """`app` with every request (but `/_fake/` ones) kept under `target`."""

        def middleware(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
            path = environ.get("PATH_INFO", "")
            if path.startswith("/_fake/"):
                return app(environ, start_response)
            return self._exchange(target, app, environ, start_response)

        return middleware

    def _exchange(
        self, target: str, app: WSGIApplication, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        started = self._clock()
        with self._lock:
            self._next += 1
            seq = self._next
        body = _read_body(environ)
        # The app gets the body as a server that de-chunks hands it on: whole, of known length, and ending
        # where it ends, so a chunked body (no Content-Length) still reaches an app such as Werkzeug's, which
        # otherwise reads a body of unknown length as empty.
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["wsgi.input_terminated"] = True
        answer: dict[str, Any] = {}

        def keep(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], object]:
            answer["status"] = status
            answer["retry_after"] = next((v for k, v in headers if k.lower() == "retry-after"), None)
            return start_response(status, headers, exc_info)

        try:
            result = app(environ, keep)
            try:
                chunks = list(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        except BaseException:
            # A dropped connection (a fault) or a fake's own failure: the request was still made.
            answer["status"] = "0 no answer"
            raise
        finally:
            self._keep(seq, target, environ, started, body, answer)
        return chunks

    def _keep(
        self, seq: int, target: str, environ: WSGIEnvironment, started: float, body: bytes, answer: dict[str, Any]
    ) -> None:
        query = environ.get("QUERY_STRING", "")
        status_text = str(answer.get("status", "0"))
        exchange = Exchange(
            seq=seq,
            target=target,
            method=environ.get("REQUEST_METHOD", "GET"),
            path=environ.get("PATH_INFO", "") + (f"?{query}" if query else ""),
            started=started,
            ended=self._clock(),
            status=int(status_text.split(" ", 1)[0]) if status_text[:3].isdigit() else 0,
            authorization=environ.get("HTTP_AUTHORIZATION"),
            content_encoding=environ.get("HTTP_CONTENT_ENCODING"),
            body=body,
            retry_after=answer.get("retry_after"),
        )
        with self._lock:
            self._exchanges.append(exchange)


def _read_body(environ: WSGIEnvironment) -> bytes:
    """The whole request body (Content-Length bytes, or to the end when the length is not given)."""
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length_text = environ.get("CONTENT_LENGTH") or ""
    try:
        length = int(length_text)
    except ValueError:
        length = -1
    if length == 0:
        return b""
    data: bytes = stream.read(length) if length > 0 else stream.read()
    return data
