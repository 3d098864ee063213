"""Flask helpers shared by the API and admin blueprints: the backend, JSON answers, request reading."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request

from . import render
from .backend import ListrakBackend
from .exceptions import ListrakError, UnsupportedContentType
from .parsing import QueryArgs, parse_body

__all__ = [
    "BACKEND_KEY",
    "DEFAULT_CLIENT_KEY",
    "backend",
    "default_client",
    "error_response",
    "json_response",
    "query",
    "raw_json_response",
    "read_json",
]

BACKEND_KEY = "listrak_backend"
DEFAULT_CLIENT_KEY = "listrak_default_client"
_JSON = "application/json; charset=utf-8"
_JSON_TYPES = ("application/json", "text/json")


def backend() -> ListrakBackend:
    """The backend of the app serving this request."""
    found: ListrakBackend = current_app.extensions[BACKEND_KEY]
    return found


def default_client() -> str | None:
    """The client admin requests act for when they name none."""
    found: str | None = current_app.extensions.get(DEFAULT_CLIENT_KEY)
    return found


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """`payload` as compact JSON."""
    return raw_json_response(render.dumps(payload), status, headers)


def raw_json_response(body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """An already-serialised JSON body."""
    return Response(body, status, headers=headers, content_type=_JSON)


def error_response(error: ListrakError) -> Response:
    """A typed error as Listrak answers it (the one place errors become HTTP)."""
    return json_response(error.to_body(), error.status, error.headers())


def query() -> QueryArgs:
    """The request's query parameters, as Listrak binds them."""
    return QueryArgs(request.args.items(multi=True))


def read_json() -> Any:
    """The JSON body of a POST/PUT: 415 unless the Content-Type is JSON, 400 if it does not parse."""
    mimetype = request.mimetype
    if mimetype not in _JSON_TYPES:
        raise UnsupportedContentType(request.headers.get("Content-Type"))
    return parse_body(request.get_data(cache=True))
