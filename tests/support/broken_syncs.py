"""Deliberately broken syncs for the checker's tests: the reference, with its outgoing Segment batches rewritten.

Each is `python:broken_syncs:NAME` (tests/support is on the path): a small, realistic bug in an
otherwise correct sync, so that the checker must catch exactly the rule it breaks.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from typing import Any

import httpx

from harness.impls import ReferenceImpl, SyncContext, SyncOutcome

Rewrite = Callable[[dict[str, Any]], dict[str, Any]]


class RewritingTransport(httpx.BaseTransport):
    """Passes requests on, after rewriting each message of a `/v1/batch` body."""

    def __init__(self, inner: httpx.BaseTransport, rewrite: Rewrite) -> None:
        self.inner = inner
        self.rewrite = rewrite

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/batch"):
            body = json.loads(request.read())
            body["batch"] = [self.rewrite(message) for message in body["batch"]]
            headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
            request = httpx.Request(request.method, request.url, headers=headers, content=json.dumps(body).encode())
        return self.inner.handle_request(request)


def _run(context: SyncContext, rewrite: Rewrite) -> SyncOutcome:
    assert context.segment_transport is not None
    wrapped = dataclasses.replace(context, segment_transport=RewritingTransport(context.segment_transport, rewrite))
    outcome = ReferenceImpl(sleep=lambda _s: None).run(wrapped)
    if not outcome.ok:
        raise RuntimeError(outcome.error)
    return outcome


def _list_traits(message: dict[str, Any]) -> list[str]:
    return [name for name in message.get("traits", {}) if name.lower().startswith("listrak_list_")]


def _omit_removal(message: dict[str, Any]) -> dict[str, Any]:
    for name in _list_traits(message):
        if message["traits"][name] is None:
            del message["traits"][name]
    return message


def omit_removal(context: SyncContext) -> SyncOutcome:
    """Removes a list trait by leaving it out of the identify (Segment keeps the old true)."""
    return _run(context, _omit_removal)


def _false_removal(message: dict[str, Any]) -> dict[str, Any]:
    for name in _list_traits(message):
        if message["traits"][name] is None:
            message["traits"][name] = False
    return message


def false_removal(context: SyncContext) -> SyncOutcome:
    """Removes a list trait by sending false."""
    return _run(context, _false_removal)


def _string_true(message: dict[str, Any]) -> dict[str, Any]:
    for name in _list_traits(message):
        if message["traits"][name] is True:
            message["traits"][name] = "true"
    return message


def string_true(context: SyncContext) -> SyncOutcome:
    """Sends the string "true" for a subscribed list."""
    return _run(context, _string_true)


def _empty_user_id(message: dict[str, Any]) -> dict[str, Any]:
    if message.get("type") == "identify":
        message.setdefault("userId", "")
    return message


def empty_user_id(context: SyncContext) -> SyncOutcome:
    """Sends userId "" when the contact has no value."""
    return _run(context, _empty_user_id)


def _lower_case(message: dict[str, Any]) -> dict[str, Any]:
    message["anonymousId"] = message["anonymousId"].lower()
    if isinstance(message.get("traits"), dict) and "email" in message["traits"]:
        message["traits"]["email"] = message["traits"]["email"].lower()
    return message


def lower_case(context: SyncContext) -> SyncOutcome:
    """Normalises the address to lower case (anonymousId and email trait)."""
    return _run(context, _lower_case)


def _no_email(message: dict[str, Any]) -> dict[str, Any]:
    if isinstance(message.get("traits"), dict):
        message["traits"].pop("email", None)
    return message


def no_email(context: SyncContext) -> SyncOutcome:
    """Leaves traits.email out of the identify."""
    return _run(context, _no_email)


def _other_spelling(message: dict[str, Any]) -> dict[str, Any]:
    traits = message.get("traits")
    if isinstance(traits, dict):
        message["traits"] = {
            (
                ("listrak_list_" if k.startswith("Listrak_") else "Listrak_list_") + k[13:]
                if k in _list_traits(message)
                else k
            ): v
            for k, v in traits.items()
        }
    return message


def other_spelling(context: SyncContext) -> SyncOutcome:
    """Spells the list trait as the other revision does."""
    return _run(context, _other_spelling)


def _id_per_pair(message: dict[str, Any]) -> dict[str, Any]:
    # The id of the (address, list) pair, not of the change: an unsubscribe reuses the subscribe's id.
    key = f"{message.get('type')}|{message.get('event')}|{message['anonymousId']}|{sorted(_list_traits(message))}"
    message["messageId"] = "pair-" + hashlib.sha256(key.encode()).hexdigest()[:32]
    return message


def id_per_pair(context: SyncContext) -> SyncOutcome:
    """Derives the messageId from the (address, list) pair, so a later change reuses an earlier id."""
    return _run(context, _id_per_pair)


def fails(context: SyncContext) -> bool:
    """Reports failure by returning False."""
    return False


def raises(context: SyncContext) -> None:
    """Reports failure by raising."""
    raise RuntimeError("Listrak said no")


def succeeds(context: SyncContext) -> None:
    """Does nothing and reports success (returns None)."""
    return None


NOT_CALLABLE = 42
