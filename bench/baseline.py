"""Baseline WSGI apps: the least a server could do for the same requests, served the same way."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fake_segment.decoding import decode_json

_SUCCESS = b'{"success": true}'


def parse_and_ack(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    """Reads the body, parses the JSON, answers {"success": true}: Segment's API with no work.

    The JSON is read as the fake reads it (orjson), so the ratio measures what the fake does beyond.
    """
    if environ.get("PATH_INFO") == "/_fake/health":
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "2")])
        return [b"{}"]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    decode_json(environ["wsgi.input"].read(length))
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(_SUCCESS)))])
    return [_SUCCESS]
