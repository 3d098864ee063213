"""A tiny fake built the way the real ones use fakekit, served for the fakekit tests."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from flask import Flask, Response, jsonify, request
from flask.typing import ResponseReturnValue

from harness.fakekit import (
    FaultEngine,
    FaultMiddleware,
    FaultReply,
    ManualClock,
    ServerThread,
    enact,
    enact_after,
)

MAX_BODY = 500 * 1024


@dataclass
class Kit:
    """The tiny fake: its Flask app, its fault engine and the items it has stored."""

    app: Flask
    engine: FaultEngine
    clock: ManualClock
    items: list[object] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        self.engine.reset()
        with self.lock:
            self.items.clear()


def _fault_response(reply: FaultReply) -> tuple[Response, int, dict[str, str]]:
    body = reply.body if reply.body is not None else {"error": "injected fault", "status": reply.status}
    return jsonify(body), reply.status, reply.headers


def make_kit() -> Kit:
    """A Flask app whose requests consult a FaultEngine through enact/enact_after."""
    app = Flask("tiny_fake")
    app.wsgi_app = FaultMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    clock = ManualClock()
    kit = Kit(app, FaultEngine(clock, seed=7), clock)

    @app.before_request
    def faults_before() -> ResponseReturnValue | None:
        if request.path.startswith("/_fake/"):
            return None
        fault = kit.engine.check(request.method, request.path, request.headers.get("X-Partition"))
        reply = enact(fault, request.environ)
        return None if reply is None else _fault_response(reply)

    @app.after_request
    def faults_after(response: Response) -> Response:
        reply = enact_after(request.environ)
        return response if reply is None else app.make_response(_fault_response(reply))

    @app.get("/_fake/health")
    def health() -> ResponseReturnValue:
        return {"ok": True}

    @app.post("/items")
    def add_item() -> ResponseReturnValue:
        if (request.content_length or 0) > MAX_BODY:
            return {"error": f"body of {request.content_length} bytes is over {MAX_BODY}"}, 400
        with kit.lock:
            kit.items.append(request.get_json(silent=True))
            return {"count": len(kit.items)}

    @app.get("/items")
    def count_items() -> ResponseReturnValue:
        with kit.lock:
            return {"count": len(kit.items)}

    return kit


@pytest.fixture(name="make_kit")
def make_kit_fixture() -> Callable[[], Kit]:
    """Build a fresh tiny fake, for tests that need their own (test modules cannot import conftest)."""
    return make_kit


@pytest.fixture(scope="module")
def module_kit() -> Kit:
    return make_kit()


@pytest.fixture
def kit(module_kit: Kit) -> Kit:
    """The module's tiny fake, with no faults armed and nothing stored."""
    module_kit.reset()
    return module_kit


@pytest.fixture(scope="module")
def server(module_kit: Kit) -> Iterator[ServerThread]:
    """The module's tiny fake on 127.0.0.1, on a free port."""
    with ServerThread(module_kit.app) as running:
        yield running


@pytest.fixture
def client(server: ServerThread, kit: Kit) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=5.0) as http:
        yield http
