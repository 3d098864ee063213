"""The fake's own admin API under `/_fake/` (described by `/_fake/openapi.json`).

Requests that concern one account name it with a `clientId` query parameter (or body field);
without one they act for the app's default client, when it has one.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from flask import Blueprint, Response, request

from harness.fakekit.clock import parse_iso

from . import render
from .dates import format_listrak
from .exceptions import AdminRequestError
from .models import is_address
from .web import backend, default_client, json_response, raw_json_response

__all__ = ["admin"]

admin = Blueprint("listrak_admin", __name__, url_prefix="/_fake")


def _body(*, optional: bool = False) -> Any:
    raw = request.get_data(cache=True)
    if not raw.strip():
        if optional:
            return {}
        raise AdminRequestError("expected a JSON body, got an empty body")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise AdminRequestError("expected a JSON body, got text that does not parse as JSON") from None


def _object(*, optional: bool = False) -> dict[str, Any]:
    body = _body(optional=optional)
    if not isinstance(body, dict):
        raise AdminRequestError(f"expected a JSON object in the body, got {type(body).__name__}")
    return body


def _client_arg(body: Any = None, *, required: bool = True) -> str | None:
    value = request.args.get("clientId")
    if value is None and isinstance(body, dict):
        value = body.get("clientId")
    if value is None:
        value = default_client()
    if value is None and required:
        raise AdminRequestError(
            "expected a clientId (query parameter or body field) naming the account to act on; "
            "this fake has no default client"
        )
    if value is not None and not isinstance(value, str):
        raise AdminRequestError(f"clientId must be a string, got {value!r}")
    return value


def _only(body: dict[str, Any], allowed: set[str], expected: str) -> None:
    unknown = sorted(set(body) - allowed - {"clientId"})
    if unknown:
        raise AdminRequestError(f"unknown key(s) {unknown} in the body; expected {expected}")


def _int_arg(name: str, default: int | None = None) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise AdminRequestError(f"query parameter {name} must be a whole number, got {raw!r}") from None


def _clock_json() -> dict[str, Any]:
    now = backend().now()
    return {
        "now": now.isoformat(),
        "listrak": format_listrak(now),
        "settable": hasattr(backend().clock, "set"),
    }


@admin.get("/health")
def health() -> Response:
    return json_response({"status": "ok", **backend().counts()})


@admin.post("/reset")
def reset() -> Response:
    body = _body(optional=True)
    client_id = request.args.get("clientId")
    if client_id is None and isinstance(body, dict):
        client_id = body.get("clientId")
    if client_id is not None and not isinstance(client_id, str):
        raise AdminRequestError(f"clientId must be a string, got {client_id!r}")
    backend().reset(client_id)
    return json_response({"reset": client_id or "all"})


@admin.get("/clients")
def list_clients() -> Response:
    clients = backend().clients()
    return json_response({"clients": [{"clientId": c.client_id, "clientSecret": c.client_secret} for c in clients]})


@admin.post("/clients")
def register_client() -> Response:
    body = _object(optional=True)
    client = backend().register_client(body.get("clientId"), body.get("clientSecret"))
    return json_response({"clientId": client.client_id, "clientSecret": client.client_secret}, 201)


@admin.delete("/clients/<client_id>")
def unregister_client(client_id: str) -> Response:
    backend().unregister_client(client_id)
    return json_response({"unregistered": client_id})


@admin.post("/tokens/revoke")
def revoke_tokens() -> Response:
    body = _body(optional=True)
    client_id = request.args.get("clientId") or (body.get("clientId") if isinstance(body, dict) else None)
    return json_response({"revoked": backend().revoke_tokens(client_id)})


@admin.get("/state")
def state() -> Response:
    return json_response(backend().dump(_client_arg() or "", _int_arg("listId")))


@admin.post("/seed")
def seed() -> Response:
    document = _body()
    summary = backend().seed(_client_arg(document) or "", document)
    return json_response(summary.to_json(), 201)


_SUPPRESSION_BODY = '{"banned": [addresses], "suppressed": [addresses]} (either or both)'


@admin.get("/suppressions")
def get_suppressions() -> Response:
    return json_response(backend().suppressions(_client_arg() or "").to_json())


@admin.post("/suppressions")
def add_suppressions() -> Response:
    body = _object()
    _only(body, {"banned", "suppressed"}, _SUPPRESSION_BODY)
    if "banned" not in body and "suppressed" not in body:
        raise AdminRequestError(f"expected {_SUPPRESSION_BODY}, got neither key")
    client_id = _client_arg(body) or ""
    added = backend().add_suppressions(client_id, body.get("banned", []), body.get("suppressed", []))
    return json_response(added.to_json())


@admin.delete("/suppressions")
def lift_suppressions() -> Response:
    body = _object(optional=True)
    _only(body, {"banned", "suppressed"}, _SUPPRESSION_BODY + ", or no body to lift every one")
    client_id = _client_arg(body) or ""
    if "banned" not in body and "suppressed" not in body:
        return json_response(backend().clear_suppressions(client_id).to_json())
    lifted = backend().lift_suppressions(client_id, body.get("banned", []), body.get("suppressed", []))
    return json_response(lifted.to_json())


@admin.post("/contacts/confirm")
def confirm_contact() -> Response:
    body = _object()
    _only(body, {"listId", "emailAddress"}, '{"listId": <id>, "emailAddress": "<address>"}')
    list_id = body.get("listId")
    if isinstance(list_id, bool) or not isinstance(list_id, int):
        raise AdminRequestError(f"listId: expected the id (a whole number) of the contact's list, got {list_id!r}")
    address = body.get("emailAddress")
    if not isinstance(address, str) or not is_address(address):
        raise AdminRequestError(
            f"emailAddress: expected the address of a contact pending double opt-in, got {address!r}"
        )
    contact = backend().confirm(_client_arg(body) or "", list_id, address)
    return json_response(render.contact_dict(contact, list_id, []))


@admin.get("/history")
def history() -> Response:
    client_id = request.args.get("clientId")
    changes = backend().history(client_id, _int_arg("afterSeq", 0) or 0)
    return json_response({"changes": [c.to_json() for c in changes]})


@admin.get("/clock")
def get_clock() -> Response:
    return json_response(_clock_json())


@admin.put("/clock")
def set_clock() -> Response:
    now = _object().get("now")
    when = parse_iso(now) if isinstance(now, str) else None
    if when is None:
        raise AdminRequestError(f'expected {{"now": "<ISO-8601 time>"}}, got now={now!r}')
    backend().set_clock(when)
    return json_response(_clock_json())


@admin.post("/clock/advance")
def advance_clock() -> Response:
    seconds: Any = _object().get("seconds")  # the backend says what is wrong with it
    backend().advance_clock(seconds)
    return json_response(_clock_json())


@admin.get("/settings")
def get_settings() -> Response:
    client_id = request.args.get("clientId")
    return json_response(backend().settings(client_id).to_json())


@admin.put("/settings")
def put_settings() -> Response:
    body = _object()
    unknown = sorted(set(body) - {"tokenLifetime", "pageSizeCap", "clientId"})
    if unknown:
        raise AdminRequestError(f"unknown setting(s) {unknown}; expected tokenLifetime and/or pageSizeCap")
    changes = {}
    if "tokenLifetime" in body:
        changes["token_lifetime"] = body["tokenLifetime"]
    if "pageSizeCap" in body:
        changes["page_size_cap"] = body["pageSizeCap"]
    client_id = request.args.get("clientId") or body.get("clientId")
    settings = backend().update_settings(client_id, **changes)
    return json_response(settings.to_json())


@admin.get("/faults")
def list_faults() -> Response:
    faults = backend().faults.list(request.args.get("clientId"))
    return json_response({"faults": [f.to_dict() for f in faults]})


@admin.post("/faults")
def add_fault() -> Response:
    engine = backend().faults
    fault = engine.add(engine.parse(_body()))
    return json_response(fault.to_dict(), 201)


@admin.put("/faults")
def set_faults() -> Response:
    body = _body()
    specs = body.get("faults") if isinstance(body, dict) else body
    if not isinstance(specs, list):
        raise AdminRequestError('expected {"faults": [...]} (or a bare array): a list of fault specs')
    engine = backend().faults
    faults = engine.set([engine.parse(spec) for spec in specs], request.args.get("clientId"))
    return json_response({"faults": [f.to_dict() for f in faults]})


@admin.delete("/faults")
def clear_faults() -> Response:
    backend().faults.clear(request.args.get("clientId"))
    return json_response({"faults": []})


@admin.get("/faults/fired")
def fired_faults() -> Response:
    fired = backend().faults.fired(request.args.get("clientId"))
    return json_response({"fired": [f.to_dict() for f in fired]})


@admin.get("/openapi.json")
def openapi() -> Response:
    return raw_json_response(resources.files("fake_listrak").joinpath("openapi.json").read_bytes())
