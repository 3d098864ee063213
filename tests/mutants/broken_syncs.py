"""Mutants: deliberately broken syncs that the conformance checker must catch, each under the rule it breaks.

A conformance suite that passes every implementation proves nothing. Each mutant here is the
reference sync with one realistic bug (most rewrite its outgoing Segment batches, a few read
Listrak themselves to get the bug's input), so `tests/mutants/test_mutants.py` can show that a
campaign fails it and names the rule its docstring gives, and that the minimal history it saves
is one the reference passes. The tests of `tests/harness` use them too.

Each is `python:broken_syncs:NAME` (tests/mutants is on pytest's pythonpath); `fails`, `raises`,
`succeeds` and `NOT_CALLABLE` are the odd implementations the adapter tests need.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

import httpx

from harness.impls import ReferenceImpl, SyncContext, SyncOutcome
from harness.reference.listrak import ListrakClient
from harness.reference.retry import Retrying

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


def _run(context: SyncContext, rewrite: Rewrite | None = None) -> SyncOutcome:
    assert context.segment_transport is not None
    wrapped = context
    if rewrite is not None:
        wrapped = dataclasses.replace(context, segment_transport=RewritingTransport(context.segment_transport, rewrite))
    outcome = ReferenceImpl().run(wrapped)  # waits in the replay's virtual time
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


class _Listrak(ListrakClient):
    """The reference's Listrak client (a token refreshed on a 401, retries in the replay's time), for the
    reads a mutant makes itself; plus the account's list ids, which the reference never asks for."""

    def __init__(self, context: SyncContext) -> None:
        reference = ReferenceImpl()
        sleep, monotonic = context.sleep or time.sleep, context.monotonic or time.monotonic
        super().__init__(
            reference.config(context),
            Retrying(deadline=reference.retry_deadline, sleep=sleep, monotonic=monotonic),
        )

    def __enter__(self) -> _Listrak:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def list_ids(self) -> list[int]:
        """Every list of the account, integrated or not."""
        body = self._get("/List", {}, missing="The Listrak account has no lists")
        return sorted(int(item["listId"]) for item in body.get("data") or ())

    def values(self, list_id: int, field_id: int) -> dict[str, str]:
        """Address -> non-empty value of the field, for every contact of the list (in either state) with one."""
        found: dict[str, str] = {}
        for state in ("Subscribed", "Unsubscribed"):
            for page in self.contacts(list_id, state, field_id):
                for contact in page:
                    for item in contact.get("segmentationFieldValues") or ():
                        if item.get("segmentationFieldId") == field_id and item.get("value"):
                            found[contact["emailAddress"]] = item["value"]
        return found


def other_list_user_id(context: SyncContext) -> SyncOutcome:
    """Keeps one userId per address, its value on the last integrated list read that has one, and sends
    it with every list's trait: a list without a value, or with another value, gets another list's."""
    by_address: dict[str, str] = {}
    if context.lists:
        with _Listrak(context) as listrak:
            for entry in context.lists:
                if entry.get("profileFieldId") is not None:
                    by_address.update(listrak.values(int(entry["listId"]), int(entry["profileFieldId"])))

    def rewrite(message: dict[str, Any]) -> dict[str, Any]:
        if message.get("type") == "identify" and message["anonymousId"] in by_address:
            message["userId"] = by_address[message["anonymousId"]]
        return message

    return _run(context, rewrite)


def unintegrated_trait(context: SyncContext) -> SyncOutcome:
    """Syncs every list of the account (GET /List) as if it were integrated: a list never integrated, or
    not integrated yet, gets its trait too.

    With nothing integrated it does nothing, as the reference does; and a list once integrated, then
    removed, is left out as the reference leaves it: what Segment should show for a removed list is
    undocumented, so the checker does not judge its trait, and syncing it would only hide this bug.
    """
    if not context.lists:
        return _run(context)
    ever_file = context.state_dir / "broken-syncs-integrated.json"
    ever = set(json.loads(ever_file.read_text())) if ever_file.exists() else set()
    ever |= {int(entry["listId"]) for entry in context.lists}
    ever_file.write_text(json.dumps(sorted(ever)))
    with _Listrak(context) as listrak:
        extra = tuple({"listId": list_id} for list_id in listrak.list_ids() if list_id not in ever)
    return _run(dataclasses.replace(context, lists=context.lists + extra))


def track_user_id(context: SyncContext) -> SyncOutcome:
    """Gives the `Unsubscribed` track event (2023-08-03) the userId of the identify it goes with."""
    last: dict[str, Any] = {}

    def rewrite(message: dict[str, Any]) -> dict[str, Any]:
        if message.get("type") == "identify":
            last.clear()
            last.update(message)
        elif message.get("type") == "track" and "userId" in last and last["anonymousId"] == message["anonymousId"]:
            message["userId"] = last["userId"]
        return message

    return _run(context, rewrite)


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
