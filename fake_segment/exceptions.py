"""Typed errors of the fake Segment, each carrying the HTTP status and the JSON body it becomes.

Segment answers a rejected request with `400` and a JSON body holding `code` and `message`
(the official libraries read exactly those two keys). Every error here says what was expected,
what was seen, and where.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BadRequest",
    "ClockNotSettable",
    "InvalidJSON",
    "MissingWriteKey",
    "NotFound",
    "PayloadTooLarge",
    "SegmentError",
    "UnsupportedEncoding",
]


class SegmentError(Exception):
    """Root error: a status, a machine-readable code and one plain sentence."""

    status = 400
    code = "invalid_request"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status

    def to_body(self) -> dict[str, Any]:
        """The JSON body the error is answered with."""
        return {"code": self.code, "message": self.message}


class InvalidJSON(SegmentError):
    """The body is not JSON, not UTF-8, nested too deeply, or not the expected shape."""

    code = "invalid_json"


class PayloadTooLarge(SegmentError):
    """A request or one of its messages is over Segment's size limits."""

    code = "payload_too_large"


class MissingWriteKey(SegmentError):
    """No write key in the Authorization header nor in the body."""

    code = "missing_write_key"


class UnsupportedEncoding(SegmentError):
    """A Content-Encoding the API does not decode, or a gzip stream that is corrupt."""

    code = "unsupported_encoding"


class BadRequest(SegmentError):
    """A malformed request to the fake's own admin API."""

    code = "bad_request"


class NotFound(SegmentError):
    """Nothing at this path, or no such profile."""

    status = 404
    code = "not_found"


class ClockNotSettable(SegmentError):
    """The fake runs on the wall clock, which cannot be set or advanced."""

    status = 409
    code = "clock_not_settable"
