"""The fake Segment's backend used directly, with no HTTP: the two ingest phases, inspection, reset."""

from __future__ import annotations

import io
import json

import pytest

from fake_segment.backend import SegmentBackend
from fake_segment.exceptions import BadRequest, NotFound

AUTH = "Basic d2s6"  # wk:


def body(*messages: dict) -> io.BytesIO:
    return io.BytesIO(json.dumps({"batch": list(messages)}).encode())


def identify(address: str, **traits: object) -> dict:
    return {"type": "identify", "anonymousId": address, "traits": {"email": address, **traits}}


def test_reading_a_request_changes_nothing_until_it_is_applied(backend: SegmentBackend) -> None:
    read = backend.read_request("batch", body(identify("a@x.io")), authorization=AUTH)
    assert read.write_key == "wk" and len(read.messages) == 1
    assert backend.messages() == []
    backend.apply(read)
    assert [m.message["anonymousId"] for m in backend.messages()] == ["a@x.io"]


def test_ingest_reads_and_applies_in_one_call(backend: SegmentBackend) -> None:
    backend.ingest("batch", body(identify("a@x.io", L=True), identify("a@x.io", L=None)), authorization=AUTH)
    assert backend.trait_view("wk", "anonymousId", "a@x.io") == {"email": "a@x.io"}
    assert [p.id for _, p in backend.profiles("wk", email="a@x.io")] == ["prof_1"]


def test_profiles_with_several_ids_must_hold_them_all(backend: SegmentBackend) -> None:
    backend.ingest("identify", io.BytesIO(b'{"userId": "u1", "anonymousId": "a@x.io"}'), authorization=AUTH)
    backend.ingest("identify", io.BytesIO(b'{"userId": "u2", "anonymousId": "b@x.io"}'), authorization=AUTH)
    assert len(backend.profiles("wk", userId="u1", anonymousId="a@x.io")) == 1
    assert backend.profiles("wk", userId="u1", anonymousId="b@x.io") == []
    with pytest.raises(BadRequest, match="userId, anonymousId or email"):
        backend.profiles("wk", phone="1")


def test_a_missing_trait_view_is_not_found(backend: SegmentBackend) -> None:
    with pytest.raises(NotFound, match=r"nobody@x\.io"):
        backend.trait_view("wk", "anonymousId", "nobody@x.io")


def test_reset_of_one_write_key_keeps_the_others_and_their_dedupe(backend: SegmentBackend) -> None:
    backend.ingest("identify", io.BytesIO(b'{"anonymousId": "a", "messageId": "m1"}'), authorization="Basic b25lOg==")
    backend.ingest("identify", io.BytesIO(b'{"anonymousId": "b", "messageId": "m2"}'), authorization="Basic dHdvOg==")
    backend.reset("one")
    assert backend.write_keys() == ["two"]
    # m1 is forgotten with its write key; m2 is still a duplicate.
    backend.ingest("identify", io.BytesIO(b'{"anonymousId": "a", "messageId": "m1"}'), authorization="Basic b25lOg==")
    backend.ingest("identify", io.BytesIO(b'{"anonymousId": "b", "messageId": "m2"}'), authorization="Basic dHdvOg==")
    assert [d.reason for d in backend.discards()] == ["duplicate"]


def test_a_repeat_is_compared_with_the_first_message_the_log_still_holds(backend: SegmentBackend) -> None:
    one, two = "Basic b25lOg==", "Basic dHdvOg=="
    for i in range(6):  # interleaved keys, so a reset of one leaves gaps in the log's seqs
        m = {**identify(f"c{i}@x.io"), "messageId": f"m{i}"}
        backend.ingest("batch", body(m), authorization=one if i % 2 else two)
    backend.reset("one")
    assert [m.seq for m in backend.messages()] == [1, 3, 5]
    same = {**identify("c4@x.io"), "messageId": "m4", "timestamp": "2030-01-01T00:00:00Z"}
    changed = {**identify("c2@x.io", L=True), "messageId": "m2"}
    within = {**identify("c9@x.io"), "messageId": "m9"}
    backend.ingest("batch", body(same, changed, within, {**within, "userId": "u"}), authorization=two)
    assert [(d.duplicate_of, d.content_differs) for d in backend.discards(reason="duplicate")] == [
        (5, False),
        (3, True),
        (7, True),  # a repeat inside the very batch that brought the first
    ]


def test_a_whole_reset_numbers_messages_from_one_again(backend: SegmentBackend) -> None:
    backend.ingest("batch", body(identify("a@x.io"), {"type": "identify"}), authorization=AUTH)
    assert [m.seq for m in backend.messages()] == [1] and [d.seq for d in backend.discards()] == [1]
    backend.reset("wk")  # one write key: the numbers go on
    backend.ingest("identify", io.BytesIO(b'{"anonymousId": "b@x.io"}'), authorization=AUTH)
    assert [m.seq for m in backend.messages()] == [2]
    backend.reset()
    backend.ingest("identify", io.BytesIO(b'{"anonymousId": "c@x.io"}'), authorization=AUTH)
    assert [m.seq for m in backend.messages()] == [1]


def test_lowering_retention_evicts_at_once(backend: SegmentBackend) -> None:
    backend.ingest("batch", body(*(identify(f"c{i}@x.io") for i in range(5))), authorization=AUTH)
    backend.update_settings(retention=2)
    assert [m.message["anonymousId"] for m in backend.messages()] == ["c3@x.io", "c4@x.io"]
    assert backend.counts()["applied"] == 5


def test_messages_whose_profiles_fail_to_apply_keep_their_numbers_and_stay_in_the_log(
    backend: SegmentBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fake_segment.profiles import ProfileStore

    def fail(self: ProfileStore, first_seq: int, messages: list[dict]) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(ProfileStore, "apply_many", fail)
    with pytest.raises(RuntimeError):
        backend.ingest("batch", body(identify("a@x.io"), identify("b@x.io")), authorization=AUTH)
    monkeypatch.undo()
    backend.ingest("batch", body(identify("c@x.io")), authorization=AUTH)
    assert [m.seq for m in backend.messages()] == [1, 2, 3]
    assert [p.messages for _, p in backend.profiles("wk")] == [[3]]


def test_filters_apply_to_each_message_of_a_request(backend: SegmentBackend) -> None:
    track = {"type": "track", "anonymousId": "a@x.io", "event": "E", "properties": "x"}
    backend.ingest("batch", body(identify("a@x.io"), track, identify("b@x.io")), authorization=AUTH)
    assert [m.seq for m in backend.messages(type="identify")] == [1, 3]
    assert [m.seq for m in backend.messages(anonymous_id="a@x.io", after_seq=1)] == [2]
    [stored] = backend.messages(type="track")
    assert stored.violations and stored.violations[0].path == "$.properties"
    assert all(not m.violations for m in backend.messages(type="identify"))
