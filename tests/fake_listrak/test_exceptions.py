"""Errors carry Listrak's code, status and message, and become its envelope."""

from __future__ import annotations

import pytest

from fake_listrak import exceptions
from fake_listrak.exceptions import (
    BannedEmailAddress,
    BannedNewEmailAddress,
    ContactNotPending,
    InvalidCredentials,
    InvalidParameter,
    ListrakError,
    PendingEmailAddress,
    PendingNewEmailAddress,
    ResourceNotFound,
    SuppressedEmail,
    SuppressedNewEmail,
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


@pytest.mark.parametrize(
    ("error", "code", "message"),
    [
        (
            BannedEmailAddress(),
            "ERROR_BANNED_EMAIL_ADDRESS",
            "The emailAddress has been banned and cannot be subscribed.",
        ),
        (BannedNewEmailAddress(), "ERROR_BANNED_NEW_EMAIL_ADDRESS", "The newEmailAddress has been banned."),
        (
            SuppressedEmail(),
            "ERROR_SUPPRESSED_EMAIL",
            "The emailAddress has already been suppressed and cannot be subscribed.",
        ),
        (SuppressedNewEmail(), "ERROR_SUPPRESSED_NEW_EMAIL", "The newEmailAddress has already been suppressed."),
        (
            PendingEmailAddress(),
            "ERROR_PENDING_EMAIL_ADDRESS",
            "The emailAddress is already pending subscription through double opt-in.",
        ),
        (
            PendingNewEmailAddress(),
            "ERROR_PENDING_NEW_EMAIL_ADDRESS",
            "The newEmailAddress is already pending subscription through double opt-in.",
        ),
    ],
    ids=["banned", "banned new", "suppressed", "suppressed new", "pending", "pending new"],
)
def test_the_documented_contact_errors_are_400_in_the_envelope(error: ListrakError, code: str, message: str) -> None:
    assert error.to_body() == {"status": 400, "error": code, "message": message}


def test_the_subscribed_email_address_error_is_never_raised() -> None:
    # listrak-api-notes.md: an upsert of an existing subscribed contact was observed to answer 200.
    codes = {cls.code for cls in vars(exceptions).values() if isinstance(cls, type) and issubclass(cls, ListrakError)}
    assert "ERROR_BANNED_EMAIL_ADDRESS" in codes
    assert "ERROR_SUBSCRIBED_EMAIL_ADDRESS" not in codes


def test_confirming_a_contact_that_is_not_pending_says_what_it_is() -> None:
    error = ContactNotPending("a@x.io", 101, "Subscribed")
    assert (error.status, error.code) == (409, "ERROR_CONTACT_NOT_PENDING")
    assert "expected a contact pending double opt-in" in error.message and "list 101 is Subscribed" in error.message
