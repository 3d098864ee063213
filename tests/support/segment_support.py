"""Helpers for tests that talk to the fake Segment through HTTP."""

from __future__ import annotations

import base64
import json
from typing import Any

from flask.testing import FlaskClient


def basic_auth(write_key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()}


def post(client: FlaskClient, path: str, body: Any, write_key: str | None = "wk", **headers: str) -> Any:
    """POST JSON with Basic auth; returns the test response."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    all_headers = {
        "Content-Type": "application/json",
        **(basic_auth(write_key) if write_key else {}),
        **headers,
    }
    return client.post(path, data=data, headers=all_headers)


def identify(anonymous_id: str, traits: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    message: dict[str, Any] = {"type": "identify", "anonymousId": anonymous_id, **fields}
    if traits is not None:
        message["traits"] = traits
    return message
