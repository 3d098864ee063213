"""Typed errors of the fake Listrak, each carrying the HTTP status and the JSON body it becomes.

Listrak answers every failed API call with its error envelope
`{"status": N, "error": "ERROR_CODE", "message": "..."}`; the token endpoint is the exception and
answers `{"error": "Invalid Credentials"}`. The messages of the emulated API are Listrak's own
(the swagger's, or observed); the fake's admin API (`/_fake/`) uses the same envelope with
messages that say what was expected, what was seen, and where.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AdminRequestError",
    "BannedEmailAddress",
    "BannedNewEmailAddress",
    "ChangeAddressContactUnsubscribed",
    "ChangeAddressWithEvents",
    "ChangeAddressWithSegmentationData",
    "ClockNotSettable",
    "ContactNotPending",
    "InvalidCredentials",
    "InvalidParameter",
    "ListrakError",
    "MalformedRequestBody",
    "NotSubscribedEmailAddress",
    "PendingEmailAddress",
    "PendingNewEmailAddress",
    "ResourceNotFound",
    "SeedError",
    "SubscribedNewEmailAddress",
    "SuppressedEmail",
    "SuppressedNewEmail",
    "TooManySegmentationFields",
    "Unauthorized",
    "UnhandledException",
    "UnknownClient",
    "UnknownRoute",
    "UnsubscribeWithEvents",
    "UnsubscribeWithSegmentationData",
    "UnsubscribedEmailAddress",
    "UnsubscribedNewEmailAddress",
    "UnsupportedContentType",
    "UnsupportedGrantType",
    "UnsupportedMethod",
    "UpdateUnsubscribeWithEvents",
]


class ListrakError(Exception):
    """Root error: an HTTP status, a Listrak error code and one plain sentence."""

    status = 400
    code = "ERROR_INVALID_PARAMETER"
    default_message = "The request is invalid."

    def __init__(self, message: str | None = None, *, code: str | None = None, status: int | None = None):
        self.message = message if message is not None else self.default_message
        super().__init__(self.message)
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status

    def to_body(self) -> dict[str, Any]:
        """The JSON body the error is answered with."""
        return {"status": self.status, "error": self.code, "message": self.message}

    def headers(self) -> dict[str, str]:
        """Extra response headers (none by default)."""
        return {}


class InvalidParameter(ListrakError):
    """A path, query or body value that is missing, malformed or out of range."""

    def __init__(self, parameter: str, message: str | None = None) -> None:
        self.parameter = parameter
        super().__init__(message or f"An invalid value was supplied for {parameter}.")


class MalformedRequestBody(ListrakError):
    """The body is not JSON (or not UTF-8)."""

    code = "ERROR_MALFORMED_REQUEST_BODY"
    default_message = "The request body is malformed and could not be read as JSON."


class UnsupportedContentType(ListrakError):
    """A POST/PUT whose Content-Type is missing or not `application/json`."""

    status = 415
    code = "ERROR_UNSUPPORTED_CONTENT_TYPE"

    def __init__(self, seen: str | None) -> None:
        if seen:
            message = f"The request entity's media type '{seen}' is not supported for this resource."
        else:
            message = "The request has no Content-Type header."
        super().__init__(message + " Use a Content-Type of application/json.")


class Unauthorized(ListrakError):
    """No bearer token, or one that is unknown, revoked or expired."""

    status = 401
    code = "ERROR_UNAUTHORIZED"
    default_message = "Authorization was denied for this request."

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": "Bearer"}


class ResourceNotFound(ListrakError):
    """A valid route whose resource ids locate nothing; the message names the ids, as Listrak's does."""

    status = 404
    code = "ERROR_UNABLE_TO_LOCATE_RESOURCE"

    def __init__(self, *names: str) -> None:
        self.names = names
        super().__init__(f"Unable to locate a resource associated with the {_join_names(names)} supplied.")


def _join_names(names: tuple[str, ...]) -> str:
    if len(names) <= 1:
        return "".join(names)
    if len(names) == 2:
        return f"{names[0]} and {names[1]}"
    return ", ".join(names[:-1]) + f", and {names[-1]}"


class UnknownRoute(ListrakError):
    """No route of the API matches the path."""

    status = 404
    code = "ERROR_UNKNOWN_ROUTE"

    def __init__(self, path: str) -> None:
        super().__init__(f"No route matches the requested URI '{path}'.")


class UnsupportedMethod(ListrakError):
    """The route exists but not with this HTTP method."""

    status = 405
    code = "ERROR_UNSUPPORTED_METHOD"

    def __init__(self, method: str, allowed: list[str] | None = None) -> None:
        self.allowed = sorted(allowed or [])
        super().__init__(f"The requested resource does not support http method '{method}'.")

    def headers(self) -> dict[str, str]:
        return {"Allow": ", ".join(self.allowed)} if self.allowed else {}


class UnhandledException(ListrakError):
    """The catch-all: a bug in the fake, still answered in Listrak's envelope and without a traceback."""

    status = 500
    code = "ERROR_UNHANDLED_EXCEPTION"
    default_message = "An unexpected error occurred. Our development team has been notified."


class TooManySegmentationFields(ListrakError):
    """More than 30 profile field ids were requested."""

    code = "ERROR_TOO_MANY_SEGMENTATION_FIELDS"

    def __init__(self, count: int, limit: int) -> None:
        super().__init__(f"The number of requested profile fields ({count}) exceeds the limit of {limit}.")


# The contact errors of Listrak's swagger ("Error Codes", "Contact"), all 400. One documented code is
# deliberately never produced: ERROR_SUBSCRIBED_EMAIL_ADDRESS ("Subscribing a contact that has
# already been subscribed to the list"), because listrak-api-notes.md records an observed 200 for an
# upsert of an existing subscribed contact; the fake answers that upsert as an update.
class UnsubscribedEmailAddress(ListrakError):
    """Subscribing (without override) or unsubscribing a contact that is already unsubscribed."""

    code = "ERROR_UNSUBSCRIBED_EMAIL_ADDRESS"
    default_message = "The emailAddress has already been unsubscribed from the list."


class NotSubscribedEmailAddress(ListrakError):
    """Unsubscribing an address that is not a contact of the list."""

    code = "ERROR_NOT_SUBSCRIBED_EMAIL_ADDRESS"
    default_message = "The emailAddress is not a subscriber of the list."


class UnsubscribeWithSegmentationData(ListrakError):
    """Unsubscribing while also sending profile field values."""

    code = "ERROR_UNSUBSCRIBE_WITH_SEGMENTATION_DATA"
    default_message = "A contact cannot be unsubscribed while profile field values are supplied."


class UnsubscribeWithEvents(ListrakError):
    """Unsubscribing while also raising events."""

    code = "ERROR_UNSUBSCRIBE_WITH_EVENTS"
    default_message = "A contact cannot be unsubscribed while events are supplied."


class UpdateUnsubscribeWithEvents(ListrakError):
    """Updating an unsubscribed contact while raising events."""

    code = "ERROR_UPDATE_UNSUBSCRIBE_WITH_EVENTS"
    default_message = "An unsubscribed contact cannot be updated while events are supplied."


class ChangeAddressWithSegmentationData(ListrakError):
    """Changing the address while also sending profile field values."""

    code = "ERROR_CHANGE_ADDRESS_WITH_SEGMENTATION_DATA"
    default_message = "The emailAddress cannot be changed while profile field values are supplied."


class ChangeAddressWithEvents(ListrakError):
    """Changing the address while also raising events."""

    code = "ERROR_CHANGE_ADDRESS_WITH_EVENTS"
    default_message = "The emailAddress cannot be changed while events are supplied."


class ChangeAddressContactUnsubscribed(ListrakError):
    """Changing the address of a contact that is unsubscribed."""

    code = "ERROR_CHANGE_ADDRESS_CONTACT_UNSUBSCRIBED"
    default_message = "The emailAddress of an unsubscribed contact cannot be changed."


class SubscribedNewEmailAddress(ListrakError):
    """The new address is already subscribed to the list."""

    code = "ERROR_SUBSCRIBED_NEW_EMAIL_ADDRESS"
    default_message = "The newEmailAddress is already subscribed to the list."


class UnsubscribedNewEmailAddress(ListrakError):
    """The new address has already unsubscribed from the list."""

    code = "ERROR_UNSUBSCRIBED_NEW_EMAIL_ADDRESS"
    default_message = "The newEmailAddress has already been unsubscribed from the list."


class BannedEmailAddress(ListrakError):
    """Subscribing an address the account has banned."""

    code = "ERROR_BANNED_EMAIL_ADDRESS"
    default_message = "The emailAddress has been banned and cannot be subscribed."


class BannedNewEmailAddress(ListrakError):
    """Changing a contact's address to one the account has banned."""

    code = "ERROR_BANNED_NEW_EMAIL_ADDRESS"
    default_message = "The newEmailAddress has been banned."


class SuppressedEmail(ListrakError):
    """Subscribing an address the account has suppressed."""

    code = "ERROR_SUPPRESSED_EMAIL"
    default_message = "The emailAddress has already been suppressed and cannot be subscribed."


class SuppressedNewEmail(ListrakError):
    """Changing a contact's address to one the account has suppressed."""

    code = "ERROR_SUPPRESSED_NEW_EMAIL"
    default_message = "The newEmailAddress has already been suppressed."


class PendingEmailAddress(ListrakError):
    """Subscribing (or changing the address of) a contact that awaits its double opt-in confirmation."""

    code = "ERROR_PENDING_EMAIL_ADDRESS"
    default_message = "The emailAddress is already pending subscription through double opt-in."


class PendingNewEmailAddress(ListrakError):
    """Changing a contact's address to one that awaits its double opt-in confirmation on the list."""

    code = "ERROR_PENDING_NEW_EMAIL_ADDRESS"
    default_message = "The newEmailAddress is already pending subscription through double opt-in."


class InvalidCredentials(ListrakError):
    """Unknown client id or wrong secret at the token endpoint; Listrak's body here is not the envelope."""

    code = "ERROR_INVALID_CREDENTIALS"
    default_message = "Invalid Credentials"

    def to_body(self) -> dict[str, Any]:
        return {"error": "Invalid Credentials"}


class UnsupportedGrantType(ListrakError):
    """A token request whose grant_type is not `client_credentials` (OAuth 2's own error body)."""

    code = "unsupported_grant_type"

    def __init__(self, seen: str | None) -> None:
        super().__init__(f"expected grant_type=client_credentials, got {seen!r}")

    def to_body(self) -> dict[str, Any]:
        return {"error": "unsupported_grant_type"}


class AdminRequestError(ListrakError):
    """A request to the fake's admin API (or an in-process admin call) that cannot be carried out."""

    code = "ERROR_INVALID_ADMIN_REQUEST"


class SeedError(AdminRequestError):
    """A seed document that is not what the seed endpoint expects; the message names the JSON path."""

    code = "ERROR_INVALID_SEED"


class UnknownClient(AdminRequestError):
    """An admin request naming a client id that is not registered."""

    status = 404
    code = "ERROR_UNKNOWN_CLIENT"

    def __init__(self, client_id: str) -> None:
        self.client_id = client_id
        super().__init__(
            f"no client {client_id!r} is registered with the fake; register it first "
            "(POST /_fake/clients, or ListrakBackend.register_client)"
        )


class ContactNotPending(AdminRequestError):
    """A double opt-in confirmation for a contact that is not pending one."""

    status = 409
    code = "ERROR_CONTACT_NOT_PENDING"

    def __init__(self, address: str, list_id: int, state: str) -> None:
        super().__init__(
            f"expected a contact pending double opt-in to confirm, but {address!r} on list {list_id} is {state}; "
            "only a contact created with sendDoubleOptIn=true is pending until confirmed"
        )


class ClockNotSettable(ListrakError):
    """The fake runs on the wall clock, which cannot be set or advanced."""

    status = 409
    code = "ERROR_CLOCK_NOT_SETTABLE"
    default_message = (
        "the fake runs on the system clock, which cannot be set or advanced; start it with a ManualClock to drive time"
    )
