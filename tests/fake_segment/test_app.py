"""The fake Segment over HTTP (Flask test client): endpoints, auth, limits, discards, bad input,
profiles and the admin API."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from segment_support import basic_auth, identify, post

from fake_segment.app import ENDPOINTS, create_app
from fake_segment.backend import SegmentBackend
from fake_segment.decoding import BATCH_LIMIT, MESSAGE_LIMIT
from harness.fakekit.clock import ManualClock

SUCCESS = {"success": True}


def applied(client: FlaskClient, **query: str) -> list[dict[str, Any]]:
    response = client.get("/_fake/messages", query_string=query)
    assert response.status_code == 200
    return [m["message"] for m in response.get_json()["messages"]]


def discard_reasons(client: FlaskClient, **query: str) -> list[str]:
    return [d["reason"] for d in client.get("/_fake/discards", query_string=query).get_json()["discards"]]


# -- endpoints and auth ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "kind", "extra"),
    [
        ("/v1/identify", "identify", {}),
        ("/v1/i", "identify", {}),
        ("/v1/track", "track", {"event": "E"}),
        ("/v1/t", "track", {"event": "E"}),
        ("/v1/page", "page", {}),
        ("/v1/p", "page", {}),
        ("/v1/screen", "screen", {}),
        ("/v1/group", "group", {"groupId": "g1"}),
        ("/v1/g", "group", {"groupId": "g1"}),
        ("/v1/alias", "alias", {"previousId": "old"}),
        ("/v1/a", "alias", {"previousId": "old"}),
    ],
)
def test_each_single_endpoint_records_a_message_of_its_type(
    client: FlaskClient, path: str, kind: str, extra: dict[str, Any]
) -> None:
    response = post(client, path, {"userId": "u1", "type": "wrong", **extra})
    assert response.status_code == 200
    assert response.get_json() == SUCCESS
    [message] = applied(client)
    assert message["type"] == kind
    assert message["userId"] == "u1"


@pytest.mark.parametrize("path", ["/v1/batch", "/v1/import"])
def test_batch_and_import_record_every_item(client: FlaskClient, path: str) -> None:
    batch = [
        identify("a@x.io", {"email": "a@x.io"}),
        {"type": "track", "anonymousId": "a@x.io", "event": "E"},
    ]
    assert post(client, path, {"batch": batch}).status_code == 200
    assert [m["type"] for m in applied(client)] == ["identify", "track"]


@pytest.mark.parametrize(
    ("headers", "body_key"),
    [
        (basic_auth("wk-basic"), None),
        ({}, "wk-basic"),
        ({"Authorization": "Bearer an-oauth-token"}, "wk-basic"),
    ],
)
def test_every_auth_form_lands_in_the_write_keys_partition(
    client: FlaskClient, headers: dict[str, str], body_key: str | None
) -> None:
    body: dict[str, Any] = identify("a@x.io")
    if body_key:
        body["writeKey"] = body_key
    response = client.post(
        "/v1/identify", data=json.dumps(body), headers={"Content-Type": "application/json", **headers}
    )
    assert response.status_code == 200
    [message] = applied(client, writeKey="wk-basic")
    assert "writeKey" not in message  # the secret is not kept in the log


def test_missing_write_key_is_a_400_that_says_how_to_send_one(client: FlaskClient) -> None:
    response = post(client, "/v1/identify", identify("a@x.io"), write_key=None)
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "missing_write_key"
    assert "Basic auth" in body["message"] and "writeKey" in body["message"]


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "application/json; charset=utf-8"])
def test_json_is_accepted_whatever_the_content_type(client: FlaskClient, content_type: str) -> None:
    response = post(client, "/v1/identify", identify("a@x.io"), **{"Content-Type": content_type})
    assert response.status_code == 200
    assert len(applied(client)) == 1


def test_gzip_bodies_are_decompressed(client: FlaskClient) -> None:
    body = gzip.compress(json.dumps({"batch": [identify("a@x.io")]}).encode())
    assert post(client, "/v1/batch", body, **{"Content-Encoding": "gzip"}).status_code == 200
    assert applied(client)[0]["anonymousId"] == "a@x.io"


# -- limits at their boundaries -------------------------------------------------------------
def padded(size: int, template: dict[str, Any]) -> bytes:
    """A JSON body of exactly `size` bytes."""
    body = {**template, "traits": {"pad": ""}}
    base = len(json.dumps(body).encode())
    body["traits"]["pad"] = "x" * (size - base)
    data = json.dumps(body).encode()
    assert len(data) == size
    return data


@pytest.mark.parametrize(("size", "status"), [(MESSAGE_LIMIT, 200), (MESSAGE_LIMIT + 1, 400)])
def test_single_message_limit_is_32kb(client: FlaskClient, size: int, status: int) -> None:
    response = post(client, "/v1/identify", padded(size, identify("a@x.io")))
    assert response.status_code == status
    if status == 400:
        assert response.get_json()["code"] == "payload_too_large"
        assert applied(client) == []


def compact_item_of(size: int) -> dict[str, Any]:
    item = {"type": "identify", "anonymousId": "a@x.io", "traits": {"pad": ""}}
    base = len(json.dumps(item, separators=(",", ":")).encode())
    item["traits"]["pad"] = "x" * (size - base)
    return item


@pytest.mark.parametrize(("size", "status"), [(MESSAGE_LIMIT, 200), (MESSAGE_LIMIT + 1, 400)])
def test_batch_item_limit_is_32kb(client: FlaskClient, size: int, status: int) -> None:
    response = post(client, "/v1/batch", {"batch": [identify("b@x.io"), compact_item_of(size)]})
    assert response.status_code == status
    assert len(applied(client)) == (2 if status == 200 else 0)


@pytest.mark.parametrize(("size", "status"), [(BATCH_LIMIT, 200), (BATCH_LIMIT + 1, 400)])
def test_batch_request_limit_is_500kb(client: FlaskClient, size: int, status: int) -> None:
    items = [compact_item_of(20_000) for _ in range(24)]
    body = {"batch": items, "context": {"pad": ""}}
    base = len(json.dumps(body).encode())
    body["context"]["pad"] = "y" * (size - base)
    data = json.dumps(body).encode()
    assert len(data) == size
    response = post(client, "/v1/batch", data)
    assert response.status_code == status
    assert len(applied(client)) == (24 if status == 200 else 0)


@pytest.mark.parametrize(("count", "kept"), [(2500, 2500), (2501, 0)])
def test_batch_over_2500_events_is_answered_200_and_discarded(client: FlaskClient, count: int, kept: int) -> None:
    batch = [{"type": "track", "anonymousId": f"a{i}", "event": "E"} for i in range(count)]
    response = post(client, "/v1/batch", {"batch": batch})
    assert response.status_code == 200
    assert len(applied(client)) == kept
    assert discard_reasons(client).count("too_many_events") == count - kept


# -- discards -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("item", "reason"),
    [
        ({"type": "identify", "traits": {}}, "no_user_anon_id"),
        ({"type": "identify", "userId": 7}, "id_not_string"),
        ({"type": "identify", "anonymousId": ""}, "id_not_string"),
        ({"type": "identify", "userId": "u", "traits": "text"}, "traits_not_object"),
        ({"type": "track", "userId": "u"}, "event_not_defined"),
        ({"userId": "u"}, "invalid_type"),
    ],
)
def test_each_drop_rule_answers_200_and_keeps_the_reason(client: FlaskClient, item: dict, reason: str) -> None:
    assert post(client, "/v1/batch", {"batch": [item]}).get_json() == SUCCESS
    assert applied(client) == []
    [discard] = client.get("/_fake/discards").get_json()["discards"]
    assert discard["reason"] == reason
    assert discard["message"] == item
    assert discard["detail"]


def test_empty_batch_is_a_discard(client: FlaskClient) -> None:
    assert post(client, "/v1/batch", {"batch": []}).status_code == 200
    assert discard_reasons(client) == ["empty_batch"]


def test_unknown_write_key_is_answered_200_and_discarded(client: FlaskClient) -> None:
    client.put("/_fake/settings", json={"writeKeys": ["known"]})
    assert post(client, "/v1/identify", identify("a@x.io"), write_key="stranger").status_code == 200
    assert post(client, "/v1/identify", identify("b@x.io"), write_key="known").status_code == 200
    assert [m["anonymousId"] for m in applied(client)] == ["b@x.io"]
    assert discard_reasons(client, writeKey="stranger") == ["unknown_write_key"]


# -- enrichment and dedupe ------------------------------------------------------------------
def test_enrichment_adds_message_id_received_at_and_skew_corrected_timestamp(client: FlaskClient) -> None:
    batch = [identify("a@x.io", timestamp="2024-05-01T11:00:00Z"), identify("b@x.io", messageId="mine")]
    post(client, "/v1/batch", {"batch": batch, "sentAt": "2024-05-01T11:30:00Z"})
    first, second = applied(client)
    assert first["messageId"] and second["messageId"] == "mine"
    assert first["receivedAt"] == "2024-05-01T12:00:00.000Z"
    assert first["originalTimestamp"] == "2024-05-01T11:00:00Z"
    assert first["timestamp"] == "2024-05-01T11:30:00.000Z"  # 30 min of client skew removed
    assert first["sentAt"] == "2024-05-01T11:30:00Z"


def test_duplicate_message_id_is_dropped_across_write_keys(client: FlaskClient) -> None:
    post(client, "/v1/identify", identify("a@x.io", messageId="m1"), write_key="one")
    post(client, "/v1/identify", identify("b@x.io", messageId="m1"), write_key="two")
    post(
        client,
        "/v1/identify",
        identify("a@x.io", messageId="m1", timestamp="2024-01-01T00:00:00Z"),
        write_key="one",
    )
    assert len(applied(client)) == 1
    discards = client.get("/_fake/discards").get_json()["discards"]
    assert [(d["writeKey"], d["reason"], d["contentDiffers"]) for d in discards] == [
        ("two", "duplicate", True),
        ("one", "duplicate", False),
    ]


def test_dedupe_per_write_key_when_so_configured(client: FlaskClient) -> None:
    client.put("/_fake/settings", json={"dedupeScope": "write_key"})
    post(client, "/v1/identify", identify("a@x.io", messageId="m1"), write_key="one")
    post(client, "/v1/identify", identify("a@x.io", messageId="m1"), write_key="two")
    post(client, "/v1/identify", identify("a@x.io", messageId="m1"), write_key="two")
    assert len(applied(client)) == 2
    assert discard_reasons(client) == ["duplicate"]


def test_dedupe_window_is_24_hours_of_the_fake_clock(client: FlaskClient, clock: ManualClock) -> None:
    post(client, "/v1/identify", identify("a@x.io", messageId="m1"))
    clock.advance(24 * 3600 - 1)
    post(client, "/v1/identify", identify("a@x.io", messageId="m1"))
    clock.advance(1)
    post(client, "/v1/identify", identify("a@x.io", messageId="m1"))
    assert len(applied(client)) == 2


def test_retention_keeps_the_newest_messages_and_dedupe_still_remembers(client: FlaskClient) -> None:
    client.put("/_fake/settings", json={"retention": 3})
    for i in range(5):
        post(client, "/v1/identify", identify(f"u{i}@x.io", messageId=f"m{i}"))
    assert [m["messageId"] for m in applied(client)] == ["m2", "m3", "m4"]
    post(client, "/v1/identify", identify("u0@x.io", messageId="m0"))
    [discard] = client.get("/_fake/discards").get_json()["discards"]
    assert (discard["reason"], discard["duplicateOf"], discard["contentDiffers"]) == ("duplicate", 1, None)
    assert "unknown" in discard["detail"]
    # Profiles keep their full state regardless of retention.
    assert client.get("/_fake/profiles", query_string={"anonymousId": "u0@x.io"}).get_json()["count"] == 1


# -- spec judgement -------------------------------------------------------------------------
def test_spec_violations_are_attached_not_rejected(client: FlaskClient) -> None:
    post(client, "/v1/identify", identify("a@x.io", {"email": 5}, timestamp="not a time"))
    [record] = client.get("/_fake/messages").get_json()["messages"]
    paths = {v["path"] for v in record["violations"]}
    assert "$.traits.email" in paths
    assert all(v["message"] and v["rule"] for v in record["violations"])


def test_a_spec_valid_message_has_no_violations(client: FlaskClient) -> None:
    post(client, "/v1/identify", identify("a@x.io", {"email": "a@x.io"}, timestamp="2024-05-01T11:00:00Z"))
    [record] = client.get("/_fake/messages").get_json()["messages"]
    assert record["violations"] == []


# -- profiles through HTTP ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("second", "expected"),
    [
        ({"Listrak_list_7": True}, {"email": "a@x.io", "Listrak_list_7": True}),
        ({"Listrak_list_7": None}, {"email": "a@x.io"}),
        ({"Listrak_list_7": ""}, {"email": "a@x.io", "Listrak_list_7": ""}),
        ({"Listrak_list_7": False}, {"email": "a@x.io", "Listrak_list_7": False}),
        ({}, {"email": "a@x.io", "Listrak_list_7": True}),
    ],
    ids=["value", "null-removes", "empty-string-kept", "false-kept", "omitted-keeps"],
)
def test_trait_merge_table(client: FlaskClient, second: dict[str, Any], expected: dict[str, Any]) -> None:
    post(client, "/v1/identify", identify("a@x.io", {"email": "a@x.io", "Listrak_list_7": True}))
    post(client, "/v1/identify", identify("a@x.io", second))
    view = client.get("/_fake/traits/anonymousId/a@x.io", query_string={"writeKey": "wk"}).get_json()
    assert view["traits"] == expected
    [profile] = client.get("/_fake/profiles", query_string={"email": "a@x.io"}).get_json()["profiles"]
    assert profile["traits"] == expected


def test_anonymous_then_user_id_is_one_profile(client: FlaskClient) -> None:
    post(client, "/v1/identify", identify("a@x.io", {"email": "a@x.io"}))
    post(client, "/v1/identify", identify("a@x.io", {"plan": "pro"}, userId="u1"))
    [profile] = client.get("/_fake/profiles").get_json()["profiles"]
    assert profile["ids"]["user_id"] == ["u1"]
    assert profile["ids"]["anonymous_id"] == ["a@x.io"]
    assert profile["traits"] == {"email": "a@x.io", "plan": "pro"}


def test_second_user_id_for_a_known_email_starts_a_new_profile(client: FlaskClient) -> None:
    post(client, "/v1/identify", {"userId": "u1", "traits": {"email": "jane@x.io"}})
    post(client, "/v1/identify", {"userId": "u2", "traits": {"email": "jane@x.io"}})
    profiles = client.get("/_fake/profiles").get_json()["profiles"]
    assert len(profiles) == 2
    assert client.get("/_fake/profiles", query_string={"userId": "u2"}).get_json()["profiles"][0]["ids"] == {
        "user_id": ["u2"]
    }


def test_one_user_id_on_two_emails_is_one_profile(client: FlaskClient) -> None:
    post(client, "/v1/identify", {"userId": "u1", "anonymousId": "a@x.io", "traits": {"email": "a@x.io"}})
    post(client, "/v1/identify", {"userId": "u1", "anonymousId": "b@x.io", "traits": {"email": "b@x.io"}})
    [profile] = client.get("/_fake/profiles").get_json()["profiles"]
    assert sorted(profile["ids"]["email"]) == ["a@x.io", "b@x.io"]


def test_trait_view_of_an_unknown_id_is_a_404(client: FlaskClient) -> None:
    response = client.get("/_fake/traits/anonymousId/nobody", query_string={"writeKey": "wk"})
    assert response.status_code == 404
    assert "nobody" in response.get_json()["message"]


def test_all_trait_views_of_a_write_key(client: FlaskClient) -> None:
    post(client, "/v1/batch", {"batch": [identify("a@x.io", {"x": 1}), identify("b@x.io", {"y": None})]})
    views = client.get("/_fake/traits", query_string={"writeKey": "wk"}).get_json()["views"]
    assert views == {"a@x.io": {"x": 1}, "b@x.io": {}}


# -- bad input ------------------------------------------------------------------------------
BAD_REQUESTS = [
    ("malformed-json", "/v1/identify", b'{"userId": ', {}, 400, "invalid_json"),
    ("invalid-utf8", "/v1/identify", b'{"userId": "\xff\xfe"}', {}, 400, "invalid_json"),
    ("array-body", "/v1/identify", b"[1, 2]", {}, 400, "invalid_json"),
    ("scalar-body", "/v1/batch", b'"text"', {}, 400, "invalid_json"),
    ("deep-nesting", "/v1/batch", b"[" * 100_000 + b"]" * 100_000, {}, 400, "invalid_json"),
    (
        "ten-megabytes",
        "/v1/batch",
        b'{"batch": ["' + b"x" * (10 * 1024 * 1024) + b'"]}',
        {},
        400,
        "payload_too_large",
    ),
    (
        "gzip-bomb",
        "/v1/batch",
        gzip.compress(b" " * (110 * 1024 * 1024)),
        {"Content-Encoding": "gzip"},
        400,
        "payload_too_large",
    ),
    ("corrupt-gzip", "/v1/batch", b"not gzip", {"Content-Encoding": "gzip"}, 400, "unsupported_encoding"),
    ("missing-body", "/v1/identify", b"", {}, 400, "invalid_json"),
    ("unknown-endpoint", "/v1/nope", b"{}", {}, 404, "not_found"),
]


@pytest.mark.parametrize(
    ("path", "body", "headers", "status", "code"),
    [case[1:] for case in BAD_REQUESTS],
    ids=[case[0] for case in BAD_REQUESTS],
)
def test_bad_input_gets_a_clear_json_error_and_the_fake_keeps_serving(
    client: FlaskClient, path: str, body: bytes, headers: dict[str, str], status: int, code: str
) -> None:
    response = post(client, path, body, **headers)
    assert response.status_code == status
    error = response.get_json()
    assert error["code"] == code
    assert len(error["message"]) > 10
    assert post(client, "/v1/identify", identify("after@x.io")).status_code == 200
    assert [m["anonymousId"] for m in applied(client)] == ["after@x.io"]


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/v1/identify"), ("PUT", "/v1/batch"), ("DELETE", "/_fake/messages")]
)
def test_wrong_method_is_a_405_with_the_allowed_ones(client: FlaskClient, method: str, path: str) -> None:
    response = client.open(path, method=method)
    assert response.status_code == 405
    body = response.get_json()
    assert body["code"] == "method_not_allowed"
    assert method in body["message"]


def test_unknown_path_is_a_json_404(client: FlaskClient) -> None:
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.get_json()["code"] == "not_found"


# -- admin API ------------------------------------------------------------------------------
def test_messages_filter_by_write_key_type_ids_and_time(client: FlaskClient, clock: ManualClock) -> None:
    post(client, "/v1/identify", identify("a@x.io", userId="u1"), write_key="one")
    clock.advance(60)
    post(client, "/v1/track", {"anonymousId": "b@x.io", "event": "E"}, write_key="two")
    assert len(applied(client)) == 2
    assert [m["type"] for m in applied(client, writeKey="two")] == ["track"]
    assert [m["type"] for m in applied(client, type="identify")] == ["identify"]
    assert [m["anonymousId"] for m in applied(client, userId="u1")] == ["a@x.io"]
    assert [m["anonymousId"] for m in applied(client, anonymousId="b@x.io")] == ["b@x.io"]
    assert [m["type"] for m in applied(client, since="2024-05-01T12:00:30Z")] == ["track"]
    assert [m["type"] for m in applied(client, until="2024-05-01T12:00:30Z")] == ["identify"]
    assert [m["type"] for m in applied(client, afterSeq="1")] == ["track"]
    assert [m["type"] for m in applied(client, limit="1", offset="1")] == ["track"]


@pytest.mark.parametrize("query", [{"since": "tuesday"}, {"afterSeq": "-1"}, {"limit": "many"}])
def test_bad_admin_query_values_are_400(client: FlaskClient, query: dict[str, str]) -> None:
    response = client.get("/_fake/messages", query_string=query)
    assert response.status_code == 400
    assert response.get_json()["code"] == "bad_request"


def test_reset_one_write_key_leaves_the_others(client: FlaskClient) -> None:
    post(client, "/v1/identify", identify("a@x.io"), write_key="one")
    post(client, "/v1/identify", identify("b@x.io"), write_key="two")
    assert client.post("/_fake/reset", json={"writeKey": "one"}).status_code == 200
    assert [m["anonymousId"] for m in applied(client)] == ["b@x.io"]
    assert client.get("/_fake/profiles", query_string={"writeKey": "one"}).get_json()["count"] == 0
    client.post("/_fake/reset")
    assert applied(client) == []


def test_settings_round_trip_and_reject_nonsense(client: FlaskClient) -> None:
    assert client.put("/_fake/settings", json={"retention": 10}).get_json()["retention"] == 10
    assert client.get("/_fake/settings").get_json()["retention"] == 10
    for bad in ({"retention": 0}, {"dedupeScope": "planet"}, {"writeKeys": [1]}, {"colour": "red"}):
        response = client.put("/_fake/settings", json=bad)
        assert response.status_code == 400, bad
        assert response.get_json()["message"]


def test_faults_are_programmable_listed_and_cleared(client: FlaskClient) -> None:
    created = client.post("/_fake/faults", json={"action": "status", "status": 503, "times": 1})
    assert created.status_code == 201
    assert post(client, "/v1/identify", identify("a@x.io")).status_code == 503
    assert post(client, "/v1/identify", identify("a@x.io")).status_code == 200
    assert len(client.get("/_fake/faults/fired").get_json()["fired"]) == 1
    client.put(
        "/_fake/faults",
        json={"faults": [{"action": "status", "status": 429, "headers": {"Retry-After": "3"}}]},
    )
    response = post(client, "/v1/identify", identify("b@x.io"))
    assert response.status_code == 429 and response.headers["Retry-After"] == "3"
    assert len(client.get("/_fake/faults").get_json()["faults"]) == 1
    client.delete("/_fake/faults")
    assert post(client, "/v1/identify", identify("c@x.io")).status_code == 200


def test_a_fault_can_be_scoped_to_one_write_key(client: FlaskClient) -> None:
    client.post("/_fake/faults", json={"action": "status", "status": 500, "partition": "victim"})
    assert post(client, "/v1/identify", identify("a@x.io"), write_key="victim").status_code == 500
    assert post(client, "/v1/identify", identify("a@x.io"), write_key="bystander").status_code == 200


def test_an_after_fault_applies_the_request_then_fails_the_answer(client: FlaskClient) -> None:
    client.post("/_fake/faults", json={"action": "status", "status": 500, "after": True, "times": 1})
    assert post(client, "/v1/identify", identify("a@x.io")).status_code == 500
    assert len(applied(client)) == 1


def test_a_bad_fault_spec_is_a_400(client: FlaskClient) -> None:
    response = client.post("/_fake/faults", json={"action": "explode"})
    assert response.status_code == 400
    assert "explode" in response.get_json()["message"]


def test_clock_can_be_read_set_and_advanced(client: FlaskClient) -> None:
    assert client.get("/_fake/clock").get_json()["now"].startswith("2024-05-01T12:00:00")
    client.put("/_fake/clock", json={"now": "2025-01-01T00:00:00Z"})
    assert client.post("/_fake/clock/advance", json={"seconds": 90}).get_json()["now"].startswith("2025-01-01T00:01:30")
    assert client.post("/_fake/clock/advance", json={"seconds": -1}).status_code == 400


def test_wall_clock_cannot_be_set() -> None:
    client = create_app(SegmentBackend()).test_client()
    response = client.put("/_fake/clock", json={"now": "2025-01-01T00:00:00Z"})
    assert response.status_code == 409
    assert response.get_json()["code"] == "clock_not_settable"


def test_health_reports_counts(client: FlaskClient) -> None:
    post(client, "/v1/identify", identify("a@x.io"))
    assert client.get("/_fake/health").get_json() == {
        "status": "ok",
        "messages": 1,
        "discards": 0,
        "writeKeys": 1,
        "applied": 1,
    }


def test_openapi_documents_every_route_and_nothing_else(app: Flask, client: FlaskClient) -> None:
    document = client.get("/_fake/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    documented = {(path, method.upper()) for path, ops in document["paths"].items() for method in ops}
    served = {(f"/v1/{endpoint}", "POST") for endpoint in ENDPOINTS}  # served by TrackingAPI
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            served.add((rule.rule.replace("<path:value>", "{value}").replace("<kind>", "{kind}"), method))
    assert documented == served


# -- no input makes it fail -----------------------------------------------------------------
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
MESSAGE_LIKE = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["identify", "track", "page", "screen", "group", "alias", "x"]) | JSON,
        "userId": st.text(max_size=5) | JSON,
        "anonymousId": st.text(max_size=5) | JSON,
        "messageId": st.text(max_size=5) | JSON,
        "traits": JSON,
        "context": JSON,
        "timestamp": st.sampled_from(["2024-01-01T00:00:00Z", "nope"]) | JSON,
        "sentAt": JSON,
        "event": JSON,
        "writeKey": JSON,
    },
)
BODIES = (
    st.binary(max_size=200)
    | JSON.map(lambda v: json.dumps(v).encode())
    | MESSAGE_LIKE.map(lambda m: json.dumps(m).encode())
    | st.lists(MESSAGE_LIKE | JSON, max_size=5).map(lambda b: json.dumps({"batch": b, "sentAt": "x"}).encode())
)
PATHS = st.sampled_from(
    [f"/v1/{e}" for e in ENDPOINTS]
    + ["/v1/", "/v1/x", "/_fake/messages", "/_fake/reset", "/_fake/settings", "/_fake/faults", "/_fake/clock"]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# Found by this test once: an unhashable type in a batch item.
@example(path="/v1/batch", method="POST", body=b'{"batch":[{"type":[]}],"":""}', auth=None, encoding=None)
@given(
    path=PATHS,
    method=st.sampled_from(["POST", "PUT", "GET", "DELETE"]),
    body=BODIES,
    auth=st.sampled_from([None, "Basic d2s6", "Basic !!", "Bearer x", "Basic " + "A" * 50]),
    encoding=st.sampled_from([None, "gzip", "identity", "br"]),
)
def test_no_request_gets_a_5xx_or_a_non_json_answer(
    client: FlaskClient, path: str, method: str, body: bytes, auth: str | None, encoding: str | None
) -> None:
    headers = {"Content-Type": "application/json"}
    if auth:
        headers["Authorization"] = auth
    if encoding:
        headers["Content-Encoding"] = encoding
    response = client.open(path, method=method, data=body, headers=headers)
    assert response.status_code < 500, response.get_data()
    assert isinstance(response.get_json(), dict)
