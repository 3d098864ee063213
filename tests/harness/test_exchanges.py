"""The exchange log: every request an implementation makes to a fake, in-process and served, as the rules read it."""

from __future__ import annotations

import base64
import gzip
import io
import json
import zlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs
from wsgiref.util import setup_testing_defaults

import httpx
import pytest

from fake_listrak.fake import FakeListrak
from fake_listrak.views import TOKEN_PATH
from fake_segment.server import FakeSegment
from harness.exchanges import Exchange, ExchangeLog, basic_user
from harness.fakekit.server import ServerThread
from harness.fakekit.transport import FakeTransport

WRITE_KEY = "wk-exchanges"
AUTH = "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()
BATCH = {"batch": [{"type": "identify", "anonymousId": "a@x.io", "messageId": "m-1", "traits": {"email": "a@x.io"}}]}


class Echo:
    """A tiny WSGI app: answers each request with the body it read, as strictly as Werkzeug reads one.

    `/status/N?retry=S` answers status N with `retry-after: S`; `/boom` fails after reading the body.
    """

    def __init__(self) -> None:
        self.seen: list[bytes] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ["PATH_INFO"]
        if path == "/_fake/health":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b'{"ok": true}']
        length = environ.get("CONTENT_LENGTH")
        stream = environ["wsgi.input"]
        # A body of unknown length is only read when the server says its stream ends (Werkzeug's rule).
        terminated = bool(environ.get("wsgi.input_terminated"))
        body = stream.read(int(length)) if length else (stream.read() if terminated else b"")
        self.seen.append(body)
        if path == "/boom":
            raise RuntimeError("the fake fell over")
        status = int(path.removeprefix("/status/")) if path.startswith("/status/") else 200
        headers = [("Content-Type", "application/octet-stream")]
        retry = parse_qs(environ.get("QUERY_STRING", "")).get("retry")
        if retry:
            headers.append(("retry-after", retry[0]))
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [body]


def _client(app: Any) -> httpx.Client:
    return httpx.Client(transport=FakeTransport(app), base_url="http://fake.test")


@pytest.fixture
def served_echo() -> Iterator[tuple[Echo, ExchangeLog, ServerThread]]:
    echo, log = Echo(), ExchangeLog()
    with ServerThread(log.wrap("segment", echo), threads=8) as server:
        yield echo, log, server


def _chunks(body: bytes) -> Iterator[bytes]:
    """The body in three pieces: httpx sends a generator with Transfer-Encoding: chunked, no Content-Length."""
    third = len(body) // 3
    yield body[:third]
    yield body[third : 2 * third]
    yield body[2 * third :]


# -- what an exchange holds ----------------------------------------------------------------------
def test_an_in_process_request_is_kept_with_its_route_headers_body_and_answer() -> None:
    log = ExchangeLog()
    body = json.dumps(BATCH).encode()
    with _client(log.wrap("segment", Echo())) as client:
        answer = client.post(
            "/v1/batch?trace=1", content=body, headers={"Authorization": AUTH, "Content-Encoding": "identity"}
        )
    assert answer.content == body
    (exchange,) = log.since(0)
    assert (exchange.seq, exchange.target, exchange.method) == (1, "segment", "POST")
    assert exchange.path == "/v1/batch?trace=1"
    assert exchange.route == "POST /v1/batch?trace=1"
    assert exchange.status == 200 and exchange.retry_after is None
    assert exchange.authorization == AUTH and exchange.content_encoding == "identity"
    assert exchange.body == body and exchange.json() == BATCH
    assert exchange.started <= exchange.ended


def test_a_request_without_body_or_headers_is_kept_with_none_for_them() -> None:
    log = ExchangeLog()
    with _client(log.wrap("listrak", Echo())) as client:
        client.get("/email/v1/List/7")
    (exchange,) = log.since(0)
    assert (exchange.target, exchange.route, exchange.body) == ("listrak", "GET /email/v1/List/7", b"")
    assert exchange.authorization is None and exchange.content_encoding is None
    assert exchange.json() is None


def test_times_are_read_from_the_log_clock_on_arrival_and_once_answered() -> None:
    ticks = iter([10.0, 12.5])
    log = ExchangeLog(clock=lambda: next(ticks))
    with _client(log.wrap("segment", Echo())) as client:
        client.post("/v1/batch", content=b"{}")
    (exchange,) = log.since(0)
    assert (exchange.started, exchange.ended) == (10.0, 12.5)


@pytest.mark.parametrize(
    ("path", "status", "retry_after"),
    [
        ("/status/429?retry=2", 429, "2"),
        ("/status/503?retry=Wed,%2021%20Oct%202015%2007:28:00%20GMT", 503, "Wed, 21 Oct 2015 07:28:00 GMT"),
        ("/status/401", 401, None),
        ("/status/204", 204, None),
    ],
)
def test_the_status_and_retry_after_of_the_answer_are_kept(path: str, status: int, retry_after: str | None) -> None:
    log = ExchangeLog()
    with _client(log.wrap("segment", Echo())) as client:
        assert client.post(path, content=b"x").status_code == status
    (exchange,) = log.since(0)
    assert (exchange.status, exchange.retry_after) == (status, retry_after)


# -- the body the app reads ----------------------------------------------------------------------
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_the_app_reads_the_very_bytes_the_log_kept_in_process(chunked: bool) -> None:
    echo, log = Echo(), ExchangeLog()
    body = json.dumps({"batch": [{"n": n} for n in range(200)]}).encode()
    with _client(log.wrap("segment", echo)) as client:
        answer = client.post("/v1/batch", content=_chunks(body) if chunked else body)
    assert answer.request.headers.get("Transfer-Encoding") == ("chunked" if chunked else None)
    assert echo.seen == [body]
    assert answer.content == body
    assert log.since(0)[0].body == body


def test_a_chunked_batch_reaches_the_fake_segment_in_process() -> None:
    # Werkzeug reads a body of unknown length as empty unless its stream is said to end: the log,
    # which holds the whole body, hands it on as a de-chunking server would.
    segment, log = FakeSegment(), ExchangeLog()
    body = json.dumps(BATCH).encode()
    with _client(log.wrap("segment", segment.app)) as client:
        answer = client.post("/v1/batch", content=_chunks(body), headers={"Authorization": AUTH})
    assert answer.status_code == 200, answer.text
    assert [m["messageId"] for m in segment.messages(WRITE_KEY)] == ["m-1"]
    assert log.since(0)[0].body == body


def test_a_gzip_batch_is_kept_compressed_reaches_the_fake_and_decodes_in_the_log() -> None:
    segment, log = FakeSegment(), ExchangeLog()
    compressed = gzip.compress(json.dumps(BATCH).encode())
    with _client(log.wrap("segment", segment.app)) as client:
        answer = client.post(
            "/v1/batch", content=compressed, headers={"Authorization": AUTH, "Content-Encoding": "gzip"}
        )
    assert answer.status_code == 200 and answer.json() == {"success": True}  # the fake answers via write()
    assert [m["messageId"] for m in segment.messages(WRITE_KEY)] == ["m-1"]
    (exchange,) = log.since(0)
    assert exchange.body == compressed and exchange.content_encoding == "gzip"
    assert exchange.json() == BATCH


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_served_app_reads_the_very_bytes_the_log_kept(
    served_echo: tuple[Echo, ExchangeLog, ServerThread], chunked: bool
) -> None:
    echo, log, server = served_echo
    body = bytes(range(256)) * 300  # 76.8KB, more than one read of the socket
    with httpx.Client(base_url=server.url, timeout=5.0) as client:
        answer = client.post("/v1/batch?x=1", content=_chunks(body) if chunked else body)
    assert answer.content == body
    assert echo.seen == [body]
    (exchange,) = log.since(0)
    assert (exchange.route, exchange.status, exchange.body) == ("POST /v1/batch?x=1", 200, body)


# -- decoding ------------------------------------------------------------------------------------
def _exchange(body: bytes, encoding: str | None) -> Exchange:
    return Exchange(1, "segment", "POST", "/v1/batch", 0.0, 0.0, 200, None, encoding, body)


PLAIN = json.dumps(BATCH).encode()


@pytest.mark.parametrize(
    ("body", "encoding"),
    [
        (gzip.compress(PLAIN), "gzip"),
        (gzip.compress(PLAIN), " GZip "),
        (zlib.compress(PLAIN), "deflate"),
        (PLAIN, None),
        (PLAIN, "identity"),
    ],
    ids=["gzip", "gzip-any-case", "deflate", "none", "identity"],
)
def test_decoded_body_undoes_gzip_and_deflate(body: bytes, encoding: str | None) -> None:
    exchange = _exchange(body, encoding)
    assert exchange.decoded_body() == PLAIN
    assert exchange.json() == BATCH


@pytest.mark.parametrize(
    ("body", "encoding"),
    [
        (PLAIN, "gzip"),  # says gzip, is not
        (gzip.compress(PLAIN)[:20], "gzip"),  # cut short
        (b"\x78\x9c garbage", "deflate"),
        (gzip.compress(PLAIN), "br"),  # an encoding the log does not undo
    ],
    ids=["not-gzip", "truncated-gzip", "bad-deflate", "unknown-encoding"],
)
def test_a_body_that_cannot_be_decoded_is_given_raw(body: bytes, encoding: str) -> None:
    exchange = _exchange(body, encoding)
    assert exchange.decoded_body() == body
    assert exchange.json() == (BATCH if body == PLAIN else None)


@pytest.mark.parametrize("body", [b"not json", b"\xff\xfe\xfa{", b"", b'{"cut": '], ids=str)
def test_json_is_none_for_a_body_that_is_not_json(body: bytes) -> None:
    assert _exchange(body, None).json() is None


# -- what is not kept, and failures ----------------------------------------------------------------
def test_the_fakes_admin_paths_are_not_kept() -> None:
    segment, log = FakeSegment(), ExchangeLog()
    with _client(log.wrap("segment", segment.app)) as client:
        assert client.get("/_fake/messages").status_code == 200
        assert client.get("/_fake/health").status_code == 200
        client.post("/v1/batch", json=BATCH, headers={"Authorization": AUTH})
    assert [e.route for e in log.since(0)] == ["POST /v1/batch"]
    assert log.since(0)[0].seq == 1  # admin requests take no number either


def test_a_served_health_check_is_not_kept(served_echo: tuple[Echo, ExchangeLog, ServerThread]) -> None:
    _, log, server = served_echo
    # ServerThread.start polled /_fake/health until it answered; ask once more to be sure.
    assert httpx.get(f"{server.url}/_fake/health", timeout=5.0).status_code == 200
    assert len(log) == 0


def _environ(path: str, body: bytes) -> dict[str, Any]:
    environ: dict[str, Any] = {"PATH_INFO": path, "REQUEST_METHOD": "POST", "CONTENT_LENGTH": str(len(body))}
    setup_testing_defaults(environ)
    environ["wsgi.input"] = io.BytesIO(body)
    return environ


def _unanswered(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], object]:
    raise AssertionError(f"no answer expected, got {status}")


def test_an_app_that_raises_is_kept_with_status_0_and_the_error_goes_on() -> None:
    log = ExchangeLog()
    app = log.wrap("listrak", Echo())
    with pytest.raises(RuntimeError, match="the fake fell over"):
        app(_environ("/boom", b"payload"), _unanswered)
    (exchange,) = log.since(0)
    assert (exchange.route, exchange.status, exchange.body) == ("POST /boom", 0, b"payload")


def test_a_dropped_connection_in_process_is_kept_with_status_0() -> None:
    segment, log = FakeSegment(), ExchangeLog()
    segment.add_fault(action="drop", times=1)
    with _client(log.wrap("segment", segment.app)) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.post("/v1/batch", json=BATCH, headers={"Authorization": AUTH})
        assert client.post("/v1/batch", json=BATCH, headers={"Authorization": AUTH}).status_code == 200
    assert [(e.seq, e.status) for e in log.since(0)] == [(1, 0), (2, 200)]
    assert log.since(0)[0].json() == BATCH


def test_a_dropped_connection_served_is_kept_with_status_0() -> None:
    listrak, log = FakeListrak(), ExchangeLog()
    account = listrak.account()
    account.add_fault({"action": "drop", "path": TOKEN_PATH, "times": 1})
    form = {"grant_type": "client_credentials", "client_id": account.client_id, "client_secret": account.client_secret}
    with ServerThread(log.wrap("listrak", listrak.app)) as server, httpx.Client(base_url=server.url) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.post(TOKEN_PATH, data=form)
        assert client.post(TOKEN_PATH, data=form).status_code == 200
    assert [(e.route, e.status) for e in log.since(0)] == [(f"POST {TOKEN_PATH}", 0), (f"POST {TOKEN_PATH}", 200)]


# -- numbering -------------------------------------------------------------------------------------
def test_exchanges_are_numbered_in_order_and_since_gives_those_after_the_first_n() -> None:
    log = ExchangeLog()
    with _client(log.wrap("segment", Echo())) as client:
        for n in range(3):
            client.post(f"/v1/batch?n={n}")
    assert len(log) == 3
    assert [e.seq for e in log.since(0)] == [1, 2, 3]
    assert [e.path for e in log.since(1)] == ["/v1/batch?n=1", "/v1/batch?n=2"]
    assert log.since(3) == ()


def test_clear_forgets_the_exchanges_and_numbers_from_1_again() -> None:
    # Each history of a campaign clears the log, and its findings name requests by number: a
    # history replayed again must name the same requests.
    log = ExchangeLog()
    with _client(log.wrap("segment", Echo())) as client:
        client.post("/v1/batch")
        client.post("/v1/batch")
        log.clear()
        assert len(log) == 0 and log.since(0) == ()
        client.post("/v1/batch")
    assert [e.seq for e in log.since(0)] == [1]


def test_one_log_numbers_the_requests_to_every_fake_it_wraps_together() -> None:
    log = ExchangeLog()
    with _client(log.wrap("listrak", Echo())) as listrak, _client(log.wrap("segment", Echo())) as segment:
        listrak.get("/email/v1/List/7")
        segment.post("/v1/batch")
        listrak.get("/email/v1/List/8")
    assert [(e.seq, e.target) for e in log.since(0)] == [(1, "listrak"), (2, "segment"), (3, "listrak")]


def test_concurrent_requests_to_a_served_app_are_all_kept_with_unique_numbers(
    served_echo: tuple[Echo, ExchangeLog, ServerThread],
) -> None:
    _, log, server = served_echo
    threads, each = 8, 25

    def send(thread: int) -> None:
        with httpx.Client(base_url=server.url, timeout=10.0) as client:
            for n in range(each):
                assert client.post("/v1/batch", content=f"{thread}-{n}".encode()).status_code == 200

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(send, range(threads)))
    kept = log.since(0)
    assert len(log) == len(kept) == threads * each
    assert sorted(e.seq for e in kept) == list(range(1, threads * each + 1))
    assert {e.body for e in kept} == {f"{t}-{n}".encode() for t in range(threads) for n in range(each)}


# -- basic_user ------------------------------------------------------------------------------------
def _basic(credentials: bytes) -> str:
    return "Basic " + base64.b64encode(credentials).decode()


@pytest.mark.parametrize(
    ("authorization", "user"),
    [
        (_basic(b"wk:"), "wk"),
        (_basic(b"wk:secret"), "wk"),
        (_basic(b"wk"), "wk"),  # no colon: Segment still takes the whole as the key
        ("basic " + base64.b64encode(b"wk:").decode(), "wk"),
        ("  " + _basic(b"wk:") + "  ", "wk"),
        (_basic("clé:".encode()), "clé"),
        (_basic(b":secret"), None),  # an empty user is no key
        (_basic(b"\xff\xfe:"), None),  # not UTF-8
        ("Basic not*base64", None),
        ("Basic", None),
        ("Bearer " + base64.b64encode(b"wk:").decode(), None),
        ("", None),
        (None, None),
    ],
    ids=[
        "key-colon",
        "key-password",
        "key-no-colon",
        "lower-case-scheme",
        "padded",
        "unicode",
        "empty-user",
        "not-utf8",
        "not-base64",
        "no-credentials",
        "bearer",
        "empty",
        "missing",
    ],
)
def test_basic_user_is_the_write_key_of_a_basic_header(authorization: str | None, user: str | None) -> None:
    assert basic_user(authorization) == user
