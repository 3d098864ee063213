"""The fake Segment's HTTP face: a Flask app over a SegmentBackend. Views parse, call, serialise.

Ingest routes emulate Segment's Tracking API under `/v1`; the fake's own inspection and admin
routes live under `/_fake/` and are described by `/_fake/openapi.json`.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wsgi import get_input_stream

from fake_segment.backend import SegmentBackend
from fake_segment.exceptions import BadRequest, ClockNotSettable, SegmentError
from harness.fakekit.clock import parse_iso
from harness.fakekit.faults import FaultSpecError, parse_fault
from harness.fakekit.wsgi import FaultMiddleware, FaultReply, enact, enact_after

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["ENDPOINTS", "TrackingAPI", "create_app", "fault_body"]

# Path segment under /v1 -> the call it makes (the short forms are the ones Segment's libraries use).
ENDPOINTS = {
    "identify": "identify",
    "i": "identify",
    "track": "track",
    "t": "track",
    "page": "page",
    "p": "page",
    "screen": "screen",
    "group": "group",
    "g": "group",
    "alias": "alias",
    "a": "alias",
    "batch": "batch",
    "import": "batch",
}

_SUCCESS = b'{"success": true}'
log = logging.getLogger("fake_segment")
admin = Blueprint("segment_admin", __name__, url_prefix="/_fake")


def create_app(backend: SegmentBackend | None = None, config: dict[str, Any] | None = None) -> Flask:
    """Build the fake Segment app around `backend` (a fresh one by default)."""
    app = Flask(__name__)
    app.config.update(config or {})
    app.extensions["segment_backend"] = backend or SegmentBackend()
    app.register_blueprint(admin)
    app.register_error_handler(SegmentError, _segment_error)
    app.register_error_handler(FaultSpecError, _fault_spec_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    tracking = TrackingAPI(app.extensions["segment_backend"], app.wsgi_app)
    app.wsgi_app = FaultMiddleware(tracking)  # type: ignore[method-assign]
    return app


def _backend() -> SegmentBackend:
    backend: SegmentBackend = current_app.extensions["segment_backend"]
    return backend


# -- Tracking API ---------------------------------------------------------------------------
# -- Tracking API ---------------------------------------------------------------------------
class TrackingAPI:
    """WSGI app for Segment's ingest routes, `POST /v1/{endpoint}`; every other path goes to `admin`.

    The one hot route of the fake answers without Flask's request machinery (about a tenth of the
    cost of a 100-message batch): read, check faults, apply, answer.

    Requests are worked on one at a time, from reading the body to sending the answer (through
    the WSGI `write()` callable, so the bytes leave inside the turn). Under the GIL, two handler
    threads each busy with a batch only take turns anyway, and while one holds waitress's output
    lock waiting for the interpreter, waitress's I/O thread spins on the pending answer: taking
    turns explicitly nearly doubles throughput. A request no fault matches is read, applied and
    answered in one turn; a fault's delays, before or after the apply, happen outside the turn.
    """

    def __init__(self, backend: SegmentBackend, admin: WSGIApplication) -> None:
        self.backend = backend
        self.admin = admin
        self._turn = threading.Lock()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO", "")
        kind = ENDPOINTS.get(path[4:]) if path.startswith("/v1/") else None
        if kind is None:
            return self.admin(environ, start_response)
        try:
            if environ["REQUEST_METHOD"] != "POST":
                raise SegmentError(
                    f"{environ['REQUEST_METHOD']} is not allowed on {path}; use POST.",
                    code="method_not_allowed",
                    status=405,
                )
            backend = self.backend
            with self._turn:
                read = backend.read_request(
                    kind,
                    get_input_stream(environ),
                    authorization=environ.get("HTTP_AUTHORIZATION"),
                    content_encoding=environ.get("HTTP_CONTENT_ENCODING"),
                )
                fault = backend.faults.check("POST", path, read.write_key)
                if fault is None:
                    backend.apply(read)
                    _send(start_response, 200, _SUCCESS, write=True)
                    return []
            # A fault fired: what it does (a delay, above all) happens outside the turn.
            if (reply := enact(fault, environ)) is not None:
                return _send(start_response, reply.status, fault_body(reply), reply.headers)
            with self._turn:
                backend.apply(read)
            if (reply := enact_after(environ)) is not None:
                return _send(start_response, reply.status, fault_body(reply), reply.headers)
            return _send(start_response, 200, _SUCCESS)
        except SegmentError as error:
            return _send(start_response, error.status, _dumps(error.to_body()))
        except Exception as error:
            log.exception("unexpected error on POST %s", path)
            return _send(start_response, 500, _dumps(_internal_error(error)))


def fault_body(reply: FaultReply) -> bytes:
    """The body of an injected fault's answer: the fault's own, or an error saying it was injected."""
    if reply.body is None:
        return _dumps({"code": "fault_injected", "message": f"Injected fault: status {reply.status}."})
    if isinstance(reply.body, bytes):
        return reply.body
    if isinstance(reply.body, str):
        return reply.body.encode()
    return _dumps(reply.body)


def _send(
    start_response: StartResponse,
    status: int,
    body: bytes,
    headers: Mapping[str, str] | None = None,
    *,
    write: bool = False,
) -> list[bytes]:
    """Start the response; with `write`, send the body now through write() and return no iterable body."""
    response_headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    if headers:
        response_headers.extend(headers.items())
    sender = start_response(f"{status} {HTTP_STATUS_CODES.get(status, 'Unknown')}", response_headers)
    if write:
        sender(body)
        return []
    return [body]


def _dumps(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()


def _internal_error(error: Exception) -> dict[str, str]:
    return {"code": "internal_error", "message": f"The fake failed unexpectedly: {error!r}."}


# -- inspection -----------------------------------------------------------------------------
@admin.get("/health")
def health() -> Response:
    return _json({"status": "ok", **_backend().counts()})


@admin.get("/messages")
def messages() -> Response:
    args = request.args
    found = _backend().messages(
        write_key=args.get("writeKey"),
        type=args.get("type"),
        user_id=args.get("userId"),
        anonymous_id=args.get("anonymousId"),
        message_id=args.get("messageId"),
        since=args.get("since"),
        until=args.get("until"),
        after_seq=_int_arg("afterSeq"),
    )
    page = _page(found)
    return _json({"count": len(found), "messages": [m.to_dict() for m in page]})


@admin.get("/discards")
def discards() -> Response:
    found = _backend().discards(write_key=request.args.get("writeKey"), reason=request.args.get("reason"))
    page = _page(found)
    return _json({"count": len(found), "discards": [d.to_dict() for d in page]})


@admin.get("/profiles")
def profiles() -> Response:
    args = request.args
    ids = {k: args[k] for k in ("userId", "anonymousId", "email") if k in args}
    found = _backend().profiles(args.get("writeKey"), **ids)
    return _json({"count": len(found), "profiles": [{"writeKey": k, **p.to_dict()} for k, p in found]})


@admin.get("/traits")
def trait_views() -> Response:
    write_key = _required_arg("writeKey")
    kind = request.args.get("kind", "anonymousId")
    return _json({"writeKey": write_key, "kind": kind, "views": _backend().trait_views(write_key, kind)})  # type: ignore[arg-type]


@admin.get("/traits/<kind>/<path:value>")
def trait_view(kind: str, value: str) -> Response:
    write_key = _required_arg("writeKey")
    if kind == "anonymousId":
        traits = _backend().trait_view(write_key, "anonymousId", value)
    elif kind == "userId":
        traits = _backend().trait_view(write_key, "userId", value)
    else:
        raise BadRequest(f"Trait views are kept per anonymousId or userId, not {kind!r}.")
    return _json({"writeKey": write_key, kind: value, "traits": traits})


# -- admin ----------------------------------------------------------------------------------
@admin.post("/reset")
def reset() -> Response:
    body = _json_body(optional=True)
    write_key = body.get("writeKey", request.args.get("writeKey"))
    if write_key is not None and not isinstance(write_key, str):
        raise BadRequest(f"writeKey must be a string, saw {write_key!r}.")
    _backend().reset(write_key)
    return _json({"reset": write_key or "all"})


@admin.get("/settings")
def get_settings() -> Response:
    return _json(_backend().settings.to_dict())


@admin.put("/settings")
def put_settings() -> Response:
    body = _json_body()
    unknown = set(body) - {"retention", "dedupeScope", "writeKeys"}
    if unknown:
        raise BadRequest(f"Unknown settings {sorted(unknown)}: expected retention, dedupeScope, writeKeys.")
    settings = _backend().update_settings(
        retention=body.get("retention"),
        dedupe_scope=body.get("dedupeScope"),
        write_keys=body.get("writeKeys", False),
    )
    return _json(settings.to_dict())


@admin.get("/faults")
def list_faults() -> Response:
    faults = _backend().faults.list(request.args.get("writeKey"))
    return _json({"faults": [f.to_dict() for f in faults]})


@admin.post("/faults")
def add_fault() -> Response:
    fault = _backend().faults.add(parse_fault(_json_body()))
    return _json(fault.to_dict(), status=201)


@admin.put("/faults")
def set_faults() -> Response:
    body = _json_body()
    specs = body.get("faults") if isinstance(body, dict) else None
    if not isinstance(specs, list):
        raise BadRequest('Expected {"faults": [...]}: a list of fault specs.')
    faults = [parse_fault(spec) for spec in specs]
    _backend().faults.set(faults)
    return _json({"faults": [f.to_dict() for f in faults]})


@admin.delete("/faults")
def clear_faults() -> Response:
    _backend().faults.clear(request.args.get("writeKey"))
    return _json({"faults": []})


@admin.get("/faults/fired")
def fired_faults() -> Response:
    fired = _backend().faults.fired(request.args.get("writeKey"))
    return _json({"fired": [f.to_dict() for f in fired]})


@admin.get("/clock")
def get_clock() -> Response:
    clock = _backend().clock
    return _json({"now": clock.now().isoformat(), "settable": hasattr(clock, "set")})


@admin.put("/clock")
def set_clock() -> Response:
    clock = _settable_clock()
    now = _json_body().get("now")
    when = parse_iso(now) if isinstance(now, str) else None
    if when is None:
        raise BadRequest(f'Expected {{"now": "<ISO-8601 time>"}}, saw now={now!r}.')
    clock.set(when)
    return _json({"now": clock.now().isoformat(), "settable": True})


@admin.post("/clock/advance")
def advance_clock() -> Response:
    clock = _settable_clock()
    seconds = _json_body().get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        raise BadRequest(f'Expected {{"seconds": <non-negative number>}}, saw seconds={seconds!r}.')
    clock.advance(seconds)
    return _json({"now": clock.now().isoformat(), "settable": True})


@admin.get("/openapi.json")
def openapi() -> Response:
    document = resources.files("fake_segment").joinpath("openapi.json").read_bytes()
    return Response(document, 200, content_type="application/json")


# -- helpers --------------------------------------------------------------------------------
def _settable_clock() -> Any:
    clock = _backend().clock
    if not hasattr(clock, "set"):
        raise ClockNotSettable("This fake runs on the wall clock; start it with a manual clock to drive time.")
    return clock


def _json(payload: Any, status: int = 200) -> Response:
    try:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    except (RecursionError, ValueError):
        # A stored message can be nested as deeply as the JSON decoder allowed; answer anyway.
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=repr, check_circular=False)
    return Response(body, status, content_type="application/json")


def _json_body(*, optional: bool = False) -> dict[str, Any]:
    raw = request.get_data(cache=False)
    if not raw.strip():
        if optional:
            return {}
        raise BadRequest("Expected a JSON object in the body, saw an empty body.")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise BadRequest("Expected a JSON object in the body, saw invalid JSON.") from None
    if not isinstance(body, dict):
        raise BadRequest(f"Expected a JSON object in the body, saw {type(body).__name__}.")
    return body


def _required_arg(name: str) -> str:
    value = request.args.get(name)
    if not value:
        raise BadRequest(f"The query parameter {name} is required here.")
    return value


def _int_arg(name: str) -> int | None:
    value = request.args.get(name)
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        raise BadRequest(f"The query parameter {name} must be a non-negative integer, saw {value!r}.") from None
    if number < 0:
        raise BadRequest(f"The query parameter {name} must be a non-negative integer, saw {value!r}.")
    return number


def _page(items: list[Any]) -> list[Any]:
    offset = _int_arg("offset") or 0
    limit = _int_arg("limit")
    return items[offset : offset + limit if limit is not None else None]


def _segment_error(error: SegmentError) -> Response:
    return _json(error.to_body(), status=error.status)


def _fault_spec_error(error: FaultSpecError) -> Response:
    return _json({"code": "bad_fault", "message": str(error)}, status=400)


def _http_error(error: HTTPException) -> Response:
    code = (error.name or "error").lower().replace(" ", "_")
    message = error.description or error.name
    if error.code == 405:
        allowed = ", ".join(sorted(getattr(error, "valid_methods", None) or []))
        message = f"{request.method} is not allowed on {request.path}; use {allowed or 'another method'}."
    elif error.code == 404:
        message = f"There is nothing at {request.path}."
    return _json({"code": code, "message": message}, status=error.code or 500)


def _unexpected_error(error: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.path)
    return _json({"code": "internal_error", "message": f"The fake failed unexpectedly: {error!r}."}, status=500)
