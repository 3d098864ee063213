"""The fake's admin API under /_fake/, and the OpenAPI document that describes it."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import jsonschema
import pytest
from flask import Flask
from flask.testing import FlaskClient
from listrak_support import CLIENT_ID, CLIENT_SECRET, Api
from werkzeug.test import TestResponse

from fake_listrak.app import create_app
from fake_listrak.backend import ListrakBackend
from harness.fakekit.clock import OffsetClock, SystemClock


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(resources.files("fake_listrak").joinpath("openapi.json").read_text())
    return document


def _validate(openapi: dict[str, Any], path: str, method: str, response: TestResponse) -> Any:
    """Check an admin answer against the schema the OpenAPI document gives for it; return its JSON."""
    entry = openapi["paths"][path][method.lower()]["responses"][str(response.status_code)]
    schema = entry["content"]["application/json"]["schema"]
    root = {"$schema": "https://json-schema.org/draft/2020-12/schema", "components": openapi["components"], **schema}
    body = response.get_json()
    jsonschema.Draft202012Validator(root).validate(body)
    return body


# -- the document -----------------------------------------------------------------------------
def _app_operations(app: Flask) -> set[tuple[str, str]]:
    out = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = rule.rule
        for raw, name in {
            "<list_id>": "{listId}",
            "<group_id>": "{segmentationFieldGroupId}",
            "<field_id>": "{segmentationFieldId}",
            "<path:identifier>": "{contactIdentifier}",
            "<client_id>": "{clientId}",
        }.items():
            path = path.replace(raw, name)
        out |= {(path, m.lower()) for m in (rule.methods or set()) - {"HEAD", "OPTIONS"}}
    return out


def test_the_openapi_document_describes_exactly_the_apps_routes(app: Flask, openapi: dict[str, Any]) -> None:
    documented = {(path, method) for path, ops in openapi["paths"].items() for method in ops}
    assert documented == _app_operations(app)


def test_the_openapi_document_is_served_as_data(client: FlaskClient, openapi: dict[str, Any]) -> None:
    response = client.get("/_fake/openapi.json")
    assert response.status_code == 200
    assert response.get_json() == openapi
    assert openapi["openapi"].startswith("3.")


def test_every_documented_schema_is_a_valid_json_schema(openapi: dict[str, Any]) -> None:
    for schema in openapi["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(schema)


# -- clients and reset ------------------------------------------------------------------------
def test_health_says_what_the_fake_holds(client: FlaskClient, seeded: ListrakBackend, openapi: dict[str, Any]) -> None:
    body = _validate(openapi, "/_fake/health", "get", client.get("/_fake/health"))
    assert body == {"status": "ok", "clients": 1, "lists": 1, "contacts": 3}


def test_clients_can_be_registered_listed_and_removed(client: FlaskClient, openapi: dict[str, Any]) -> None:
    made = _validate(openapi, "/_fake/clients", "post", client.post("/_fake/clients", json={}))
    named = client.post("/_fake/clients", json={"clientId": "named", "clientSecret": "s3"}).get_json()
    listed = _validate(openapi, "/_fake/clients", "get", client.get("/_fake/clients"))["clients"]
    assert named == {"clientId": "named", "clientSecret": "s3"}
    assert {c["clientId"] for c in listed} == {CLIENT_ID, made["clientId"], "named"}
    assert client.delete("/_fake/clients/named").status_code == 200
    gone = client.delete("/_fake/clients/named")
    assert gone.status_code == 404
    assert gone.get_json()["error"] == "ERROR_UNKNOWN_CLIENT"


def test_a_registered_client_gets_tokens(client: FlaskClient) -> None:
    creds = client.post("/_fake/clients", json={}).get_json()
    form = {"grant_type": "client_credentials", "client_id": creds["clientId"], "client_secret": creds["clientSecret"]}
    assert client.post("/OAuth2/Token", data=form).status_code == 200


def test_reset_empties_one_client_or_all(client: FlaskClient, seeded: ListrakBackend) -> None:
    seeded.register_client("client-b", "secret-b")
    seeded.seed("client-b", {"lists": [{"listId": 9}]})
    assert client.post("/_fake/reset", json={"clientId": "client-b"}).get_json() == {"reset": "client-b"}
    assert seeded.get_lists("client-b") == [] and len(seeded.get_lists(CLIENT_ID)) == 1
    assert client.post("/_fake/reset").get_json() == {"reset": "all"}
    assert seeded.get_lists(CLIENT_ID) == []


def test_tokens_can_be_revoked(client: FlaskClient, api: Api) -> None:
    assert client.post("/_fake/tokens/revoke", query_string={"clientId": CLIENT_ID}).get_json() == {"revoked": 1}
    assert api.get("/List").status_code == 401


# -- seed and state ---------------------------------------------------------------------------
def test_seeding_over_http_loads_in_bulk(client: FlaskClient, backend: ListrakBackend, openapi: dict[str, Any]) -> None:
    document = {"lists": [{"listId": 3, "generate": {"count": 20000}, "contacts": ["x@example.com"]}]}
    response = client.post("/_fake/seed", json=document)
    body = _validate(openapi, "/_fake/seed", "post", response)
    assert body["lists"] == [{"listId": 3, "created": 20001, "updated": 0}]
    assert backend.counts()["contacts"] == 20001


def test_a_bad_seed_says_where_what_was_expected_and_what_was_seen(
    client: FlaskClient, backend: ListrakBackend
) -> None:
    document = {"lists": [{"listId": 3, "contacts": ["ok@example.com", {"emailAddress": "not-an-address"}]}]}
    response = client.post("/_fake/seed", json=document)
    assert response.status_code == 400
    assert response.get_json() == {
        "status": 400,
        "error": "ERROR_INVALID_SEED",
        "message": "lists[0].contacts[1].emailAddress: expected an email address, got 'not-an-address'",
    }
    assert backend.get_lists(CLIENT_ID) == []  # nothing was loaded


def test_seeding_an_unknown_client_is_refused(client: FlaskClient) -> None:
    response = client.post("/_fake/seed", query_string={"clientId": "ghost"}, json={"lists": []})
    assert (response.status_code, response.get_json()["error"]) == (404, "ERROR_UNKNOWN_CLIENT")


def test_admin_requests_without_a_client_need_a_default(backend: ListrakBackend) -> None:
    client = create_app(backend).test_client()
    response = client.get("/_fake/state")
    assert response.status_code == 400
    assert "clientId" in response.get_json()["message"]
    assert client.get("/_fake/state", query_string={"clientId": CLIENT_ID}).status_code == 200


def test_the_state_dump_shows_lists_fields_and_contacts(
    client: FlaskClient, seeded: ListrakBackend, openapi: dict[str, Any]
) -> None:
    body = _validate(openapi, "/_fake/state", "get", client.get("/_fake/state"))
    (newsletter,) = body["lists"]
    assert newsletter["listId"] == 101
    assert [f["segmentationFieldId"] for f in newsletter["segmentationFieldGroups"][0]["segmentationFields"]] == [5, 6]
    assert [c["emailAddress"] for c in newsletter["contacts"]] == ["a@example.com", "b@example.com", "c@example.com"]
    assert newsletter["contacts"][0]["segmentationFieldValues"] == [
        {"segmentationFieldGroupId": 7, "segmentationFieldId": 5, "value": "u-a"}
    ]


def test_history_over_http(client: FlaskClient, seeded: ListrakBackend, api: Api, openapi: dict[str, Any]) -> None:
    mark = seeded.history()[-1].seq
    api.post("/List/101/Contact", {"emailAddress": "b@example.com", "subscriptionState": "Unsubscribed"})
    response = client.get("/_fake/history", query_string={"clientId": CLIENT_ID, "afterSeq": mark})
    changes = _validate(openapi, "/_fake/history", "get", response)["changes"]
    assert [(c["actor"], c["action"], c["emailAddress"]) for c in changes] == [
        ("api", "contact.unsubscribe", "b@example.com")
    ]


# -- clock and settings -----------------------------------------------------------------------
def test_the_clock_can_be_read_set_and_advanced(client: FlaskClient, openapi: dict[str, Any]) -> None:
    assert _validate(openapi, "/_fake/clock", "get", client.get("/_fake/clock"))["listrak"] == "2024-05-01T12:00:00"
    set_ = client.put("/_fake/clock", json={"now": "2025-02-03T04:05:06Z"})
    assert _validate(openapi, "/_fake/clock", "put", set_)["listrak"] == "2025-02-03T04:05:06"
    moved = client.post("/_fake/clock/advance", json={"seconds": 0.5})
    assert _validate(openapi, "/_fake/clock/advance", "post", moved)["listrak"] == "2025-02-03T04:05:06.5"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("put", "/_fake/clock", {"now": "soon"}), ("post", "/_fake/clock/advance", {"seconds": -1})],
)
def test_bad_clock_requests_say_what_was_expected(client: FlaskClient, method: str, path: str, body: Any) -> None:
    response = client.open(path, method=method.upper(), json=body)
    assert response.status_code == 400
    assert "got" in response.get_json()["message"]


def test_the_system_clock_cannot_be_set_over_http() -> None:
    client = create_app(ListrakBackend(SystemClock())).test_client()
    response = client.post("/_fake/clock/advance", json={"seconds": 1})
    assert (response.status_code, response.get_json()["error"]) == (409, "ERROR_CLOCK_NOT_SETTABLE")
    assert client.get("/_fake/clock").get_json()["settable"] is False


def test_the_wall_clock_moved_by_an_offset_can_be_set_over_http() -> None:
    # What `listrak-harness serve` runs on: real time passing, yet movable from the admin API.
    client = create_app(ListrakBackend(OffsetClock())).test_client()
    assert client.get("/_fake/clock").get_json()["settable"] is True
    moved = client.put("/_fake/clock", json={"now": "2030-01-01T00:00:00Z"}).get_json()
    assert moved["listrak"].startswith("2030-01-01T00:00:0")
    later = client.post("/_fake/clock/advance", json={"seconds": 86400}).get_json()
    assert later["listrak"].startswith("2030-01-02T00:00:0")


def test_settings_per_client_and_default(client: FlaskClient, openapi: dict[str, Any]) -> None:
    mine = client.put("/_fake/settings", query_string={"clientId": CLIENT_ID}, json={"pageSizeCap": 2})
    assert _validate(openapi, "/_fake/settings", "put", mine) == {"tokenLifetime": 3599, "pageSizeCap": 2}
    default = client.get("/_fake/settings")
    assert _validate(openapi, "/_fake/settings", "get", default) == {"tokenLifetime": 3599, "pageSizeCap": None}
    refused = client.put("/_fake/settings", json={"pageSize": 2})
    assert refused.status_code == 400 and "pageSize" in refused.get_json()["message"]


# -- faults -----------------------------------------------------------------------------------
def test_faults_can_be_armed_listed_replaced_and_cleared(
    client: FlaskClient, api: Api, openapi: dict[str, Any]
) -> None:
    spec = {"id": "f1", "action": "status", "status": 503, "times": 1, "partition": CLIENT_ID}
    _validate(openapi, "/_fake/faults", "post", client.post("/_fake/faults", json=spec))
    assert [f["id"] for f in client.get("/_fake/faults").get_json()["faults"]] == ["f1"]
    assert api.get("/List").status_code == 503
    fired = client.get("/_fake/faults/fired", query_string={"clientId": CLIENT_ID}).get_json()["fired"]
    assert [(f["fault_id"], f["partition"]) for f in fired] == [("f1", CLIENT_ID)]
    replaced = client.put(
        "/_fake/faults", query_string={"clientId": CLIENT_ID}, json={"faults": [{"action": "revoke_tokens"}]}
    )
    assert [f["partition"] for f in _validate(openapi, "/_fake/faults", "put", replaced)["faults"]] == [CLIENT_ID]
    assert client.delete("/_fake/faults").get_json() == {"faults": []}
    assert api.get("/List").status_code == 200


@pytest.mark.parametrize(
    "spec",
    [{"action": "explode"}, {"action": "status"}, {"action": "revoke_tokens", "status": 500}, ["not", "an", "object"]],
)
def test_a_bad_fault_is_refused_with_why(client: FlaskClient, spec: Any) -> None:
    response = client.post("/_fake/faults", json=spec)
    assert response.status_code == 400
    assert response.get_json()["error"] == "ERROR_INVALID_FAULT"


def test_admin_bodies_must_be_json(client: FlaskClient) -> None:
    response = client.post("/_fake/seed", data=b"{oops", content_type="application/json")
    assert (response.status_code, response.get_json()["error"]) == (400, "ERROR_INVALID_ADMIN_REQUEST")


def test_secrets_are_not_needed_to_read_the_admin_api(client: FlaskClient) -> None:
    assert client.get("/_fake/clients").get_json()["clients"] == [
        {"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET}
    ]


# -- banned and suppressed addresses ----------------------------------------------------------
def test_suppressions_can_be_added_listed_and_lifted(
    client: FlaskClient, backend: ListrakBackend, api: Api, openapi: dict[str, Any]
) -> None:
    path = "/_fake/suppressions"
    empty = _validate(openapi, path, "get", client.get(path))
    assert empty == {"banned": [], "suppressed": []}
    added = client.post(path, json={"banned": ["Spam@x.io"], "suppressed": ["gone@x.io", "bounced@x.io"]})
    assert _validate(openapi, path, "post", added) == {
        "banned": ["Spam@x.io"],
        "suppressed": ["gone@x.io", "bounced@x.io"],
    }
    backend.seed(CLIENT_ID, {"lists": [{"listId": 1}]})
    refused = api.post("/List/1/Contact", {"emailAddress": "spam@X.IO"})
    assert (refused.status_code, refused.get_json()["error"]) == (400, "ERROR_BANNED_EMAIL_ADDRESS")
    lifted = client.delete(path, json={"suppressed": ["GONE@x.io"]})
    assert _validate(openapi, path, "delete", lifted) == {"banned": ["Spam@x.io"], "suppressed": ["bounced@x.io"]}
    assert _validate(openapi, path, "delete", client.delete(path)) == {"banned": [], "suppressed": []}
    assert api.post("/List/1/Contact", {"emailAddress": "spam@x.io"}).status_code == 201


def test_suppressions_belong_to_the_client_named(client: FlaskClient, backend: ListrakBackend) -> None:
    backend.register_client("client-b", "secret-b")
    client.post("/_fake/suppressions", query_string={"clientId": "client-b"}, json={"banned": ["b@x.io"]})
    client.post("/_fake/suppressions", json={"clientId": CLIENT_ID, "suppressed": ["a@x.io"]})
    mine = client.get("/_fake/suppressions").get_json()
    theirs = client.get("/_fake/suppressions", query_string={"clientId": "client-b"}).get_json()
    assert (mine, theirs) == ({"banned": [], "suppressed": ["a@x.io"]}, {"banned": ["b@x.io"], "suppressed": []})
    ghost = client.get("/_fake/suppressions", query_string={"clientId": "ghost"})
    assert (ghost.status_code, ghost.get_json()["error"]) == (404, "ERROR_UNKNOWN_CLIENT")


@pytest.mark.parametrize(
    ("method", "body", "complaint"),
    [
        ("POST", None, "expected a JSON body, got an empty body"),
        ("POST", b"{nope", "does not parse as JSON"),
        ("POST", ["a@x.io"], "expected a JSON object in the body, got list"),
        ("POST", {}, "got neither key"),
        ("POST", {"blocked": ["a@x.io"]}, "unknown key(s) ['blocked']"),
        ("POST", {"banned": "a@x.io"}, "banned: expected a JSON array of email addresses, got 'a@x.io'"),
        ("POST", {"banned": None}, "banned: expected a JSON array of email addresses, got None"),
        ("POST", {"suppressed": ["a@x.io", 7]}, "suppressed[1]: expected an email address, got 7"),
        ("POST", {"banned": ["a@x.io"], "clientId": 5}, "clientId must be a string, got 5"),
        ("DELETE", {"banned": [{}]}, "banned[0]: expected an email address, got {}"),
        ("DELETE", {"everything": True}, "unknown key(s) ['everything']"),
    ],
    ids=[
        "empty",
        "not JSON",
        "not an object",
        "neither key",
        "unknown key",
        "not an array",
        "null",
        "not an address",
        "client id not a string",
        "delete, not an address",
        "delete, unknown key",
    ],
)
def test_bad_suppression_requests_get_the_documented_400(
    client: FlaskClient, openapi: dict[str, Any], method: str, body: Any, complaint: str
) -> None:
    if isinstance(body, bytes):
        response = client.open("/_fake/suppressions", method=method, data=body, content_type="application/json")
    elif body is None:
        response = client.open("/_fake/suppressions", method=method)
    else:
        response = client.open("/_fake/suppressions", method=method, json=body)
    error = _validate(openapi, "/_fake/suppressions", method, response)
    assert (response.status_code, error["error"]) == (400, "ERROR_INVALID_ADMIN_REQUEST")
    assert complaint in error["message"]
    assert client.get("/_fake/suppressions").get_json() == {"banned": [], "suppressed": []}


# -- double opt-in confirmation ---------------------------------------------------------------
def test_confirming_a_pending_contact_subscribes_it(
    client: FlaskClient, seeded: ListrakBackend, api: Api, openapi: dict[str, Any]
) -> None:
    api.post("/List/101/Contact", {"emailAddress": "p@example.com"}, sendDoubleOptIn="true")
    assert "p@example.com" not in [c["emailAddress"] for c in api.contacts(101)]
    response = client.post("/_fake/contacts/confirm", json={"listId": 101, "emailAddress": "P@example.com"})
    contact = _validate(openapi, "/_fake/contacts/confirm", "post", response)
    assert (contact["emailAddress"], contact["subscriptionState"], contact["subscribeMethod"]) == (
        "p@example.com",
        "Subscribed",
        "DoubleOptIn",
    )
    assert contact["subscribeDate"] == "2024-05-01T12:00:00"
    assert [c["emailAddress"] for c in api.contacts(101)][-1] == "p@example.com"
    again = client.post("/_fake/contacts/confirm", json={"listId": 101, "emailAddress": "p@example.com"})
    assert (again.status_code, _validate(openapi, "/_fake/contacts/confirm", "post", again)["error"]) == (
        409,
        "ERROR_CONTACT_NOT_PENDING",
    )


@pytest.mark.parametrize(
    ("body", "status", "error", "complaint"),
    [
        (["p@example.com"], 400, "ERROR_INVALID_ADMIN_REQUEST", "expected a JSON object"),
        ({"emailAddress": "p@example.com"}, 400, "ERROR_INVALID_ADMIN_REQUEST", "listId: expected the id"),
        ({"listId": "101", "emailAddress": "p@example.com"}, 400, "ERROR_INVALID_ADMIN_REQUEST", "got '101'"),
        ({"listId": True, "emailAddress": "p@example.com"}, 400, "ERROR_INVALID_ADMIN_REQUEST", "got True"),
        ({"listId": 101}, 400, "ERROR_INVALID_ADMIN_REQUEST", "emailAddress: expected the address"),
        ({"listId": 101, "emailAddress": 3}, 400, "ERROR_INVALID_ADMIN_REQUEST", "got 3"),
        ({"listId": 101, "emailAddress": "p@example.com", "now": 1}, 400, "ERROR_INVALID_ADMIN_REQUEST", "['now']"),
        ({"listId": 9, "emailAddress": "p@example.com"}, 404, "ERROR_UNABLE_TO_LOCATE_RESOURCE", "listId"),
        ({"listId": 101, "emailAddress": "x@example.com"}, 404, "ERROR_UNABLE_TO_LOCATE_RESOURCE", "contactIdentifier"),
        ({"listId": 101, "emailAddress": "c@example.com"}, 409, "ERROR_CONTACT_NOT_PENDING", "is Unsubscribed"),
        ({"listId": 101, "emailAddress": "p@example.com", "clientId": "ghost"}, 404, "ERROR_UNKNOWN_CLIENT", "ghost"),
    ],
    ids=[
        "not an object",
        "no listId",
        "listId a string",
        "listId a boolean",
        "no address",
        "address not a string",
        "unknown key",
        "unknown list",
        "unknown contact",
        "not pending",
        "unknown client",
    ],
)
def test_bad_confirmations_get_the_documented_errors(
    client: FlaskClient,
    seeded: ListrakBackend,
    openapi: dict[str, Any],
    body: Any,
    status: int,
    error: str,
    complaint: str,
) -> None:
    seeded.subscribe(CLIENT_ID, 101, "p@example.com", double_opt_in=True)
    response = client.post("/_fake/contacts/confirm", json=body)
    found = _validate(openapi, "/_fake/contacts/confirm", "post", response)
    assert (response.status_code, found["error"]) == (status, error)
    assert complaint in found["message"]
    assert seeded.contact(CLIENT_ID, 101, "p@example.com").pending  # type: ignore[union-attr]


def test_a_confirmation_of_an_address_banned_since_is_refused(
    client: FlaskClient, seeded: ListrakBackend, openapi: dict[str, Any]
) -> None:
    seeded.subscribe(CLIENT_ID, 101, "p@example.com", double_opt_in=True)
    client.post("/_fake/suppressions", json={"banned": ["p@example.com"]})
    response = client.post("/_fake/contacts/confirm", json={"listId": 101, "emailAddress": "p@example.com"})
    assert _validate(openapi, "/_fake/contacts/confirm", "post", response) == {
        "status": 400,
        "error": "ERROR_BANNED_EMAIL_ADDRESS",
        "message": "The emailAddress has been banned and cannot be subscribed.",
    }


# -- the new state in seed, state, history and reset ------------------------------------------
def test_seed_and_state_round_trip_pending_contacts_and_suppressions(
    client: FlaskClient, seeded: ListrakBackend, openapi: dict[str, Any]
) -> None:
    seeded.subscribe(CLIENT_ID, 101, "p@example.com", double_opt_in=True)
    client.post("/_fake/suppressions", json={"banned": ["Spam@x.io"], "suppressed": ["s@x.io"]})
    state = _validate(openapi, "/_fake/state", "get", client.get("/_fake/state"))
    assert (state["banned"], state["suppressed"]) == (["Spam@x.io"], ["s@x.io"])
    assert state["lists"][0]["contacts"][-1]["subscriptionState"] == "Pending"
    client.post("/_fake/clients", json={"clientId": "copy", "clientSecret": "copy"})
    loaded = client.post("/_fake/seed", query_string={"clientId": "copy"}, json=state)
    assert _validate(openapi, "/_fake/seed", "post", loaded)["contacts"] == 4
    copied = client.get("/_fake/state", query_string={"clientId": "copy"}).get_json()
    assert {k: v for k, v in copied.items() if k != "clientId"} == {k: v for k, v in state.items() if k != "clientId"}


def test_a_seed_document_is_checked_against_the_openapi_schema_with_the_new_keys(openapi: dict[str, Any]) -> None:
    schema = {"components": openapi["components"], **openapi["components"]["schemas"]["SeedDocument"]}
    document = {
        "lists": [{"contacts": [{"emailAddress": "p@x.io", "subscriptionState": "Pending", "subscribeDate": None}]}],
        "banned": ["a@x.io"],
        "suppressed": ["b@x.io"],
    }
    jsonschema.Draft202012Validator(schema).validate(document)


def test_history_over_http_shows_pending_confirmations_and_suppressions(
    client: FlaskClient, seeded: ListrakBackend, api: Api, openapi: dict[str, Any]
) -> None:
    mark = seeded.history()[-1].seq
    api.post("/List/101/Contact", {"emailAddress": "p@example.com"}, sendDoubleOptIn="true")
    client.post("/_fake/contacts/confirm", json={"listId": 101, "emailAddress": "p@example.com"})
    client.post("/_fake/suppressions", json={"banned": ["x@example.com"]})
    client.delete("/_fake/suppressions")
    response = client.get("/_fake/history", query_string={"clientId": CLIENT_ID, "afterSeq": mark})
    changes = _validate(openapi, "/_fake/history", "get", response)["changes"]
    assert [(c["actor"], c["action"], c["emailAddress"], c["detail"]) for c in changes] == [
        ("api", "contact.pending", "p@example.com", {}),
        ("admin", "contact.confirm", "p@example.com", {}),
        ("admin", "suppression.add", None, {"banned": ["x@example.com"]}),
        ("admin", "suppression.lift", None, {"banned": ["x@example.com"]}),
    ]


@pytest.mark.parametrize("scope", [{"clientId": CLIENT_ID}, {}], ids=["one client", "everything"])
def test_reset_clears_pending_contacts_and_suppressions(
    client: FlaskClient, seeded: ListrakBackend, scope: dict[str, str]
) -> None:
    seeded.subscribe(CLIENT_ID, 101, "p@example.com", double_opt_in=True)
    client.post("/_fake/suppressions", json={"banned": ["a@x.io"], "suppressed": ["b@x.io"]})
    assert client.post("/_fake/reset", json=scope).status_code == 200
    state = client.get("/_fake/state").get_json()
    assert (state["lists"], state["banned"], state["suppressed"]) == ([], [], [])
