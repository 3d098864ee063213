"""The fake Listrak's HTTP face: a Flask app over a ListrakBackend.

Emulated routes (`/OAuth2/Token`, `/email/v1/...`) live in `views`, the fake's admin API
(`/_fake/...`) in `admin`. Errors of every kind become Listrak's error envelope here, in one
place, and nothing escapes as a 500 page or a traceback: an unexpected exception is logged and
answered `500 ERROR_UNHANDLED_EXCEPTION` in the envelope. Injected faults hit the emulated
routes only, partitioned by the client the request's token (or the token request's
`client_id`) belongs to.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from harness.fakekit.faults import FaultSpecError
from harness.fakekit.wsgi import FaultMiddleware, FaultReply, enact, enact_after

from .admin import admin
from .backend import ListrakBackend
from .exceptions import (
    ListrakError,
    MalformedRequestBody,
    UnhandledException,
    UnknownRoute,
    UnsupportedMethod,
)
from .views import TOKEN_PATH, api, bearer_token
from .web import BACKEND_KEY, DEFAULT_CLIENT_KEY, backend, error_response, json_response

__all__ = ["create_app"]

log = logging.getLogger("fake_listrak")

# Bodies of injected `status` faults that give none: Listrak's envelope with a fitting code.
_FAULT_CODES = {
    400: ("ERROR_INVALID_PARAMETER", "An invalid value was supplied for {Parameter}."),
    401: ("ERROR_UNAUTHORIZED", "Authorization was denied for this request."),
    404: (
        "ERROR_UNABLE_TO_LOCATE_RESOURCE",
        "Unable to locate a resource associated with the listId supplied.",
    ),
    429: ("ERROR_TOO_MANY_REQUESTS", "Too many requests; retry after the time the Retry-After header gives."),
    500: ("ERROR_UNHANDLED_EXCEPTION", UnhandledException.default_message),
    503: ("ERROR_SERVICE_UNAVAILABLE", "The service is temporarily unavailable."),
}


def create_app(backend: ListrakBackend | None = None, config: Mapping[str, Any] | None = None) -> Flask:
    """Build the fake Listrak around `backend` (a fresh one by default).

    Config keys: `CLIENT_ID` and `CLIENT_SECRET` register a client (a secret is generated if
    none is given and the client is new) and make it the one admin requests act for when they
    name none; `TOKEN_LIFETIME`, `PAGE_SIZE_CAP`, `CLOCK` and `FAULT_SEED` configure a backend
    created here.
    """
    app = Flask("fake_listrak")
    app.config.update(config or {})
    # Listrak answers a path as it comes: no redirects to a canonical form (a trailing slash is
    # simply accepted, a doubled one is an unknown route).
    app.url_map.strict_slashes = False
    app.url_map.merge_slashes = False
    if backend is None:
        backend = ListrakBackend(
            app.config.get("CLOCK"),
            token_lifetime=app.config.get("TOKEN_LIFETIME", 3599),
            page_size_cap=app.config.get("PAGE_SIZE_CAP"),
            fault_seed=app.config.get("FAULT_SEED", 0),
        )
    app.extensions[BACKEND_KEY] = backend
    client_id, secret = app.config.get("CLIENT_ID"), app.config.get("CLIENT_SECRET")
    if client_id is not None or secret is not None:
        known = {c.client_id for c in backend.clients()}
        if secret is not None or client_id not in known:
            client_id = backend.register_client(client_id, secret).client_id
        app.extensions[DEFAULT_CLIENT_KEY] = client_id
    app.register_blueprint(api)
    app.register_blueprint(admin)
    app.before_request(_inject_fault)
    app.after_request(_inject_fault_after)
    app.register_error_handler(ListrakError, error_response)
    app.register_error_handler(FaultSpecError, _fault_spec_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    app.wsgi_app = FaultMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    return app


def _partition() -> str | None:
    """The client a request acts for, without judging its credentials (faults fire before auth)."""
    if request.path == TOKEN_PATH:
        client_id = request.form.get("client_id")
        if client_id is None and request.authorization is not None:
            client_id = request.authorization.username
        return client_id
    token = bearer_token()
    return backend().tokens.owner(token) if token else None


def _inject_fault() -> Response | None:
    if request.blueprint != api.name or not backend().faults.armed:
        return None
    partition = _partition()
    fault = backend().faults.check(request.method, request.path, partition)
    if fault is None:
        return None
    if fault.action == "revoke_tokens":
        if fault.after:
            g.revoke_after = partition
        elif partition is not None:
            backend().revoke_tokens(partition)
        return None
    reply = enact(fault, request.environ)
    return None if reply is None else _fault_reply(reply)


def _inject_fault_after(response: Response) -> Response:
    if request.blueprint != api.name:
        return response
    partition = g.pop("revoke_after", None)
    if partition is not None:
        backend().revoke_tokens(partition)
    reply = enact_after(request.environ)
    return response if reply is None else _fault_reply(reply)


def _fault_reply(reply: FaultReply) -> Response:
    headers = dict(reply.headers)
    if reply.body is None:
        code, message = _FAULT_CODES.get(reply.status, ("ERROR_INJECTED_FAULT", "An injected fault answered."))
        return json_response({"status": reply.status, "error": code, "message": message}, reply.status, headers)
    if isinstance(reply.body, bytes | str):
        return Response(reply.body, reply.status, headers=headers, content_type="application/json; charset=utf-8")
    return Response(json.dumps(reply.body), reply.status, headers=headers, content_type="application/json")


def _fault_spec_error(error: FaultSpecError) -> Response:
    return json_response({"status": 400, "error": "ERROR_INVALID_FAULT", "message": error.message}, 400)


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    if status == 404:
        return error_response(UnknownRoute(request.path))
    if status == 405:
        allowed = [m for m in (getattr(error, "valid_methods", None) or []) if m not in ("HEAD", "OPTIONS")]
        return error_response(UnsupportedMethod(request.method, allowed))
    if status == 400:
        # Werkzeug refuses some bodies before a view sees them (a form it cannot decode).
        return error_response(MalformedRequestBody())
    name = (error.name or "error").upper().replace(" ", "_")
    return error_response(ListrakError(error.description or error.name, code=f"ERROR_{name}", status=status))


def _unexpected_error(error: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.path)
    return error_response(UnhandledException())
