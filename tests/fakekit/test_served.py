"""The shared lifecycle of the fakes: start, stop, `with`, the URL and the in-process transport."""

from __future__ import annotations

import httpx
import pytest
from flask import Flask

from harness.fakekit.served import Served
from harness.fakekit.server import ServerThread


class Tiny(Served):
    title = "the tiny fake"

    def __init__(self) -> None:
        self.app = Flask(__name__)
        self.app.add_url_rule("/_fake/health", "health", lambda: {"status": "ok"})
        self.app.add_url_rule("/hello", "hello", lambda: {"hello": "world"})
        self.server = ServerThread(self.app)


def test_the_url_exists_only_while_serving() -> None:
    fake = Tiny()
    with pytest.raises(RuntimeError, match="the tiny fake is not serving"):
        _ = fake.url
    with fake:
        assert httpx.get(fake.url + "/hello").json() == {"hello": "world"}
    with pytest.raises(RuntimeError):
        _ = fake.url
    fake.stop()  # a second stop is harmless


def test_start_twice_is_one_server() -> None:
    fake = Tiny()
    try:
        assert fake.start() is fake
        url = fake.url
        fake.start()
        assert fake.url == url
    finally:
        fake.stop()


def test_the_transport_needs_no_server() -> None:
    with httpx.Client(transport=Tiny().transport(), base_url="http://tiny") as client:
        assert client.get("/hello").json() == {"hello": "world"}
