"""Reading request bodies: JSON content types only, and bodies that parse."""

from __future__ import annotations

import pytest
from flask import Flask

from fake_listrak.exceptions import MalformedRequestBody, UnsupportedContentType
from fake_listrak.web import read_json


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8", "text/json"])
def test_json_content_types_are_read(app: Flask, content_type: str) -> None:
    with app.test_request_context(method="POST", data=b'{"a": 1}', content_type=content_type):
        assert read_json() == {"a": 1}


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_other_content_types_are_415(app: Flask, content_type: str | None) -> None:
    with (
        app.test_request_context(method="POST", data=b"{}", content_type=content_type),
        pytest.raises(UnsupportedContentType),
    ):
        read_json()


def test_a_body_that_does_not_parse_is_malformed(app: Flask) -> None:
    with (
        app.test_request_context(method="POST", data=b"{", content_type="application/json"),
        pytest.raises(MalformedRequestBody),
    ):
        read_json()
