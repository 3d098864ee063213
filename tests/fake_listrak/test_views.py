"""The emulated API, held to Listrak's swagger and to the behaviours observed in listrak-api-notes.md."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from listrak_support import API, CLIENT_ID, CLIENT_SECRET, LISTRAK_DATE, Api
from werkzeug.test import TestResponse

from fake_listrak.backend import ListrakBackend
from harness.fakekit.clock import ManualClock

NEW_LIST = {"listName": "Offers", "bounceHandling": "Standard", "bounceUnsubscribeCount": 3}
NEW_GROUP = {"segmentationFieldGroupName": "More", "position": 2}
NEW_FIELD = {"segmentationFieldName": "Plan", "dataType": "Text", "maxLength": 20, "position": 3}
CONTACTS = "/List/{listId}/Contact"


@dataclass(frozen=True)
class Case:
    """One request to the emulated API and the status (and error code) Listrak answers it with."""

    id: str
    method: str
    template: str
    path: str
    status: int
    error: str | None = None
    body: Any = None
    params: dict[str, Any] = field(default_factory=dict)
    raw: bytes | None = None
    content_type: str | None = "application/json"
    auth: bool = True


def _cases() -> list[Case]:
    lst, grp, fld = "/List/{listId}", "/List/{listId}/SegmentationFieldGroup", ""
    grp1 = grp + "/{segmentationFieldGroupId}"
    flds = grp1 + "/SegmentationField"
    fld = flds + "/{segmentationFieldId}"
    ident = CONTACTS + "/{contactIdentifier}"
    bulk = CONTACTS + "/SegmentationField"
    bad_param = "ERROR_INVALID_PARAMETER"
    missing = "ERROR_UNABLE_TO_LOCATE_RESOURCE"
    return [
        # lists
        Case("lists", "GET", "/List", "/List", 200),
        Case("create list", "POST", "/List", "/List", 201, body=NEW_LIST),
        Case(
            "create list without name",
            "POST",
            "/List",
            "/List",
            400,
            bad_param,
            body={"bounceHandling": "None"},
        ),
        Case(
            "create list, bad bounceHandling",
            "POST",
            "/List",
            "/List",
            400,
            bad_param,
            body={**NEW_LIST, "bounceHandling": "Sometimes"},
        ),
        Case(
            "create list, not JSON",
            "POST",
            "/List",
            "/List",
            400,
            "ERROR_MALFORMED_REQUEST_BODY",
            raw=b"{nope",
        ),
        Case(
            "create list, form body",
            "POST",
            "/List",
            "/List",
            415,
            "ERROR_UNSUPPORTED_CONTENT_TYPE",
            raw=b"listName=x",
            content_type="application/x-www-form-urlencoded",
        ),
        Case(
            "create list, no content type",
            "POST",
            "/List",
            "/List",
            415,
            "ERROR_UNSUPPORTED_CONTENT_TYPE",
            raw=b"{}",
            content_type=None,
        ),
        Case("list", "GET", lst, "/List/101", 200),
        Case("list, bad id", "GET", lst, "/List/abc", 400, bad_param),
        Case("list, unknown", "GET", lst, "/List/999", 404, missing),
        Case("update list", "PUT", lst, "/List/101", 200, body=NEW_LIST),
        Case("update list, unknown", "PUT", lst, "/List/999", 404, missing, body=NEW_LIST),
        Case(
            "update list, bad count",
            "PUT",
            lst,
            "/List/101",
            400,
            bad_param,
            body={**NEW_LIST, "bounceUnsubscribeCount": "many"},
        ),
        Case("delete list", "DELETE", lst, "/List/102", 200),
        Case("delete list, unknown", "DELETE", lst, "/List/999", 404, missing),
        Case("delete list, bad id", "DELETE", lst, "/List/1.5", 400, bad_param),
        # contacts
        Case("contacts", "GET", CONTACTS, "/List/101/Contact", 200),
        Case(
            "contacts with fields",
            "GET",
            CONTACTS,
            "/List/101/Contact",
            200,
            params={"segmentationFieldIds": "5,6", "count": 2},
        ),
        Case(
            "unsubscribed contacts",
            "GET",
            CONTACTS,
            "/List/101/Contact",
            200,
            params={"subscriptionState": "Unsubscribed"},
        ),
        Case(
            "contacts, count over 5000",
            "GET",
            CONTACTS,
            "/List/101/Contact",
            400,
            bad_param,
            params={"count": 5001},
        ),
        Case(
            "contacts, bad cursor",
            "GET",
            CONTACTS,
            "/List/101/Contact",
            400,
            bad_param,
            params={"cursor": "zz"},
        ),
        Case(
            "contacts, bad date",
            "GET",
            CONTACTS,
            "/List/101/Contact",
            400,
            bad_param,
            params={"startDate": "yesterday"},
        ),
        Case(
            "contacts, 31 fields",
            "GET",
            CONTACTS,
            "/List/101/Contact",
            400,
            "ERROR_TOO_MANY_SEGMENTATION_FIELDS",
            params={"segmentationFieldIds": ",".join(str(i) for i in range(31))},
        ),
        Case("contacts, unknown list", "GET", CONTACTS, "/List/999/Contact", 404, missing),
        Case(
            "create contact",
            "POST",
            CONTACTS,
            "/List/101/Contact",
            201,
            body={"emailAddress": "new@example.com"},
        ),
        Case(
            "update contact",
            "POST",
            CONTACTS,
            "/List/101/Contact",
            200,
            body={"emailAddress": "b@example.com", "externalContactID": "ext-b"},
        ),
        Case(
            "resubscribe without override",
            "POST",
            CONTACTS,
            "/List/101/Contact",
            400,
            "ERROR_UNSUBSCRIBED_EMAIL_ADDRESS",
            body={"emailAddress": "c@example.com", "subscriptionState": "Subscribed"},
        ),
        Case(
            "unsubscribe a stranger",
            "POST",
            CONTACTS,
            "/List/101/Contact",
            400,
            "ERROR_NOT_SUBSCRIBED_EMAIL_ADDRESS",
            body={"emailAddress": "x@example.com", "subscriptionState": "Unsubscribed"},
        ),
        Case(
            "create contact with double opt-in",
            "POST",
            CONTACTS,
            "/List/101/Contact",
            201,
            body={"emailAddress": "optin@example.com"},
            params={"sendDoubleOptIn": "true"},
        ),
        Case(
            "subscribe a banned address",
            "POST",
            CONTACTS,
            "/List/101/Contact",
            400,
            "ERROR_BANNED_EMAIL_ADDRESS",
            body={"emailAddress": "banned@example.com"},
        ),
        Case(
            "subscribe a suppressed address",
            "POST",
            CONTACTS,
            "/List/101/Contact",
            400,
            "ERROR_SUPPRESSED_EMAIL",
            body={"emailAddress": "suppressed@example.com", "subscriptionState": "Subscribed"},
        ),
        Case(
            "subscribe a pending contact",
            "POST",
            CONTACTS,
            "/List/101/Contact",
            400,
            "ERROR_PENDING_EMAIL_ADDRESS",
            body={"emailAddress": "pending@example.com", "subscriptionState": "Subscribed"},
        ),
        Case(
            "change to a banned address",
            "POST",
            CONTACTS,
            "/List/101/Contact",
            400,
            "ERROR_BANNED_NEW_EMAIL_ADDRESS",
            body={"emailAddress": "b@example.com"},
            params={"newEmailAddress": "banned@example.com"},
        ),
        Case(
            "change to a suppressed address",
            "POST",
            CONTACTS,
            "/List/101/Contact",
            400,
            "ERROR_SUPPRESSED_NEW_EMAIL",
            body={"emailAddress": "b@example.com"},
            params={"newEmailAddress": "suppressed@example.com"},
        ),
        Case(
            "change to a pending address",
            "POST",
            CONTACTS,
            "/List/101/Contact",
            400,
            "ERROR_PENDING_NEW_EMAIL_ADDRESS",
            body={"emailAddress": "b@example.com"},
            params={"newEmailAddress": "pending@example.com"},
        ),
        Case(
            "unsubscribe with values",
            "POST",
            CONTACTS,
            "/List/101/Contact",
            400,
            "ERROR_UNSUBSCRIBE_WITH_SEGMENTATION_DATA",
            body={
                "emailAddress": "a@example.com",
                "subscriptionState": "Unsubscribed",
                "segmentationFieldValues": [{"segmentationFieldId": 5, "value": "x"}],
            },
        ),
        Case(
            "contact, value too long",
            "POST",
            CONTACTS,
            "/List/101/Contact",
            400,
            bad_param,
            body={
                "emailAddress": "a@example.com",
                "segmentationFieldValues": [{"segmentationFieldId": 5, "value": "x" * 11}],
            },
        ),
        Case(
            "contact, not a number",
            "POST",
            CONTACTS,
            "/List/101/Contact",
            400,
            bad_param,
            body={
                "emailAddress": "a@example.com",
                "segmentationFieldValues": [{"segmentationFieldId": 6, "value": "ten"}],
            },
        ),
        Case(
            "contact, bad address",
            "POST",
            CONTACTS,
            "/List/101/Contact",
            400,
            bad_param,
            body={"emailAddress": "nope"},
        ),
        Case(
            "contact, unknown list",
            "POST",
            CONTACTS,
            "/List/999/Contact",
            404,
            missing,
            body={"emailAddress": "a@x.io"},
        ),
        Case("contact, body is a list", "POST", CONTACTS, "/List/101/Contact", 400, bad_param, body=[1]),
        Case(
            "contact by address",
            "GET",
            ident,
            "/List/101/Contact/a@example.com",
            200,
            params={"segmentationFieldIds": "5"},
        ),
        Case("contact, unknown", "GET", ident, "/List/101/Contact/zz@example.com", 404, missing),
        Case(
            "contact, bad field ids",
            "GET",
            ident,
            "/List/101/Contact/a@example.com",
            400,
            bad_param,
            params={"segmentationFieldIds": "five"},
        ),
        Case(
            "bulk field update",
            "POST",
            bulk,
            "/List/101/Contact/SegmentationField",
            201,
            body=[
                {
                    "emailAddress": "a@example.com",
                    "segmentationFieldValues": [{"segmentationFieldId": 5, "value": "z"}],
                }
            ],
        ),
        Case(
            "bulk field update, not an array",
            "POST",
            bulk,
            "/List/101/Contact/SegmentationField",
            400,
            bad_param,
            body={"emailAddress": "a@example.com"},
        ),
        Case(
            "bulk field update, unknown list",
            "POST",
            bulk,
            "/List/999/Contact/SegmentationField",
            404,
            missing,
            body=[{"emailAddress": "a@example.com", "segmentationFieldValues": []}],
        ),
        # profile field groups
        Case("groups", "GET", grp, "/List/101/SegmentationFieldGroup", 200),
        Case("groups, unknown list", "GET", grp, "/List/999/SegmentationFieldGroup", 404, missing),
        Case("create group", "POST", grp, "/List/101/SegmentationFieldGroup", 201, body=NEW_GROUP),
        Case(
            "create group, no position",
            "POST",
            grp,
            "/List/101/SegmentationFieldGroup",
            400,
            bad_param,
            body={"segmentationFieldGroupName": "x"},
        ),
        Case(
            "create group, unknown list",
            "POST",
            grp,
            "/List/999/SegmentationFieldGroup",
            404,
            missing,
            body=NEW_GROUP,
        ),
        Case("group", "GET", grp1, "/List/101/SegmentationFieldGroup/7", 200),
        Case("group, unknown", "GET", grp1, "/List/101/SegmentationFieldGroup/70", 404, missing),
        Case("update group", "PUT", grp1, "/List/101/SegmentationFieldGroup/7", 200, body=NEW_GROUP),
        Case(
            "update group, bad id",
            "PUT",
            grp1,
            "/List/101/SegmentationFieldGroup/x",
            400,
            bad_param,
            body=NEW_GROUP,
        ),
        Case("delete group", "DELETE", grp1, "/List/101/SegmentationFieldGroup/8", 200),
        Case("delete group, unknown", "DELETE", grp1, "/List/101/SegmentationFieldGroup/70", 404, missing),
        # profile fields
        Case("fields", "GET", flds, "/List/101/SegmentationFieldGroup/7/SegmentationField", 200),
        Case(
            "fields, unknown group",
            "GET",
            flds,
            "/List/101/SegmentationFieldGroup/70/SegmentationField",
            404,
            missing,
        ),
        Case(
            "create field",
            "POST",
            flds,
            "/List/101/SegmentationFieldGroup/7/SegmentationField",
            201,
            body=NEW_FIELD,
        ),
        Case(
            "create field, bad type",
            "POST",
            flds,
            "/List/101/SegmentationFieldGroup/7/SegmentationField",
            400,
            bad_param,
            body={**NEW_FIELD, "dataType": "Blob"},
        ),
        Case(
            "create field, unknown group",
            "POST",
            flds,
            "/List/101/SegmentationFieldGroup/70/SegmentationField",
            404,
            missing,
            body=NEW_FIELD,
        ),
        Case("field", "GET", fld, "/List/101/SegmentationFieldGroup/7/SegmentationField/5", 200),
        Case(
            "field, unknown",
            "GET",
            fld,
            "/List/101/SegmentationFieldGroup/7/SegmentationField/50",
            404,
            missing,
        ),
        Case(
            "update field",
            "PUT",
            fld,
            "/List/101/SegmentationFieldGroup/7/SegmentationField/6",
            200,
            body=NEW_FIELD,
        ),
        Case(
            "update field, no maxLength",
            "PUT",
            fld,
            "/List/101/SegmentationFieldGroup/7/SegmentationField/6",
            400,
            bad_param,
            body={"segmentationFieldName": "x", "dataType": "Text", "position": 1},
        ),
        Case("delete field", "DELETE", fld, "/List/101/SegmentationFieldGroup/7/SegmentationField/6", 200),
        Case(
            "delete field, unknown",
            "DELETE",
            fld,
            "/List/101/SegmentationFieldGroup/7/SegmentationField/50",
            404,
            missing,
        ),
        # wrong methods
        Case("patch a list", "PATCH", lst, "/List/101", 405, "ERROR_UNSUPPORTED_METHOD"),
        Case("put contacts", "PUT", CONTACTS, "/List/101/Contact", 405, "ERROR_UNSUPPORTED_METHOD", body={}),
    ]


CASES = _cases()


@pytest.fixture
def world(seeded: ListrakBackend) -> ListrakBackend:
    """The seeded list 101 (plus pending@example.com, pending double opt-in), an empty list 102, a
    group 8 to delete, and the account's banned@ and suppressed@example.com."""
    seeded.seed(
        CLIENT_ID,
        {
            "lists": [{"listId": 102}],
            "banned": ["banned@example.com"],
            "suppressed": ["suppressed@example.com"],
        },
    )
    seeded.subscribe(CLIENT_ID, 101, "pending@example.com", double_opt_in=True)
    seeded.seed(
        CLIENT_ID,
        {
            "lists": [
                {
                    "listId": 101,
                    "segmentationFieldGroups": [{"segmentationFieldGroupId": 8, "segmentationFieldGroupName": "Spare"}],
                }
            ]
        },
    )
    return seeded


def _send(client: FlaskClient, api: Api, case: Case) -> TestResponse:
    headers = api.headers() if case.auth else {}
    if case.raw is not None or case.body is not None:
        data = case.raw if case.raw is not None else __import__("json").dumps(case.body).encode()
        if case.content_type is not None:
            headers["Content-Type"] = case.content_type
        return client.open(API + case.path, method=case.method, data=data, headers=headers, query_string=case.params)
    return client.open(API + case.path, method=case.method, headers=headers, query_string=case.params)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_response_matches_the_swagger(
    case: Case, world: ListrakBackend, client: FlaskClient, api: Api, check_swagger: Callable[..., Any]
) -> None:
    response = _send(client, api, case)
    assert response.status_code == case.status, response.get_json()
    body = check_swagger(case.method if case.status != 405 else "GET", case.template, response)
    if case.error is not None:
        assert body["error"] == case.error
        assert body["status"] == case.status


@pytest.mark.parametrize("case", [c for c in CASES if c.status < 400], ids=lambda c: c.id)
def test_every_route_answers_401_in_the_envelope_without_a_token(
    case: Case, world: ListrakBackend, client: FlaskClient, api: Api, check_swagger: Callable[..., Any]
) -> None:
    response = _send(client, api, Case(**{**case.__dict__, "auth": False}))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert check_swagger(case.method, case.template, response) == {
        "status": 401,
        "error": "ERROR_UNAUTHORIZED",
        "message": "Authorization was denied for this request.",
    }


WRITES = [c for c in CASES if c.method in ("POST", "PUT") and c.status < 300]


@pytest.mark.parametrize("case", WRITES, ids=lambda c: c.id)
@pytest.mark.parametrize(
    ("raw", "content_type", "status", "error"),
    [
        (b'{"listName": "x"}', "text/plain", 415, "ERROR_UNSUPPORTED_CONTENT_TYPE"),
        (b'{"listName": "x"}', None, 415, "ERROR_UNSUPPORTED_CONTENT_TYPE"),
        (b'{"listName": ', "application/json", 400, "ERROR_MALFORMED_REQUEST_BODY"),
    ],
    ids=["text/plain", "no content type", "bad JSON"],
)
def test_every_write_refuses_a_body_that_is_not_json(
    case: Case,
    raw: bytes,
    content_type: str | None,
    status: int,
    error: str,
    world: ListrakBackend,
    client: FlaskClient,
    api: Api,
    check_swagger: Callable[..., Any],
) -> None:
    response = _send(client, api, Case(**{**case.__dict__, "raw": raw, "content_type": content_type}))
    assert response.status_code == status
    body = check_swagger(case.method, case.template, response)
    assert (body["status"], body["error"]) == (status, error)


@pytest.mark.parametrize("case", [c for c in CASES if "{listId}" in c.template and c.status < 300], ids=lambda c: c.id)
@pytest.mark.parametrize("bad_id", ["abc", "1.5", "2147483648"])
def test_every_route_answers_a_malformed_list_id_with_invalid_parameter(
    case: Case, bad_id: str, world: ListrakBackend, client: FlaskClient, api: Api, check_swagger: Callable[..., Any]
) -> None:
    path = re.sub(r"^/List/\d+", f"/List/{bad_id}", case.path)
    response = _send(client, api, Case(**{**case.__dict__, "path": path}))
    assert check_swagger(case.method, case.template, response) == {
        "status": 400,
        "error": "ERROR_INVALID_PARAMETER",
        "message": "An invalid value was supplied for listId.",
    }


def _not_found_names(case: Case) -> str:
    """The ids Listrak's 404 message names: the list when it is the list that is missing, else every id of the path."""
    if case.path.startswith("/List/999"):
        return "listId"
    if case.template.endswith("{contactIdentifier}"):
        return "listId and contactIdentifier"
    if "{segmentationFieldId}" in case.template:
        return "listId, segmentationFieldGroupId, and segmentationFieldId"
    return "listId and segmentationFieldGroupId"


@pytest.mark.parametrize("case", [c for c in CASES if c.status == 404], ids=lambda c: c.id)
def test_every_404_names_the_ids_as_listrak_does(
    case: Case, world: ListrakBackend, client: FlaskClient, api: Api
) -> None:
    message = f"Unable to locate a resource associated with the {_not_found_names(case)} supplied."
    assert _send(client, api, case).get_json() == {
        "status": 404,
        "error": "ERROR_UNABLE_TO_LOCATE_RESOURCE",
        "message": message,
    }


def _api_operations(app: Flask) -> set[tuple[str, str]]:
    names = {
        "<list_id>": "{listId}",
        "<group_id>": "{segmentationFieldGroupId}",
        "<field_id>": "{segmentationFieldId}",
        "<path:identifier>": "{contactIdentifier}",
    }
    out = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API):
            continue
        template = rule.rule[len(API) :]
        for raw, name in names.items():
            template = template.replace(raw, name)
        out |= {(m, template) for m in (rule.methods or set()) - {"HEAD", "OPTIONS"}}
    return out


def test_the_cases_cover_every_operation_with_a_success_and_an_error(app: Flask, swagger: Any) -> None:
    # Every success case is also sent without a token (the 401 test); beyond that, each operation
    # that can fail otherwise has an error case of its own.
    for method, template in _api_operations(app):
        assert method.lower() in swagger.document["paths"]["/v1" + template], (method, template)
        statuses = [c.status for c in CASES if (c.method, c.template) == (method, template)]
        assert any(s < 300 for s in statuses), f"no success case for {method} {template}"
        if (method, template) != ("GET", "/List"):
            assert any(s >= 400 for s in statuses), f"no error case for {method} {template}"


def test_the_emulated_operations_are_the_ones_the_issue_lists(app: Flask) -> None:
    assert len(_api_operations(app)) == 19


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda c: c.update(nickname="a"), "Additional properties are not allowed"),
        (lambda c: c.pop("emailAddress"), "'emailAddress' is a required property"),
        (lambda c: c.pop("segmentationFieldValues"), "'segmentationFieldValues' is a required property"),
        (lambda c: c["segmentationFieldValues"].append({"value": "x"}), "'segmentationFieldId' is a required"),
        (lambda c: c.update(subscribeDate="2024-05-01T12:00:00+00:00"), "is not a 'date-time'"),
        (lambda c: c.update(emailKey=5), "data/emailKey: 5 is not valid"),
    ],
    ids=["unknown field", "no emailAddress", "no segmentationFieldValues", "value without id", "offset", "type"],
)
def test_the_swagger_check_refuses_what_listrak_would_not_send(
    api: Api, seeded: ListrakBackend, swagger: Any, change: Callable[[dict[str, Any]], Any], complaint: str
) -> None:
    # The fidelity tests above are only as good as this check: it must be able to fail.
    template = CONTACTS + "/{contactIdentifier}"
    body = api.get("/List/101/Contact/a@example.com", segmentationFieldIds="5").get_json()
    assert swagger.errors("GET", template, 200, body) == []
    change(body["data"])
    problems = swagger.errors("GET", template, 200, body)
    assert any(complaint in problem for problem in problems), problems


# -- token endpoint (listrak-api-notes.md, Auth) --------------------------------------------------
def _token(client: FlaskClient, **form: str) -> TestResponse:
    data = {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        **form,
    }
    return client.post("/OAuth2/Token", data=data)


def test_token_body_is_the_observed_one(client: FlaskClient) -> None:
    response = _token(client)
    body = response.get_json()
    assert response.status_code == 200
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3599
    assert isinstance(body["access_token"], str) and 350 <= len(body["access_token"]) <= 450


def test_token_lifetime_follows_the_setting(client: FlaskClient, backend: ListrakBackend) -> None:
    backend.update_settings(CLIENT_ID, token_lifetime=60)
    assert _token(client).get_json()["expires_in"] == 60


@pytest.mark.parametrize(
    "form",
    [{"client_secret": "wrong"}, {"client_id": "nobody"}, {"client_secret": ""}],
    ids=["wrong secret", "unknown client", "empty secret"],
)
def test_bad_credentials_get_400_invalid_credentials(client: FlaskClient, form: dict[str, str]) -> None:
    response = _token(client, **form)
    assert response.status_code == 400
    assert response.get_json() == {"error": "Invalid Credentials"}


def test_a_token_request_without_credentials_gets_400_invalid_credentials(client: FlaskClient) -> None:
    response = client.post("/OAuth2/Token", data={})
    assert (response.status_code, response.get_json()) == (400, {"error": "Invalid Credentials"})


def test_a_grant_type_other_than_client_credentials_is_refused(client: FlaskClient) -> None:
    response = _token(client, grant_type="password")
    assert (response.status_code, response.get_json()) == (400, {"error": "unsupported_grant_type"})


def test_credentials_may_come_in_basic_auth(client: FlaskClient) -> None:
    response = client.post("/OAuth2/Token", data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, CLIENT_SECRET))
    assert response.status_code == 200


def test_a_token_works_for_the_api(client: FlaskClient, seeded: ListrakBackend) -> None:
    token = _token(client).get_json()["access_token"]
    response = client.get(API + "/List", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert [item["listId"] for item in response.get_json()["data"]] == [101]


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer nope", "Basic abc", "bearer"])
def test_missing_or_unknown_tokens_get_the_documented_401(client: FlaskClient, header: str) -> None:
    response = client.get(API + "/List", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.get_json()["error"] == "ERROR_UNAUTHORIZED"


def test_the_bearer_scheme_is_case_insensitive(api: Api) -> None:
    response = api.client.get(API + "/List", headers={"Authorization": f"bearer {api.token}"})
    assert response.status_code == 200


def test_a_token_expires_on_the_fakes_clock(api: Api, clock: ManualClock) -> None:
    assert api.get("/List").status_code == 200
    clock.advance(3598)
    assert api.get("/List").status_code == 200
    clock.advance(1)
    assert api.get("/List").status_code == 401


# -- contacts: observed behaviours (listrak-api-notes.md, Contacts) -------------------------------
def test_upsert_answers_201_for_a_new_contact_and_200_for_an_update(api: Api, seeded: ListrakBackend) -> None:
    first = api.post("/List/101/Contact", {"emailAddress": "New@Example.com"})
    again = api.post("/List/101/Contact", {"emailAddress": "new@example.com", "externalContactID": "n1"})
    assert (first.status_code, first.get_json()) == (201, {"status": 201, "resourceId": "New@Example.com"})
    assert (again.status_code, again.get_json()) == (200, {"status": 200, "resourceId": "New@Example.com"})


def test_subscribing_an_unsubscribed_contact_without_override_is_the_observed_error(
    api: Api, seeded: ListrakBackend
) -> None:
    response = api.post("/List/101/Contact", {"emailAddress": "c@example.com", "subscriptionState": "Subscribed"})
    assert response.status_code == 400
    assert response.get_json() == {
        "status": 400,
        "error": "ERROR_UNSUBSCRIBED_EMAIL_ADDRESS",
        "message": "The emailAddress has already been unsubscribed from the list.",
    }
    assert api.get("/List/101/Contact/c@example.com").get_json()["data"]["subscriptionState"] == "Unsubscribed"


def test_unsubscribing_sets_the_unsubscribe_fields_and_keeps_the_subscribe_date(
    api: Api, seeded: ListrakBackend, clock: ManualClock
) -> None:
    before = api.get("/List/101/Contact/a@example.com").get_json()["data"]
    clock.advance(3000.25)
    response = api.post("/List/101/Contact", {"emailAddress": "a@example.com", "subscriptionState": "Unsubscribed"})
    after = api.get("/List/101/Contact/a@example.com").get_json()["data"]
    assert response.status_code == 200
    assert after["subscriptionState"] == "Unsubscribed"
    assert after["unsubscribeDate"] == "2024-05-01T12:50:00.25"
    assert after["unsubscribeMethod"] == "Administrator"
    assert after["subscribeDate"] == before["subscribeDate"] == "2024-05-01T12:00:00"


def test_override_resubscribe_sets_administrator_and_clears_the_unsubscribe_fields(
    api: Api, seeded: ListrakBackend, clock: ManualClock
) -> None:
    clock.advance(60)
    response = api.post(
        "/List/101/Contact",
        {"emailAddress": "c@example.com", "subscriptionState": "Subscribed"},
        overrideUnsubscribe="true",
    )
    contact = api.get("/List/101/Contact/c@example.com").get_json()["data"]
    assert (response.status_code, response.get_json()) == (
        200,
        {"status": 200, "resourceId": "c@example.com"},
    )
    assert contact["subscriptionState"] == "Subscribed"
    assert contact["subscribeMethod"] == "Administrator"
    assert contact["unsubscribeDate"] is None
    assert contact["unsubscribeMethod"] is None
    assert contact["subscribeDate"] == "2024-05-01T12:00:00"
    assert contact["resubscribeDate"] == "2024-05-01T12:01:00"


def test_segmentation_field_values_are_empty_when_no_ids_are_asked_for(api: Api, seeded: ListrakBackend) -> None:
    page = api.get("/List/101/Contact").get_json()["data"]
    one = api.get("/List/101/Contact/a@example.com").get_json()["data"]
    assert [c["segmentationFieldValues"] for c in page] == [[], []]
    assert one["segmentationFieldValues"] == []


def test_only_the_requested_fields_values_come_back(api: Api, seeded: ListrakBackend) -> None:
    one = api.get("/List/101/Contact/a@example.com", segmentationFieldIds="5").get_json()["data"]
    both = api.get("/List/101/Contact/b@example.com", segmentationFieldIds="6,5").get_json()["data"]
    assert one["segmentationFieldValues"] == [{"segmentationFieldGroupId": 7, "segmentationFieldId": 5, "value": "u-a"}]
    assert [(v["segmentationFieldId"], v["value"]) for v in both["segmentationFieldValues"]] == [
        (6, ""),
        (5, ""),
    ]


def test_a_contact_has_the_documented_keys_dates_and_hashes(api: Api, seeded: ListrakBackend) -> None:
    contact = api.get("/List/101/Contact/a@example.com").get_json()["data"]
    assert re.fullmatch(r"[0-9a-f]{26}", contact["emailKey"])
    assert contact["universalEmailKey"] == hashlib.sha256(b"a@example.com").hexdigest()
    assert LISTRAK_DATE.match(contact["subscribeDate"])
    assert contact["externalContactID"] == "ext-a"


def test_a_contact_is_found_by_its_email_key_too(api: Api, seeded: ListrakBackend) -> None:
    key = api.get("/List/101/Contact/b@example.com").get_json()["data"]["emailKey"]
    found = api.get(f"/List/101/Contact/{key}").get_json()["data"]
    assert found["emailAddress"] == "b@example.com"
    assert api.get(f"/List/101/Contact/{key.upper()}").status_code == 200


def test_an_email_key_of_another_list_finds_nothing(api: Api, seeded: ListrakBackend) -> None:
    seeded.seed(CLIENT_ID, {"lists": [{"listId": 102, "contacts": ["b@example.com"]}]})
    key = api.get("/List/102/Contact/b@example.com").get_json()["data"]["emailKey"]
    assert api.get(f"/List/101/Contact/{key}").status_code == 404


def test_addresses_match_without_regard_to_case(api: Api, seeded: ListrakBackend) -> None:
    assert api.get("/List/101/Contact/A@EXAMPLE.COM").get_json()["data"]["emailAddress"] == "a@example.com"


def test_new_email_address_changes_the_address_and_keeps_the_email_key(api: Api, seeded: ListrakBackend) -> None:
    key = api.get("/List/101/Contact/b@example.com").get_json()["data"]["emailKey"]
    response = api.post("/List/101/Contact", {"emailAddress": "b@example.com"}, newEmailAddress="b2@example.com")
    moved = api.get(f"/List/101/Contact/{key}").get_json()["data"]
    assert response.get_json() == {"status": 200, "resourceId": "b2@example.com"}
    assert moved["emailAddress"] == "b2@example.com"
    assert moved["universalEmailKey"] == hashlib.sha256(b"b2@example.com").hexdigest()
    assert api.get("/List/101/Contact/b@example.com").status_code == 404


@pytest.mark.parametrize(
    ("body", "params", "error"),
    [
        (
            {"emailAddress": "b@example.com"},
            {"newEmailAddress": "a@example.com"},
            "ERROR_SUBSCRIBED_NEW_EMAIL_ADDRESS",
        ),
        (
            {"emailAddress": "b@example.com"},
            {"newEmailAddress": "c@example.com"},
            "ERROR_UNSUBSCRIBED_NEW_EMAIL_ADDRESS",
        ),
        (
            {"emailAddress": "c@example.com"},
            {"newEmailAddress": "z@example.com"},
            "ERROR_CHANGE_ADDRESS_CONTACT_UNSUBSCRIBED",
        ),
        (
            {
                "emailAddress": "b@example.com",
                "segmentationFieldValues": [{"segmentationFieldId": 5, "value": "x"}],
            },
            {"newEmailAddress": "z@example.com"},
            "ERROR_CHANGE_ADDRESS_WITH_SEGMENTATION_DATA",
        ),
        ({"emailAddress": "b@example.com"}, {"newEmailAddress": "not an address"}, "ERROR_INVALID_PARAMETER"),
        (
            {"emailAddress": "a@example.com", "subscriptionState": "Unsubscribed"},
            {"eventIds": "3"},
            "ERROR_UNSUBSCRIBE_WITH_EVENTS",
        ),
        (
            {"emailAddress": "c@example.com", "subscriptionState": "Unsubscribed"},
            {},
            "ERROR_UNSUBSCRIBED_EMAIL_ADDRESS",
        ),
        ({"emailAddress": "c@example.com"}, {"eventIds": "3"}, "ERROR_UPDATE_UNSUBSCRIBE_WITH_EVENTS"),
        ({"emailAddress": "a@example.com"}, {"updateType": "Merge"}, "ERROR_INVALID_PARAMETER"),
        ({"emailAddress": "a@example.com"}, {"overrideUnsubscribe": "yes"}, "ERROR_INVALID_PARAMETER"),
        ({"emailAddress": "a@example.com", "subscriptionState": "Pending"}, {}, "ERROR_INVALID_PARAMETER"),
    ],
    ids=[
        "new address subscribed",
        "new address unsubscribed",
        "change an unsubscribed contact",
        "change with values",
        "new address invalid",
        "unsubscribe with events",
        "unsubscribe twice",
        "update unsubscribed with events",
        "bad updateType",
        "bad boolean",
        "bad state",
    ],
)
def test_documented_contact_errors(
    api: Api, seeded: ListrakBackend, body: dict[str, Any], params: dict[str, str], error: str
) -> None:
    response = api.post("/List/101/Contact", body, **params)
    assert response.status_code == 400
    assert response.get_json()["error"] == error


# -- banned, suppressed and pending addresses (the swagger's Contact error table) --------------------
@pytest.fixture
def guarded(seeded: ListrakBackend) -> ListrakBackend:
    """The seeded list, with Banned@Example.com banned, suppressed@example.com suppressed and
    pending@example.com pending double opt-in."""
    seeded.add_suppressions(CLIENT_ID, banned=["Banned@Example.com"], suppressed=["suppressed@example.com"])
    seeded.subscribe(CLIENT_ID, 101, "pending@example.com", double_opt_in=True)
    return seeded


@pytest.mark.parametrize(
    ("body", "params", "error", "message"),
    [
        (
            {"emailAddress": "BANNED@example.com"},
            {},
            "ERROR_BANNED_EMAIL_ADDRESS",
            "The emailAddress has been banned and cannot be subscribed.",
        ),
        (
            {"emailAddress": "banned@example.com"},
            {"sendDoubleOptIn": "true"},
            "ERROR_BANNED_EMAIL_ADDRESS",
            "The emailAddress has been banned and cannot be subscribed.",
        ),
        (
            {"emailAddress": "Suppressed@example.com", "subscriptionState": "Subscribed"},
            {},
            "ERROR_SUPPRESSED_EMAIL",
            "The emailAddress has already been suppressed and cannot be subscribed.",
        ),
        (
            {"emailAddress": "pending@example.com", "subscriptionState": "Subscribed"},
            {"overrideUnsubscribe": "true"},
            "ERROR_PENDING_EMAIL_ADDRESS",
            "The emailAddress is already pending subscription through double opt-in.",
        ),
        (
            {"emailAddress": "b@example.com"},
            {"newEmailAddress": "banned@EXAMPLE.com"},
            "ERROR_BANNED_NEW_EMAIL_ADDRESS",
            "The newEmailAddress has been banned.",
        ),
        (
            {"emailAddress": "b@example.com"},
            {"newEmailAddress": "suppressed@example.com"},
            "ERROR_SUPPRESSED_NEW_EMAIL",
            "The newEmailAddress has already been suppressed.",
        ),
        (
            {"emailAddress": "b@example.com"},
            {"newEmailAddress": "Pending@example.com"},
            "ERROR_PENDING_NEW_EMAIL_ADDRESS",
            "The newEmailAddress is already pending subscription through double opt-in.",
        ),
        (
            {"emailAddress": "pending@example.com"},
            {"newEmailAddress": "elsewhere@example.com"},
            "ERROR_PENDING_EMAIL_ADDRESS",
            "The emailAddress is already pending subscription through double opt-in.",
        ),
    ],
    ids=[
        "banned",
        "banned, double opt-in",
        "suppressed",
        "pending",
        "new address banned",
        "new address suppressed",
        "new address pending",
        "address of a pending contact",
    ],
)
def test_banned_suppressed_and_pending_addresses_get_the_documented_errors(
    api: Api,
    guarded: ListrakBackend,
    check_swagger: Callable[..., Any],
    body: dict[str, Any],
    params: dict[str, str],
    error: str,
    message: str,
) -> None:
    before = guarded.dump(CLIENT_ID)
    response = api.post("/List/101/Contact", body, **params)
    assert response.status_code == 400
    assert check_swagger("POST", CONTACTS, response) == {"status": 400, "error": error, "message": message}
    assert guarded.dump(CLIENT_ID) == before  # nothing changed


def test_a_contact_subscribed_before_its_suppression_is_still_updated(
    api: Api, guarded: ListrakBackend, check_swagger: Callable[..., Any]
) -> None:
    guarded.add_suppressions(CLIENT_ID, suppressed=["a@example.com"])
    body = {"emailAddress": "a@example.com", "subscriptionState": "Subscribed", "externalContactID": "ext-a2"}
    response = api.post("/List/101/Contact", body)
    assert (response.status_code, check_swagger("POST", CONTACTS, response)) == (
        200,
        {"status": 200, "resourceId": "a@example.com"},
    )
    assert api.get("/List/101/Contact/a@example.com").get_json()["data"]["externalContactID"] == "ext-a2"


def test_subscribing_a_subscribed_contact_again_is_the_observed_200_not_an_error(
    api: Api, seeded: ListrakBackend
) -> None:
    # ERROR_SUBSCRIBED_EMAIL_ADDRESS is documented, but an upsert of a subscribed contact was observed to succeed.
    response = api.post("/List/101/Contact", {"emailAddress": "b@example.com", "subscriptionState": "Subscribed"})
    assert (response.status_code, response.get_json()) == (200, {"status": 200, "resourceId": "b@example.com"})


def test_double_opt_in_creates_a_pending_contact_found_only_by_its_identifier(
    api: Api, seeded: ListrakBackend, check_swagger: Callable[..., Any]
) -> None:
    response = api.post("/List/101/Contact", {"emailAddress": "Opt@example.com"}, sendDoubleOptIn="true")
    assert check_swagger("POST", CONTACTS, response) == {"status": 201, "resourceId": "Opt@example.com"}
    listed = [c["emailAddress"] for c in api.contacts(101) + api.contacts(101, subscriptionState="Unsubscribed")]
    assert "Opt@example.com" not in listed and len(listed) == 3
    by_address = api.get("/List/101/Contact/opt@example.com")
    contact = check_swagger("GET", CONTACTS + "/{contactIdentifier}", by_address)["data"]
    assert (contact["subscriptionState"], contact["subscribeDate"], contact["subscribeMethod"]) == (
        "Pending",
        None,
        None,
    )
    by_key = api.get(f"/List/101/Contact/{contact['emailKey']}").get_json()["data"]
    assert by_key == contact


def test_a_confirmed_contact_appears_at_the_end_of_a_scan_in_progress(
    api: Api, guarded: ListrakBackend, client: FlaskClient, clock: ManualClock
) -> None:
    first = api.get("/List/101/Contact", count=1).get_json()
    assert [c["emailAddress"] for c in first["data"]] == ["a@example.com"]
    clock.advance(60)
    confirmed = client.post("/_fake/contacts/confirm", json={"listId": 101, "emailAddress": "Pending@Example.com"})
    assert confirmed.status_code == 200
    seen = [c["emailAddress"] for c in first["data"]]
    cursor = first["nextPageCursor"]
    while cursor is not None:
        body = api.get("/List/101/Contact", count=1, cursor=cursor).get_json()
        seen += [c["emailAddress"] for c in body["data"]]
        cursor = body["nextPageCursor"]
    assert seen == ["a@example.com", "b@example.com", "pending@example.com"]
    contact = api.get("/List/101/Contact/pending@example.com").get_json()["data"]
    assert (contact["subscriptionState"], contact["subscribeMethod"], contact["subscribeDate"]) == (
        "Subscribed",
        "DoubleOptIn",
        "2024-05-01T12:01:00",
    )
    after = api.contacts(101, startDate="2024-05-01T12:01:00")
    assert [c["emailAddress"] for c in after] == ["pending@example.com"]


def test_the_bulk_field_update_applies_values_to_contacts_on_the_list(api: Api, seeded: ListrakBackend) -> None:
    response = api.post(
        "/List/101/Contact/SegmentationField",
        [
            {
                "emailAddress": "b@example.com",
                "segmentationFieldValues": [{"segmentationFieldId": 5, "value": "u-b"}],
            },
            {
                "emailAddress": "zz@example.com",
                "segmentationFieldValues": [{"segmentationFieldId": 5, "value": "no"}],
            },
        ],
    )
    assert response.status_code == 201
    assert seeded.contact(CLIENT_ID, 101, "b@example.com").value(5) == "u-b"  # type: ignore[union-attr]
    assert seeded.contact(CLIENT_ID, 101, "zz@example.com") is None


def test_checkbox_values_are_on_or_off(api: Api, seeded: ListrakBackend) -> None:
    created = api.post(
        "/List/101/SegmentationFieldGroup/7/SegmentationField",
        {"segmentationFieldName": "Opt", "dataType": "CheckBox", "maxLength": 3, "position": 9},
    ).get_json()
    field_id = int(created["resourceId"])
    ok = api.post(
        "/List/101/Contact",
        {
            "emailAddress": "a@example.com",
            "segmentationFieldValues": [{"segmentationFieldId": field_id, "value": "on"}],
        },
    )
    bad = api.post(
        "/List/101/Contact",
        {
            "emailAddress": "a@example.com",
            "segmentationFieldValues": [{"segmentationFieldId": field_id, "value": "yes"}],
        },
    )
    assert (ok.status_code, bad.status_code) == (200, 400)


# -- lists, groups and fields -------------------------------------------------------------------
def test_a_created_list_is_listed_with_its_fields(api: Api) -> None:
    created = api.post("/List", {**NEW_LIST, "fromEmail": "news@example.com", "googleTrackingDomains": ["a.com"]})
    list_id = int(created.get_json()["resourceId"])
    found = api.get(f"/List/{list_id}").get_json()["data"]
    assert found["listName"] == "Offers"
    assert found["bounceHandling"] == "Standard"
    assert found["fromEmail"] == "news@example.com"
    assert found["googleTrackingDomains"] == ["a.com"]
    assert found["createDate"] == "2024-05-01T12:00:00"


def test_a_deleted_list_is_gone_with_its_contacts(api: Api, seeded: ListrakBackend) -> None:
    assert api.delete("/List/101").status_code == 200
    assert api.get("/List/101/Contact").status_code == 404
    assert api.get("/List").get_json()["data"] == []


def test_deleting_a_field_drops_its_values(api: Api, seeded: ListrakBackend) -> None:
    assert api.delete("/List/101/SegmentationFieldGroup/7/SegmentationField/5").status_code == 200
    assert seeded.contact(CLIENT_ID, 101, "a@example.com").value(5) == ""  # type: ignore[union-attr]
    response = api.get("/List/101/Contact", segmentationFieldIds="5")
    assert response.status_code == 400


def test_a_field_is_only_found_under_its_own_group(api: Api, seeded: ListrakBackend) -> None:
    group_id = int(api.post("/List/101/SegmentationFieldGroup", NEW_GROUP).get_json()["resourceId"])
    response = api.get(f"/List/101/SegmentationFieldGroup/{group_id}/SegmentationField/5")
    assert response.status_code == 404
    assert response.get_json()["message"] == (
        "Unable to locate a resource associated with the listId, segmentationFieldGroupId, and "
        "segmentationFieldId supplied."
    )


def test_json_property_names_bind_case_insensitively(api: Api) -> None:
    response = api.post("/List", {"ListName": "Caps", "BounceHandling": "none", "bounceunsubscribecount": 0})
    assert response.status_code == 201
    assert api.get(f"/List/{response.get_json()['resourceId']}").get_json()["data"]["bounceHandling"] == "None"


# -- contact query parameters over HTTP -----------------------------------------------------------
@pytest.fixture
def many(backend: ListrakBackend) -> ListrakBackend:
    """List 1 with 5001 subscribed contacts."""
    backend.seed(CLIENT_ID, {"lists": [{"listId": 1, "generate": {"count": 5001}}]})
    return backend


def test_a_page_holds_1000_contacts_by_default_and_up_to_5000(api: Api, many: ListrakBackend) -> None:
    default = api.get("/List/1/Contact").get_json()
    largest = api.get("/List/1/Contact", count=5000).get_json()
    assert len(default["data"]) == 1000 and default["nextPageCursor"] is not None
    assert len(largest["data"]) == 5000 and largest["nextPageCursor"] is not None
    last = api.get("/List/1/Contact", count=5000, cursor=largest["nextPageCursor"]).get_json()
    assert (len(last["data"]), last["nextPageCursor"]) == (1, None)


@pytest.mark.parametrize("count", ["0", "5001", "-1", "1.5"])
def test_a_count_outside_1_to_5000_is_an_invalid_count(api: Api, seeded: ListrakBackend, count: str) -> None:
    response = api.get("/List/101/Contact", count=count)
    assert (response.status_code, response.get_json()) == (
        400,
        {"status": 400, "error": "ERROR_INVALID_PARAMETER", "message": "An invalid value was supplied for count."},
    )


@pytest.fixture
def dated_api(api: Api, backend: ListrakBackend) -> Api:
    """List 1: ten@ subscribed 10:00 (external e1), noon@ 12:00, back@ 08:00 resubscribed 14:00,
    gone@ unsubscribed 13:00."""
    backend.seed(
        CLIENT_ID,
        {
            "lists": [
                {
                    "listId": 1,
                    "contacts": [
                        {"emailAddress": "ten@x.io", "subscribeDate": "2024-05-01T10:00:00", "externalContactID": "e1"},
                        {"emailAddress": "noon@x.io", "subscribeDate": "2024-05-01T12:00:00"},
                        {
                            "emailAddress": "back@x.io",
                            "subscribeDate": "2024-05-01T08:00:00",
                            "resubscribeDate": "2024-05-01T14:00:00",
                        },
                        {
                            "emailAddress": "gone@x.io",
                            "subscriptionState": "Unsubscribed",
                            "unsubscribeDate": "2024-05-01T13:00:00",
                        },
                    ],
                }
            ]
        },
    )
    return api


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"startDate": "2024-05-01T10:00:00"}, ["ten@x.io", "noon@x.io"]),
        ({"startDate": "5/1/2024 10:00:01 AM"}, ["noon@x.io"]),
        ({"endDate": "2024-05-01T12:00:00"}, ["ten@x.io", "noon@x.io", "back@x.io"]),
        ({"endDate": "2024-05-01T13:59:59", "useOriginalSubscribeDate": "false"}, ["ten@x.io", "noon@x.io"]),
        ({"startDate": "2024-05-01T14:00:00", "useOriginalSubscribeDate": "False"}, ["back@x.io"]),
        ({"endDate": "2024-05-01T14:00:00", "useOriginalSubscribeDate": "false"}, ["ten@x.io", "noon@x.io"]),
        ({"startDate": "2024-05-01T13:00:00+02:00"}, ["noon@x.io"]),
        ({"subscriptionState": "Unsubscribed", "startDate": "2024-05-01T13:00:00"}, ["gone@x.io"]),
        ({"subscriptionState": "Unsubscribed", "endDate": "2024-05-01T12:59:59.99"}, []),
        ({"externalContactId": "e1"}, ["ten@x.io"]),
    ],
    ids=[
        "start inclusive",
        "US date form",
        "end inclusive",
        "most recent, before",
        "most recent, start inclusive",
        "most recent, end exclusive",
        "offset taken to UTC",
        "unsubscribe date, start inclusive",
        "unsubscribe date, before",
        "external id",
    ],
)
def test_date_and_external_id_filters_over_http(dated_api: Api, params: dict[str, str], expected: list[str]) -> None:
    assert [c["emailAddress"] for c in dated_api.contacts(1, **params)] == expected


def test_thirty_profile_fields_may_be_asked_for_but_not_thirty_one(api: Api, backend: ListrakBackend) -> None:
    fields = [{"segmentationFieldId": n, "segmentationFieldName": f"f{n}", "dataType": "Text"} for n in range(1, 32)]
    backend.seed(
        CLIENT_ID,
        {
            "lists": [
                {
                    "listId": 1,
                    "segmentationFieldGroups": [{"segmentationFieldGroupName": "g", "segmentationFields": fields}],
                    "contacts": ["a@x.io"],
                }
            ]
        },
    )
    thirty = api.get("/List/1/Contact", segmentationFieldIds=",".join(str(n) for n in range(1, 31)))
    too_many = api.get("/List/1/Contact/a@x.io", segmentationFieldIds=",".join(str(n) for n in range(1, 32)))
    assert thirty.status_code == 200
    assert [v["segmentationFieldId"] for v in thirty.get_json()["data"][0]["segmentationFieldValues"]] == list(
        range(1, 31)
    )
    assert (too_many.status_code, too_many.get_json()["error"]) == (400, "ERROR_TOO_MANY_SEGMENTATION_FIELDS")


@pytest.mark.parametrize(
    ("update_type", "expected"),
    [("Update", {5: "u-a", 6: "7"}), ("append", {5: "u-a", 6: "7"}), ("Overwrite", {6: "7"})],
)
def test_update_type_is_read_from_the_query(
    api: Api, seeded: ListrakBackend, update_type: str, expected: dict[int, str]
) -> None:
    body = {"emailAddress": "a@example.com", "segmentationFieldValues": [{"segmentationFieldId": 6, "value": "7"}]}
    assert api.post("/List/101/Contact", body, updateType=update_type).status_code == 200
    assert seeded.contact(CLIENT_ID, 101, "a@example.com").value_map() == expected  # type: ignore[union-attr]


def test_query_parameter_names_bind_case_insensitively(api: Api, seeded: ListrakBackend) -> None:
    page = api.get("/List/101/Contact", COUNT="1", SubscriptionState="unsubscribed").get_json()
    assert [c["emailAddress"] for c in page["data"]] == ["c@example.com"]
