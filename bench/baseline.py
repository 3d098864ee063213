"""Baseline WSGI apps: the least a server could do for the same requests, served the same way."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

_SUCCESS = b'{"success": true}'


def parse_and_ack(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    """Reads the body, parses the JSON, answers {"success": true}: Segment's API with no work."""
    if environ.get("PATH_INFO") == "/_fake/health":
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "2")])
        return [b"{}"]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    json.loads(environ["wsgi.input"].read(length))
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(_SUCCESS)))])
    return [_SUCCESS]
