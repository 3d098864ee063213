"""The pure ingest steps: write keys, batch expansion, Segment's drop rules and enrichment."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from fake_segment.decoding import MESSAGE_LIMIT
from fake_segment.exceptions import InvalidJSON, MissingWriteKey, PayloadTooLarge
from fake_segment.ingest import Enricher, discard_reason, expand, write_key_from


def basic(user: str) -> str:
    return "Basic " + base64.b64encode(user.encode()).decode()


@pytest.mark.parametrize(
    ("authorization", "body", "expected"),
    [
        (basic("wk1:"), {}, "wk1"),
        (basic("wk1"), {}, "wk1"),  # no colon: still accepted for backward compatibility
        (basic("wk1:"), {"writeKey": "other"}, "wk1"),
        (None, {"writeKey": "wk2"}, "wk2"),
        ("Bearer some-token", {"writeKey": "wk3"}, "wk3"),
    ],
)
def test_write_key_comes_from_basic_auth_or_the_body(authorization: str | None, body: dict, expected: str) -> None:
    assert write_key_from(authorization, body) == expected


@pytest.mark.parametrize(
    ("authorization", "body", "message"),
    [
        (None, {}, "No write key"),
        ("Bearer token-without-key", {}, "No write key"),
        (basic(":"), {}, "No write key"),
        ("Basic !!!notbase64", {}, "not valid Basic auth"),
        (None, {"writeKey": 42}, "must be a string"),
    ],
)
def test_missing_or_malformed_write_key_is_explained(authorization: str | None, body: dict, message: str) -> None:
    with pytest.raises(MissingWriteKey, match=message):
        write_key_from(authorization, body)


def test_single_call_takes_its_type_from_the_endpoint_and_drops_the_write_key() -> None:
    expanded = expand("identify", {"type": "track", "userId": "u", "writeKey": "k"}, 40)
    assert expanded.items == [{"type": "identify", "userId": "u"}]


def test_batch_context_and_integrations_merge_into_each_item() -> None:
    body = {
        "batch": [
            {"type": "identify", "userId": "a", "context": {"ip": "1.1.1.1"}, "integrations": {"X": False}},
            {"type": "track", "userId": "b", "event": "E"},
        ],
        "context": {"library": {"name": "lib"}, "ip": "9.9.9.9"},
        "integrations": {"All": True},
        "sentAt": "2024-01-01T00:00:00Z",
    }
    expanded = expand("batch", body, 300)
    first, second = expanded.items
    assert first["context"] == {"library": {"name": "lib"}, "ip": "1.1.1.1"}
    assert first["integrations"] == {"All": True, "X": False}
    assert second["context"] == {"library": {"name": "lib"}, "ip": "9.9.9.9"}
    assert expanded.sent_at == "2024-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("body", "message"),
    [([], "must be a JSON object"), ({"batch": {}}, "`batch` array"), ({}, "saw none")],
)
def test_malformed_batch_envelope_is_a_400(body: object, message: str) -> None:
    with pytest.raises(InvalidJSON, match=message):
        expand("batch", body, 10)


def test_empty_batch_is_dropped_with_its_reason() -> None:
    assert [d[0] for d in expand("batch", {"batch": []}, 11).dropped] == ["empty_batch"]


@pytest.mark.parametrize(("count", "kept"), [(2500, 2500), (2501, 0)])
def test_batch_over_2500_items_is_dropped_whole(count: int, kept: int) -> None:
    batch = [{"type": "track", "userId": "u", "event": "E"} for _ in range(count)]
    expanded = expand("batch", {"batch": batch}, 100)
    assert len(expanded.items) == kept
    assert len(expanded.dropped) == count - kept
    assert all(reason == "too_many_events" for reason, _, _ in expanded.dropped)


def test_batch_item_without_a_valid_type_is_dropped() -> None:
    batch = [{"userId": "u"}, "text", {"type": ["identify"]}, {"type": {}}, {"type": "identify", "userId": "u"}]
    expanded = expand("batch", {"batch": batch}, 90)
    assert len(expanded.items) == 1
    assert [d[0] for d in expanded.dropped] == ["invalid_type"] * 4


def test_batch_item_over_32kb_fails_the_request() -> None:
    item = {"type": "identify", "userId": "u", "traits": {"pad": "x" * MESSAGE_LIMIT}}
    with pytest.raises(PayloadTooLarge, match=r"batch\[0\]"):
        expand("batch", {"batch": [item]}, MESSAGE_LIMIT + 100)


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ({"type": "identify"}, "no_user_anon_id"),
        ({"type": "identify", "userId": None, "anonymousId": None}, "no_user_anon_id"),
        ({"type": "identify", "userId": ""}, "id_not_string"),
        ({"type": "identify", "userId": 42}, "id_not_string"),
        ({"type": "identify", "anonymousId": ["a"]}, "id_not_string"),
        ({"type": "identify", "userId": "u", "traits": "x"}, "traits_not_object"),
        ({"type": "identify", "userId": "u", "traits": []}, "traits_not_object"),
        ({"type": "track", "userId": "u"}, "event_not_defined"),
        ({"type": "track", "userId": "u", "event": ""}, "event_not_defined"),
        ({"type": "identify", "userId": "u", "traits": {}}, None),
        ({"type": "track", "anonymousId": "a", "event": "E"}, None),
        ({"type": "alias", "userId": "u", "previousId": "p"}, None),
        # With a good anonymousId every other rule still applies.
        ({"type": "identify", "anonymousId": "a", "userId": ""}, "id_not_string"),
        ({"type": "identify", "anonymousId": "a", "userId": 7}, "id_not_string"),
        ({"type": "identify", "anonymousId": "a", "traits": []}, "traits_not_object"),
        ({"type": "track", "anonymousId": "a"}, "event_not_defined"),
        ({"type": "alias", "anonymousId": "a", "previousId": 5}, "id_not_string"),
        ({"type": "page", "anonymousId": "a", "userId": "u", "traits": None}, None),
    ],
)
def test_drop_rules_match_segment(message: dict, reason: str | None) -> None:
    found = discard_reason(message)
    assert (found[0] if found else None) == reason


RECEIVED = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
RECEIVED_AT = "2024-05-01T12:00:00.000Z"


def test_timestamp_is_corrected_for_client_clock_skew() -> None:
    message = {"timestamp": "2024-05-01T10:00:00Z"}
    # The client's clock is 1 hour behind: it says it sent at 11:00 what we got at 12:00.
    Enricher(RECEIVED, RECEIVED_AT).enrich(message, "2024-05-01T11:00:00Z")
    assert message == {
        "timestamp": "2024-05-01T11:00:00.000Z",
        "originalTimestamp": "2024-05-01T10:00:00Z",
        "receivedAt": RECEIVED_AT,
    }


def test_without_sent_at_the_client_timestamp_stands() -> None:
    message = {"timestamp": "2024-05-01T10:00:00.250+02:00"}
    Enricher(RECEIVED, RECEIVED_AT).enrich(message, None)
    assert message["timestamp"] == "2024-05-01T08:00:00.250Z"


def test_without_timestamp_the_server_time_is_used() -> None:
    message: dict = {}
    Enricher(RECEIVED, RECEIVED_AT).enrich(message, None)
    assert message == {"timestamp": RECEIVED_AT, "originalTimestamp": RECEIVED_AT, "receivedAt": RECEIVED_AT}


def test_unparseable_timestamp_is_kept_as_original_and_replaced() -> None:
    message = {"timestamp": "yesterday"}
    Enricher(RECEIVED, RECEIVED_AT).enrich(message, None)
    assert message["originalTimestamp"] == "yesterday"
    assert message["timestamp"] == RECEIVED_AT


def test_messages_sharing_timestamps_are_each_corrected() -> None:
    enricher = Enricher(RECEIVED, RECEIVED_AT)
    first, second, third = {"timestamp": "2024-05-01T10:00:00Z"}, {"timestamp": "2024-05-01T10:00:00Z"}, {}
    enricher.enrich(first, "2024-05-01T11:00:00Z")
    enricher.enrich(second, "2024-05-01T10:30:00Z")
    enricher.enrich(third, "2024-05-01T11:00:00Z")
    assert [m["timestamp"] for m in (first, second, third)] == [
        "2024-05-01T11:00:00.000Z",
        "2024-05-01T11:30:00.000Z",
        RECEIVED_AT,
    ]


def test_non_string_times_fall_back_to_the_server_time() -> None:
    message = {"timestamp": 1714550400}
    Enricher(RECEIVED, RECEIVED_AT).enrich(message, {"not": "a time"})
    assert message["timestamp"] == RECEIVED_AT
    assert message["originalTimestamp"] == 1714550400


def test_messages_with_equal_timestamps_keep_one_copy_of_the_string() -> None:
    first, second = json.loads('[{"timestamp": "2024-05-01T10:00:00Z"}, {"timestamp": "2024-05-01T10:00:00Z"}]')
    assert first["timestamp"] is not second["timestamp"]
    enricher = Enricher(RECEIVED, RECEIVED_AT)
    enricher.enrich(first, "2024-05-01T11:00:00Z")
    enricher.enrich(second, "2024-05-01T11:00:00Z")
    assert first == second
    assert first["originalTimestamp"] is second["originalTimestamp"]
    assert first["timestamp"] is second["timestamp"]


def test_batch_items_share_one_string_for_their_type() -> None:
    body = json.loads('{"batch": [{"type": "identify", "userId": "a"}, {"type": "identify", "userId": "b"}]}')
    assert body["batch"][0]["type"] is not body["batch"][1]["type"]
    first, second = expand("batch", body, 100).items
    assert first["type"] == "identify" and first["type"] is second["type"]


def test_enrich_all_gives_the_batch_sent_at_only_to_messages_without_their_own() -> None:
    own = {"timestamp": "2024-05-01T10:00:00Z", "sentAt": "2024-05-01T10:30:00Z"}
    inherits = {"timestamp": "2024-05-01T10:00:00Z"}
    Enricher(RECEIVED, RECEIVED_AT).enrich_all([own, inherits], "2024-05-01T11:00:00Z")
    assert own["sentAt"] == "2024-05-01T10:30:00Z" and own["timestamp"] == "2024-05-01T11:30:00.000Z"
    assert inherits["sentAt"] == "2024-05-01T11:00:00Z" and inherits["timestamp"] == "2024-05-01T11:00:00.000Z"
    alone = {"timestamp": "2024-05-01T10:00:00Z"}
    Enricher(RECEIVED, RECEIVED_AT).enrich_all([alone], None)
    assert "sentAt" not in alone and alone["timestamp"] == "2024-05-01T10:00:00.000Z"
