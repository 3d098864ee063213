"""The lifecycle both in-process fakes share: serve on loopback from a thread, stop, `with`, the URL,
and an in-process transport that needs no socket."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from .server import ServerThread
from .transport import FakeTransport

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = ["Served"]


class Served:
    """Mixin for a fake with a WSGI `app` and a `server` (a ServerThread serving it)."""

    app: WSGIApplication
    server: ServerThread
    # Named in the error when the URL is asked for before the fake serves.
    title = "the fake"
    _started = False

    def start(self) -> Self:
        """Serve on loopback; returns once the server answers its health check."""
        if not self._started:
            self.server.start()
            self._started = True
        return self

    def stop(self) -> None:
        """Stop serving (safe to call twice, or before start)."""
        if self._started:
            self.server.stop()
            self._started = False

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL of the running server, e.g. `http://127.0.0.1:PORT`."""
        if not self._started:
            raise RuntimeError(f"{self.title} is not serving: use it as a context manager or call start()")
        return self.server.url

    def transport(self) -> FakeTransport:
        """An httpx transport calling the app in-process, no socket; works without start()."""
        return FakeTransport(self.app)
