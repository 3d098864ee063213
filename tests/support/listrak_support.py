"""Shared helpers of the fake Listrak's tests: constants, an authorised test client, and Listrak's
swagger turned into JSON Schemas that refuse unknown and missing fields."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
from flask.testing import FlaskClient
from jsonschema.exceptions import best_match
from werkzeug.test import TestResponse

from fake_listrak.backend import ListrakBackend

START = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
CLIENT_ID = "client-a"
CLIENT_SECRET = "secret-a"
API = "/email/v1"
SWAGGER_PATH = Path(__file__).resolve().parents[3] / "shared" / "reference" / "listrak-email-v1.swagger.json"
# Listrak's dates: ISO-8601 without an offset, with a fraction only when it is needed.
LISTRAK_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d*[1-9])?$")


class Api:
    """A test client that sends a bearer token of `client-a` and speaks JSON."""

    def __init__(self, client: FlaskClient, backend: ListrakBackend) -> None:
        self.client = client
        self.backend = backend
        self.token = backend.issue_token(CLIENT_ID, CLIENT_SECRET).value

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **params: Any) -> TestResponse:
        return self.client.get(API + path, query_string=params, headers=self.headers())

    def post(self, path: str, body: Any, **params: Any) -> TestResponse:
        return self.client.post(API + path, json=body, query_string=params, headers=self.headers())

    def put(self, path: str, body: Any, **params: Any) -> TestResponse:
        return self.client.put(API + path, json=body, query_string=params, headers=self.headers())

    def delete(self, path: str) -> TestResponse:
        return self.client.delete(API + path, headers=self.headers())

    def contacts(self, list_id: int, **params: Any) -> list[dict[str, Any]]:
        """Every page of `GET /List/{listId}/Contact`, followed to the end."""
        out: list[dict[str, Any]] = []
        cursor = "Start"
        while cursor is not None:
            response = self.get(f"/List/{list_id}/Contact", cursor=cursor, **params)
            assert response.status_code == 200, response.get_json()
            body = response.get_json()
            out.extend(body["data"])
            cursor = body["nextPageCursor"]
        return out


# -- Listrak's swagger as JSON Schemas -------------------------------------------------------
def _strict(schema: Any) -> Any:
    """A swagger schema made strict: objects refuse unknown properties; optional ones may be null
    (Listrak's own examples show null for them); `$ref`s point into `definitions`."""
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _strict(v) for k, v in schema.items() if k not in ("readOnly", "description", "example")}
    if out.get("type") == "object" or "properties" in out:
        out["additionalProperties"] = False
        required = set(out.get("required", []))
        for name, prop in out.get("properties", {}).items():
            if name not in required:
                out["properties"][name] = {"anyOf": [{"type": "null"}, prop]}
    return out


def _date_time(value: object) -> bool:
    return not isinstance(value, str) or bool(LISTRAK_DATE.match(value))


class Swagger:
    """Listrak's swagger: which schema a response of an operation must match."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.definitions = {name: _strict(d) for name, d in document["definitions"].items()}
        checker = jsonschema.FormatChecker(formats=())
        checker.checks("date-time")(_date_time)
        self.format_checker = checker

    def declared(self, method: str, template: str) -> dict[str, Any]:
        """The responses the swagger declares for an operation (`template` under /email/v1)."""
        operation = self.document["paths"]["/v1" + template][method.lower()]
        responses: dict[str, Any] = operation["responses"]
        return responses

    def schema_for(self, method: str, template: str, status: int) -> dict[str, Any]:
        """The schema a response must match; fails when the swagger allows no such status."""
        declared = self.declared(method, template)
        entry = declared.get(str(status))
        if entry is not None:
            return copy.deepcopy(entry["schema"])
        if method == "POST" and template == "/List/{listId}/Contact" and status == 200:
            # Observed (listrak-api-notes.md): an update answers 200 with the ResourceUpdated shape.
            return {"$ref": "#/definitions/ResourceUpdated"}
        if status in (405, 415) or status >= 500:
            # Documented for every route in the swagger's Status Codes section, in the error envelope.
            return {"$ref": "#/definitions/Error"}
        raise AssertionError(f"the swagger declares no {status} for {method} {template}: {sorted(declared)}")

    def errors(self, method: str, template: str, status: int, body: Any) -> list[str]:
        """Why `body` does not match the declared response (empty when it does)."""
        schema = self.schema_for(method, template, status)
        root = {"definitions": self.definitions, "allOf": [_strict(schema)]}
        validator = jsonschema.Draft7Validator(root, format_checker=self.format_checker)
        # best_match looks inside the `anyOf` (null, or the declared schema) that optional fields get,
        # so the message names the field at fault rather than "not valid under any of the given schemas".
        found = (best_match([e]) or e for e in validator.iter_errors(body))
        return [f"{'/'.join(map(str, e.absolute_path)) or '$'}: {e.message}" for e in found]


def load_swagger() -> Swagger:
    """Listrak's swagger from the shared reference folder."""
    if not SWAGGER_PATH.exists():
        raise AssertionError(f"Listrak's swagger is expected at {SWAGGER_PATH}; the fidelity tests read it there")
    return Swagger(json.loads(SWAGGER_PATH.read_text(encoding="utf-8")))
