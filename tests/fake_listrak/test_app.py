"""The app as a whole: errors become Listrak's envelope in one place, garbage never gets a 500,
faults hit the emulated routes of the right client, and a refreshing client survives 401s."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from listrak_support import API, CLIENT_ID, CLIENT_SECRET, Api

from fake_listrak.app import create_app
from fake_listrak.backend import ListrakBackend
from harness.fakekit.clock import ManualClock
from harness.fakekit.transport import FakeTransport

METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]


# -- errors in one place ----------------------------------------------------------------------
def test_an_unknown_route_is_listraks_unknown_route(client: FlaskClient) -> None:
    response = client.get(API + "/Nothing/Here")
    assert response.status_code == 404
    assert response.get_json()["error"] == "ERROR_UNKNOWN_ROUTE"
    assert "/email/v1/Nothing/Here" in response.get_json()["message"]


def test_a_wrong_method_names_the_allowed_ones(client: FlaskClient) -> None:
    response = client.patch(API + "/List/1")
    assert response.status_code == 405
    assert response.get_json() == {
        "status": 405,
        "error": "ERROR_UNSUPPORTED_METHOD",
        "message": "The requested resource does not support http method 'PATCH'.",
    }
    assert response.headers["Allow"] == "DELETE, GET, PUT"


def test_a_trailing_slash_reaches_the_same_route(api: Api, seeded: ListrakBackend) -> None:
    assert api.client.get(API + "/List/101/", headers=api.headers()).status_code == 200


def test_an_unexpected_failure_is_a_500_in_the_envelope_without_a_traceback(
    api: Api, backend: ListrakBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: Any) -> None:
        raise RuntimeError("boom at line 12")

    monkeypatch.setattr(backend, "get_lists", boom)
    response = api.get("/List")
    assert response.status_code == 500
    assert response.get_json() == {
        "status": 500,
        "error": "ERROR_UNHANDLED_EXCEPTION",
        "message": "An unexpected error occurred. Our development team has been notified.",
    }
    assert b"Traceback" not in response.data and b"boom" not in response.data


def test_create_app_registers_the_configured_client(clock: ManualClock) -> None:
    app = create_app(config={"CLIENT_ID": "cfg", "CLIENT_SECRET": "s", "CLOCK": clock, "TOKEN_LIFETIME": 60})
    response = app.test_client().post(
        "/OAuth2/Token", data={"grant_type": "client_credentials", "client_id": "cfg", "client_secret": "s"}
    )
    assert response.get_json()["expires_in"] == 60
    assert app.test_client().get("/_fake/state").get_json()["clientId"] == "cfg"


def test_create_app_keeps_a_known_clients_secret(backend: ListrakBackend) -> None:
    create_app(backend, {"CLIENT_ID": CLIENT_ID})
    assert backend.issue_token(CLIENT_ID, CLIENT_SECRET)


# -- garbage to every route -------------------------------------------------------------------
def _rules(app: Flask) -> list[str]:
    return sorted(rule.rule for rule in app.url_map.iter_rules() if rule.endpoint != "static")


def _fill(rule: str, value: str) -> str:
    out = rule
    for name in ("<list_id>", "<group_id>", "<field_id>", "<path:identifier>", "<client_id>"):
        out = out.replace(name, value)
    return out


NASTY_SEGMENTS = [
    "0",
    "-1",
    "2147483648",
    "99999999999999999999999",
    "1e3",
    " 1",
    "%00",
    "%ZZ",
    "%C3%28",
    "%F0%9F%92%A9",
    "a" * 5000,
    "..",
    "%2F..%2F",
    "null",
    "[]",
]
NASTY_QUERIES = [
    {"count": "0"},
    {"count": "-5"},
    {"count": "1" * 40},
    {"count": "١٢"},
    {"cursor": "A" * 5000},
    {"cursor": "%%%"},
    {"segmentationFieldIds": "," * 500},
    {"segmentationFieldIds": "1,2147483648"},
    {"startDate": "2024-13-45"},
    {"endDate": "0001-01-01T00:00:00+14:00"},
    {"startDate": "9999-12-31T23:59:59.9999999"},
    {"subscriptionState": "Both"},
    {"useOriginalSubscribeDate": "maybe"},
    {"overrideUnsubscribe": "1"},
    {"afterSeq": "x"},
    {"listId": "x"},
    {"clientId": "nobody"},
]
NASTY_BODIES: list[tuple[bytes, str | None]] = [
    (b"", "application/json"),
    (b"null", "application/json"),
    (b"[]", "application/json"),
    (b'"text"', "application/json"),
    (b"[" * 5000 + b"]" * 5000, "application/json"),
    (b'{"a":' * 100 + b"1" + b"}" * 100, "application/json"),
    (b"\xff\xfe\x00garbage", "application/json"),
    (b'{"emailAddress": 5, "segmentationFieldValues": {"x": 1}}', "application/json"),
    (b'{"emailAddress": "a@b.io", "segmentationFieldValues": [{"segmentationFieldId": "x"}]}', "application/json"),
    (b'{"listName": {"nested": true}, "bounceHandling": [], "bounceUnsubscribeCount": 1e400}', "application/json"),
    (b'{"lists": [{"generate": {"count": 100000000}}]}', "application/json"),
    (b'{"faults": [{"action": "explode"}]}', "application/json"),
    (b'{"now": "not a time", "seconds": "NaN"}', "application/json"),
    (b"NaN", "application/json"),
    (b"a=b&c", "application/x-www-form-urlencoded"),
    (b"--x\r\n", "multipart/form-data"),
    (b"--x\r\ngarbage", "multipart/form-data; boundary=x"),
    (b"{}", "application/json; charset=latin-1"),
    (b"{}", "text/plain"),
    (b"{}", None),
]


def _assert_answered(response: Any, rule: str, method: str) -> None:
    assert response.status_code < 500, (method, rule, response.status_code, response.data[:300])
    if method == "HEAD" or (method == "OPTIONS" and response.status_code < 400):
        return  # no body: HEAD by definition, OPTIONS answers with the Allow header
    body = json.loads(response.data)
    if response.status_code >= 400:
        assert "error" in body, (method, rule, body)


@pytest.fixture
def garbage_client(seeded: ListrakBackend, app: Flask) -> tuple[FlaskClient, dict[str, str]]:
    token = seeded.issue_token(CLIENT_ID, CLIENT_SECRET).value
    return app.test_client(), {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("method", METHODS)
def test_nasty_path_values_never_get_a_500(
    app: Flask, garbage_client: tuple[FlaskClient, dict[str, str]], method: str
) -> None:
    client, auth = garbage_client
    for rule in _rules(app):
        for segment in NASTY_SEGMENTS:
            response = client.open(_fill(rule, segment), method=method, headers=auth)
            _assert_answered(response, rule, method)


@pytest.mark.parametrize("method", ["GET", "POST", "PUT"])
def test_nasty_queries_and_bodies_never_get_a_500(
    app: Flask, garbage_client: tuple[FlaskClient, dict[str, str]], method: str
) -> None:
    client, auth = garbage_client
    for rule in _rules(app):
        path = _fill(rule, "101")
        for query in NASTY_QUERIES:
            _assert_answered(client.open(path, method=method, headers=auth, query_string=query), rule, method)
        if method == "GET":
            continue
        for body, content_type in NASTY_BODIES:
            headers = dict(auth, **({"Content-Type": content_type} if content_type else {}))
            _assert_answered(client.open(path, method=method, headers=headers, data=body), rule, method)


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
_field_names = st.sampled_from(
    ["emailAddress", "subscriptionState", "externalContactID", "segmentationFieldValues", "listName",
     "bounceHandling", "bounceUnsubscribeCount", "segmentationFieldGroupName", "position", "dataType",
     "maxLength", "segmentationFieldName", "segmentationFieldId", "value", "lists", "faults", "now", "seconds"]
)  # fmt: skip


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rule_index=st.integers(0, 1000),
    method=st.sampled_from(METHODS),
    segment=st.text(max_size=30),
    query=st.dictionaries(st.text(max_size=25), st.text(max_size=25), max_size=4),
    body=st.one_of(
        st.binary(max_size=120).map(lambda b: (b, "application/json")),
        st.dictionaries(_field_names, _json_values, max_size=5).map(
            lambda d: (json.dumps(d).encode(), "application/json")
        ),
        st.lists(st.dictionaries(_field_names, _json_values, max_size=3), max_size=3).map(
            lambda d: (json.dumps(d).encode(), "application/json")
        ),
        st.tuples(st.binary(max_size=60), st.text(max_size=30)),
    ),
    authorised=st.booleans(),
)
def test_generated_garbage_to_every_route_never_gets_a_500(
    app: Flask,
    garbage_client: tuple[FlaskClient, dict[str, str]],
    rule_index: int,
    method: str,
    segment: str,
    query: dict[str, str],
    body: tuple[bytes, str],
    authorised: bool,
) -> None:
    client, auth = garbage_client
    rules = _rules(app)
    rule = rules[rule_index % len(rules)]
    path = _fill(rule, quote(segment, safe="") or "x")
    data, content_type = body
    headers = dict(auth if authorised else {})
    if all(32 <= ord(ch) <= 126 for ch in content_type):
        headers["Content-Type"] = content_type
    response = client.open(path, method=method, headers=headers, query_string=query, data=data)
    _assert_answered(response, rule, method)


# -- faults -----------------------------------------------------------------------------------
def test_a_status_fault_answers_with_its_headers_for_the_next_n_requests(
    api: Api, backend: ListrakBackend, check_swagger: Any
) -> None:
    backend.faults.add(
        backend.faults.parse({"action": "status", "status": 503, "headers": {"Retry-After": 7}, "times": 2})
    )
    first, second, third = (api.get("/List") for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (503, 503, 200)
    assert first.headers["Retry-After"] == "7"
    assert check_swagger("GET", "/List", first) == {
        "status": 503,
        "error": "ERROR_SERVICE_UNAVAILABLE",
        "message": "The service is temporarily unavailable.",
    }


def test_a_status_fault_may_bring_its_own_body(api: Api, backend: ListrakBackend) -> None:
    backend.faults.add(
        backend.faults.parse({"action": "status", "status": 429, "body": {"message": "slow down"}, "times": 1})
    )
    response = api.get("/List")
    assert (response.status_code, response.get_json()) == (429, {"message": "slow down"})


def test_a_fault_aimed_at_one_client_spares_the_others(backend: ListrakBackend, client: FlaskClient) -> None:
    backend.register_client("client-b", "secret-b")
    backend.faults.add(backend.faults.parse({"action": "status", "status": 500, "partition": "client-b"}))
    token_a = backend.issue_token(CLIENT_ID, CLIENT_SECRET).value
    token_b = backend.issue_token("client-b", "secret-b").value
    assert client.get(API + "/List", headers={"Authorization": f"Bearer {token_a}"}).status_code == 200
    assert client.get(API + "/List", headers={"Authorization": f"Bearer {token_b}"}).status_code == 500
    assert [f.partition for f in backend.faults.fired()] == ["client-b"]


def test_a_fault_on_the_token_endpoint_is_aimed_by_client_id(backend: ListrakBackend, client: FlaskClient) -> None:
    backend.faults.add(
        backend.faults.parse({"action": "status", "status": 503, "path": "/OAuth2/Token", "partition": CLIENT_ID})
    )
    form = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    assert client.post("/OAuth2/Token", data=form).status_code == 503


def test_a_fault_after_the_view_keeps_the_change_but_loses_the_answer(api: Api, seeded: ListrakBackend) -> None:
    seeded.faults.add(
        seeded.faults.parse({"action": "status", "status": 500, "method": "POST", "after": True, "times": 1})
    )
    response = api.post("/List/101/Contact", {"emailAddress": "late@example.com"})
    assert response.status_code == 500
    assert seeded.contact(CLIENT_ID, 101, "late@example.com") is not None


def test_the_admin_api_is_never_faulted(backend: ListrakBackend, client: FlaskClient) -> None:
    backend.faults.add(backend.faults.parse({"action": "status", "status": 500}))
    assert client.get("/_fake/health").status_code == 200


def test_a_latency_fault_delays_the_answer(api: Api, backend: ListrakBackend) -> None:
    backend.faults.add(backend.faults.parse({"action": "latency", "latency_s": 0.05, "times": 1}))
    started = time.perf_counter()
    assert api.get("/List").status_code == 200
    assert time.perf_counter() - started >= 0.05


def test_a_drop_fault_closes_the_connection_unanswered(app: Flask, backend: ListrakBackend) -> None:
    backend.faults.add(backend.faults.parse({"action": "drop", "times": 1}))
    token = backend.issue_token(CLIENT_ID, CLIENT_SECRET).value
    with httpx.Client(transport=FakeTransport(app), base_url="http://listrak.fake" + API) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            http.get("/List", headers={"Authorization": f"Bearer {token}"})
        assert http.get("/List", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_a_hang_fault_times_the_client_out(app: Flask, backend: ListrakBackend) -> None:
    backend.faults.add(backend.faults.parse({"action": "hang", "hang_s": 30, "times": 1}))
    token = backend.issue_token(CLIENT_ID, CLIENT_SECRET).value
    http = httpx.Client(transport=FakeTransport(app), base_url="http://listrak.fake" + API, timeout=0.05)
    with http, pytest.raises(httpx.ReadTimeout):
        http.get("/List", headers={"Authorization": f"Bearer {token}"})


def test_a_revocation_fault_revokes_the_clients_tokens_before_the_request(api: Api, backend: ListrakBackend) -> None:
    backend.faults.add(backend.faults.parse({"action": "revoke_tokens", "path": "/email/v1/.*", "times": 1}))
    assert api.get("/List").status_code == 401
    assert api.get("/List").status_code == 401  # the token stays revoked
    api.token = backend.issue_token(CLIENT_ID, CLIENT_SECRET).value
    assert api.get("/List").status_code == 200


def test_a_revocation_fault_after_the_view_lets_that_request_through(api: Api, backend: ListrakBackend) -> None:
    backend.faults.add(backend.faults.parse({"action": "revoke_tokens", "after": True, "times": 1}))
    assert api.get("/List").status_code == 200
    assert api.get("/List").status_code == 401


def test_probability_faults_are_reproducible_from_the_seed(clock: ManualClock) -> None:
    def pattern() -> list[int]:
        backend = ListrakBackend(clock, fault_seed=42)
        backend.register_client(CLIENT_ID, CLIENT_SECRET)
        backend.faults.add(backend.faults.parse({"id": "p", "action": "status", "status": 503, "probability": 0.5}))
        client = create_app(backend).test_client()
        token = backend.issue_token(CLIENT_ID, CLIENT_SECRET).value
        return [client.get(API + "/List", headers={"Authorization": f"Bearer {token}"}).status_code for _ in range(20)]

    first = pattern()
    assert first == pattern()
    assert {200, 503} == set(first)


# -- a client that refreshes its token once on a 401 ------------------------------------------
class RefreshingClient:
    """What real Listrak clients do: fetch a token, and on a 401 fetch a new one and retry once."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http
        self.token: str | None = None
        self.refreshes = 0

    def _fetch_token(self) -> None:
        form = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
        self.token = self.http.post("/OAuth2/Token", data=form).json()["access_token"]
        self.refreshes += 1

    def get(self, path: str) -> httpx.Response:
        if self.token is None:
            self._fetch_token()
        response = self.http.get(API + path, headers={"Authorization": f"Bearer {self.token}"})
        if response.status_code == 401:
            self._fetch_token()
            response = self.http.get(API + path, headers={"Authorization": f"Bearer {self.token}"})
        return response


@pytest.fixture
def refreshing(app: Flask) -> RefreshingClient:
    return RefreshingClient(httpx.Client(transport=FakeTransport(app), base_url="http://listrak.fake"))


def test_a_refreshing_client_survives_token_expiry(
    refreshing: RefreshingClient, seeded: ListrakBackend, clock: ManualClock
) -> None:
    assert refreshing.get("/List").status_code == 200
    clock.advance(3600)
    assert refreshing.get("/List/101/Contact").status_code == 200
    assert refreshing.refreshes == 2


def test_a_refreshing_client_survives_revocation(refreshing: RefreshingClient, seeded: ListrakBackend) -> None:
    assert refreshing.get("/List").status_code == 200
    seeded.faults.add(seeded.faults.parse({"action": "revoke_tokens", "path": "/email/v1/List", "times": 1}))
    assert refreshing.get("/List").status_code == 200
    assert refreshing.refreshes == 2


def test_a_refreshing_client_gives_up_after_one_refresh(refreshing: RefreshingClient, seeded: ListrakBackend) -> None:
    seeded.faults.add(seeded.faults.parse({"action": "revoke_tokens", "path": "/email/v1/List", "times": 2}))
    assert refreshing.get("/List").status_code == 401
    assert refreshing.refreshes == 2
