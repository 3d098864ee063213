"""The Listrak client against the fake Listrak in-process: one cached token, a refresh on 401,
contacts page by page, and clear errors for what a retry cannot mend."""

from __future__ import annotations

import gc
import weakref
from typing import Any

import httpx
import pytest
from reference_support import FIELD, LIST, World, contact, seed_list

import harness.reference.listrak as listrak_module
from harness.reference import ConfigError
from harness.reference.listrak import ListrakClient, ListrakError
from harness.reference.retry import Retrying

TOKEN = "/OAuth2/Token"
CONTACTS = "/email/v1/List/101/Contact"


@pytest.fixture
def seeded(world: World) -> World:
    contacts = ["a@x.io", contact("b@x.io", "u-b"), "c@x.io", "d@x.io", "e@x.io"]
    contacts.append(contact("f@x.io", "u-f", state="Unsubscribed"))
    world.lr.seed({"lists": [seed_list(LIST, contacts, name="News", fields=[FIELD])]})
    return world


def client(world: World, **overrides: Any) -> ListrakClient:
    return ListrakClient(world.config(**overrides), Retrying(deadline=1.0, sleep=lambda s: None))


def pages(listrak: ListrakClient, state: str = "Subscribed", field: int | None = FIELD) -> list[list[dict]]:
    return list(listrak.contacts(LIST, state, field))


def test_contacts_come_page_by_page_following_the_cursor(seeded):
    found = pages(client(seeded))
    assert [len(page) for page in found] == [2, 2, 1]
    assert [c["emailAddress"] for page in found for c in page] == ["a@x.io", "b@x.io", "c@x.io", "d@x.io", "e@x.io"]
    requests = [r for r, _ in seeded.listrak_recorder.exchanges if r.url.path == CONTACTS]
    assert "cursor" not in requests[0].url.params
    assert all(r.url.params["cursor"] for r in requests[1:])
    assert {r.url.params["count"] for r in requests} == {"5000"}
    assert {r.url.params["subscriptionState"] for r in requests} == {"Subscribed"}


def test_profile_field_is_asked_for_only_when_configured(seeded):
    with_field = pages(client(seeded))
    values = {c["emailAddress"]: c.get("segmentationFieldValues") for page in with_field for c in page}
    assert [(v["segmentationFieldId"], v["value"]) for v in values["b@x.io"]] == [(FIELD, "u-b")]
    pages(client(seeded), field=None)
    params = [r.url.params for r, _ in seeded.listrak_recorder.exchanges if r.url.path == CONTACTS]
    assert all("segmentationFieldIds" not in p for p in params)


def test_unsubscribed_contacts_carry_their_unsubscribe_method(seeded):
    [[found]] = pages(client(seeded), "Unsubscribed")
    assert found["emailAddress"] == "f@x.io"
    assert found["unsubscribeMethod"]


def test_one_token_serves_every_request(seeded):
    listrak = client(seeded)
    listrak.get_list(LIST)
    pages(listrak)
    pages(listrak, "Unsubscribed")
    assert seeded.listrak_recorder.paths().count(TOKEN) == 1
    assert listrak.token_refreshes == 0


def test_a_401_fetches_a_new_token_once_and_retries(seeded):
    seeded.lr.add_fault({"action": "status", "status": 401, "path": CONTACTS, "times": 1})
    listrak = client(seeded)
    assert sum(len(p) for p in pages(listrak)) == 5
    assert seeded.listrak_recorder.paths().count(TOKEN) == 2
    assert listrak.token_refreshes == 1


def test_revoked_tokens_are_replaced_mid_scan(seeded):
    listrak = client(seeded)
    found = listrak.contacts(LIST, "Subscribed", FIELD)
    next(found)
    seeded.lr.revoke_tokens()
    assert sum(len(p) for p in found) == 3
    assert listrak.token_refreshes == 1


def test_a_second_401_in_a_row_is_an_error_not_a_loop(seeded):
    seeded.lr.add_fault({"action": "status", "status": 401, "path": CONTACTS, "times": 2})
    with pytest.raises(ListrakError, match="401"):
        pages(client(seeded))


def test_an_unknown_list_is_a_configuration_error_naming_it(seeded):
    with pytest.raises(ConfigError, match="List 999 is not in this Listrak account"):
        client(seeded).get_list(999)


def test_an_unknown_profile_field_is_a_configuration_error_naming_it(seeded):
    with pytest.raises(ConfigError, match="profile field 77 of list 101"):
        pages(client(seeded), field=77)


def test_a_wrong_client_secret_is_a_configuration_error(seeded):
    with pytest.raises(ConfigError, match="rejected the client id and secret"):
        client(seeded, listrak_client_secret="wrong").get_list(LIST)


def test_an_answer_that_is_not_json_is_a_loud_error(seeded):
    seeded.lr.add_fault({"action": "status", "status": 200, "body": "<html>maintenance</html>", "path": CONTACTS})
    with pytest.raises(ListrakError, match="not JSON"):
        pages(client(seeded))


@pytest.mark.parametrize(
    ("body", "address"),
    [
        ('\ufeff{"data": [{"emailAddress": "bom@x.io"}], "nextPageCursor": null}', "bom@x.io"),
        ('{"data": [{"emailAddress": "x\\ud800@x.io"}], "nextPageCursor": null}', "x\ud800@x.io"),
    ],
    ids=["byte-order-mark", "lone-surrogate"],
)
def test_a_page_json_reads_but_orjson_refuses_is_still_read(seeded, body, address):
    seeded.lr.add_fault({"action": "status", "status": 200, "body": body, "path": CONTACTS, "times": 1})
    [[found]] = pages(client(seeded))
    assert found["emailAddress"] == address


def test_a_page_is_freed_once_parsed_without_waiting_for_the_cyclic_collector(seeded, monkeypatch):
    # httpx ties each response and its stream to each other; the sync's collector runs rarely, so the
    # client must release the body itself or every page would stay in memory until a pass.
    parsed: list[weakref.ref[httpx.Response]] = []
    real_json = listrak_module._json

    def remember(response: httpx.Response, what: str) -> dict[str, Any]:
        parsed.append(weakref.ref(response))
        return real_json(response, what)

    monkeypatch.setattr(listrak_module, "_json", remember)
    plain = client(seeded, listrak_transport=seeded.lr.transport())  # no recorder keeping responses
    gc.disable()
    try:
        found = pages(plain)
        assert len(parsed) >= len(found) == 3
        assert [ref() for ref in parsed[-len(found) :]] == [None] * len(found)
    finally:
        gc.enable()
