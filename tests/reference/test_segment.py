"""Delivery to Segment: batches within 500KB and 2500 messages, a message over 32KB reported rather
than sent, and the request itself (Basic auth, context, sentAt)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_support import LIST, World, seed_list

from harness.reference import ListConfig
from harness.reference.retry import Retrying
from harness.reference.segment import (
    BATCH_BYTES,
    BATCH_ITEMS,
    MESSAGE_BYTES,
    Batch,
    SegmentClient,
    SegmentRejected,
    batches,
)

BIG_FIELD = 9


def message(n: int, size: int = 0) -> dict[str, Any]:
    return {"type": "identify", "messageId": f"m{n}", "anonymousId": f"u{n}@x.io", "traits": {"pad": "x" * size}}


def wire_size(batch: Batch) -> int:
    """The bytes of the request body SegmentClient builds around a batch (its envelope is < 200 bytes)."""
    return sum(len(e) for e in batch.encoded) + len(batch.encoded) - 1 + 200


def test_a_batch_holds_at_most_2500_messages():
    packed = list(batches(((n, [message(n)]) for n in range(BATCH_ITEMS + 1)), []))
    assert [len(b.encoded) for b in packed] == [BATCH_ITEMS, 1]


def test_a_batch_stays_under_500kb_on_the_wire():
    oversized: list[Any] = []
    packed = list(batches(((n, [message(n, 20_000)]) for n in range(60)), oversized))
    assert len(packed) == 3 and not oversized
    assert all(wire_size(b) <= BATCH_BYTES for b in packed)
    assert sum(len(b.encoded) for b in packed) == 60
    # Full batches: the next message would not have fitted.
    assert wire_size(packed[0]) + len(packed[1].encoded[0]) > BATCH_BYTES - 1024


def test_the_messages_of_one_change_travel_in_one_batch():
    items = [(0, [message(0)])] + [(n, [message(n), message(-n)]) for n in range(1, 1251)]
    packed = list(batches(items, []))
    assert [len(b.encoded) for b in packed] == [2499, 2]
    assert packed[1].keys == [1250]


def test_a_message_over_32kb_is_reported_and_the_rest_still_sent():
    oversized: list[Any] = []
    items = [(1, [message(1)]), ("big", [message(2, MESSAGE_BYTES)]), (3, [message(3)])]
    packed = list(batches(items, oversized))
    assert [k for b in packed for k in b.keys] == [1, 3]
    [(key, size)] = oversized
    assert key == "big" and size > MESSAGE_BYTES


class TickingClock:
    def __init__(self) -> None:
        self.at = datetime(2024, 5, 1, tzinfo=UTC)

    def now(self) -> datetime:
        self.at += timedelta(seconds=1)
        return self.at


def send_one(world: World, **overrides: Any) -> SegmentClient:
    client = SegmentClient(world.config(**overrides), Retrying(sleep=lambda s: None), TickingClock())
    [batch] = batches([(1, [message(1)])], [])
    client.send(batch)
    return client


def test_batch_goes_to_v1_batch_with_basic_auth_context_and_sent_at(world: World):
    send_one(world)
    [(request, response)] = world.segment_recorder.exchanges
    assert request.url.path == "/v1/batch"
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(f"{world.write_key}:".encode()).decode()
    body = json.loads(request.content)
    assert body["context"]["library"]["name"] == "listrak-harness"
    assert body["context"]["integration"]["name"] == "listrak-harness"
    assert body["sentAt"] == "2024-05-01T00:00:01.000Z"
    assert response is not None and response.status_code == 200
    assert world.messages()[0]["context"]["library"]["name"] == "listrak-harness"


def test_sent_at_says_when_each_attempt_left(world: World):
    world.seg.add_fault(action="status", status=503, path="/v1/batch", times=1)
    send_one(world)
    first, retry = world.segment_recorder.bodies()
    assert first["sentAt"] < retry["sentAt"]
    assert first["batch"] == retry["batch"]


def test_a_4xx_is_a_rejection_not_a_retry(world: World):
    world.seg.add_fault(action="status", status=400, path="/v1/batch", times=1)
    with pytest.raises(SegmentRejected, match="400"):
        send_one(world)
    assert len(world.segment_recorder.exchanges) == 1


def big_values_world(world: World, count: int, size: int) -> World:
    fields = [
        {"segmentationFieldId": BIG_FIELD, "segmentationFieldName": "Big", "dataType": "Text", "maxLength": 50_000}
    ]
    contacts = [
        {"emailAddress": f"c{n}@x.io", "segmentationFieldValues": [{"segmentationFieldId": BIG_FIELD, "value": v}]}
        for n, v in enumerate(f"{n:05d}" + "v" * size for n in range(count))
    ]
    document = seed_list(LIST, contacts)
    document["segmentationFieldGroups"] = [{"segmentationFieldGroupName": "P", "segmentationFields": fields}]
    world.lr.seed({"lists": [document]})
    world.lists = (ListConfig(LIST, BIG_FIELD),)
    return world


def test_a_sync_of_large_messages_sends_batches_segment_accepts(world: World):
    big_values_world(world, 120, 10_000)
    outcome = world.sync()
    assert outcome.ok, outcome.stderr
    bodies = [r.content for r, _ in world.segment_recorder.exchanges]
    assert len(bodies) >= 3
    assert all(len(body) <= BATCH_BYTES for body in bodies)
    assert world.seg.discards(world.write_key) == []
    world.assert_profiles_correct()


def test_a_sync_reports_a_message_it_cannot_send_and_delivers_the_others(world: World):
    big_values_world(world, 3, 10)
    world.lr.set_field_values(LIST, "c1@x.io", {BIG_FIELD: "u" * 40_000})
    outcome = world.sync()
    assert outcome.exit_code == 1
    assert outcome.summary is not None and outcome.summary["undelivered"] == 1
    assert "c1@x.io on list 101" in outcome.failures and "32KB" in outcome.failures
    assert sorted(world.views()) == ["c0@x.io", "c2@x.io"]


def test_undelivered_count_includes_changes_set_aside_as_too_big(world: World):
    big_values_world(world, 3, 10)
    world.lr.set_field_values(LIST, "c0@x.io", {BIG_FIELD: "u" * 40_000})
    world.seg.add_fault(action="status", status=503, path="/v1/batch")
    outcome = world.sync(retry_deadline=0.2)
    assert outcome.exit_code == 1
    assert outcome.summary is not None and outcome.summary["undelivered"] == 3


SYNC_VALUES = st.recursive(
    st.none() | st.booleans() | st.text() | st.integers(min_value=-(2**63), max_value=2**63 - 1),
    lambda inner: st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=12), SYNC_VALUES, max_size=6))
def test_messages_are_encoded_as_compact_utf8_json(message: dict[str, Any]) -> None:
    [batch] = batches([("key", [message])], [])
    assert batch.encoded == [json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()]
