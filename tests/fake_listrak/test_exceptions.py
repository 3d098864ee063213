"""Errors carry Listrak's code, status and message, and become its envelope."""

from __future__ import annotations

import pytest

from fake_listrak.exceptions import (
    InvalidCredentials,
    InvalidParameter,
    ResourceNotFound,
    Unauthorized,
    UnsupportedContentType,
    UnsupportedMethod,
)


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (("listId",), "Unable to locate a resource associated with the listId supplied."),
        (
            ("listId", "contactIdentifier"),
            "Unable to locate a resource associated with the listId and contactIdentifier supplied.",
        ),
        (
            ("listId", "segmentationFieldGroupId", "segmentationFieldId"),
            "Unable to locate a resource associated with the listId, segmentationFieldGroupId, "
            "and segmentationFieldId supplied.",
        ),
    ],
)
def test_not_found_messages_are_listraks(names: tuple[str, ...], message: str) -> None:
    error = ResourceNotFound(*names)
    assert error.to_body() == {"status": 404, "error": "ERROR_UNABLE_TO_LOCATE_RESOURCE", "message": message}


def test_an_invalid_parameter_names_it() -> None:
    assert InvalidParameter("count").to_body()["message"] == "An invalid value was supplied for count."


def test_the_token_endpoints_error_is_not_the_envelope() -> None:
    assert InvalidCredentials().to_body() == {"error": "Invalid Credentials"}


def test_headers_that_go_with_errors() -> None:
    assert Unauthorized().headers() == {"WWW-Authenticate": "Bearer"}
    assert UnsupportedMethod("PATCH", ["PUT", "GET"]).headers() == {"Allow": "GET, PUT"}


def test_a_missing_content_type_is_said_so() -> None:
    assert UnsupportedContentType(None).message.startswith("The request has no Content-Type header.")
    assert "'text/plain'" in UnsupportedContentType("text/plain").message
