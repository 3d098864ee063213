"""Replaying a history against an implementation: what each sync sent, dropped and left on the profiles."""

from __future__ import annotations

import pytest

from harness.history import (
    AddField,
    Crash,
    CreateList,
    History,
    HistoryError,
    Integrate,
    Resubscribe,
    SetField,
    Subscribe,
    Sync,
    Unsubscribe,
)
from harness.impls import ReferenceImpl
from harness.replay import ReplayError, SyncRecord, replay

STORY = (
    CreateList(7, "Newsletter"),
    AddField(7, 5, "CustomerId"),
    Subscribe(7, "Ann@Example.com", {5: "u1"}),
    Subscribe(7, "bob@example.com"),
    Subscribe(7, "cy@example.com"),
    Integrate(7, 5),
    Sync(),
    Unsubscribe(7, "Ann@Example.com"),
    SetField(7, "bob@example.com", 5, "u2"),
    Sync(),
    Resubscribe(7, "Ann@Example.com"),
    Sync(),
)


def _types(record: SyncRecord) -> list[str]:
    return [m.message["type"] for m in record.messages]


def test_each_sync_record_holds_the_messages_it_sent() -> None:
    run = replay(History(STORY, revision="2023-07-13"), ReferenceImpl())
    assert [r.step for r in run.records] == [6, 9, 11]
    assert all(r.outcome.ok for r in run.records)
    assert [len(r.messages) for r in run.records] == [3, 2, 1]
    assert [m.message["anonymousId"] for m in run.records[1].messages] == ["Ann@Example.com", "bob@example.com"]
    seqs = [m.seq for m in run.messages()]
    assert seqs == sorted(seqs) and len(set(seqs)) == 6


def test_revision_2023_08_03_adds_an_unsubscribed_track_to_the_sync_that_saw_it() -> None:
    run = replay(History(STORY, revision="2023-08-03"), ReferenceImpl())
    assert [_types(r) for r in run.records] == [
        ["identify"] * 3,
        ["identify", "track", "identify"],
        ["identify"],
    ]


def test_views_are_snapshots_after_each_sync() -> None:
    run = replay(History(STORY), ReferenceImpl())
    first, second, third = (r.views for r in run.records)
    assert first["Ann@Example.com"] == {"email": "Ann@Example.com", "Listrak_list_7": True}
    assert "Listrak_list_7" not in second["Ann@Example.com"]
    assert third["Ann@Example.com"]["Listrak_list_7"] is True


def test_the_lowered_page_cap_makes_the_implementation_page() -> None:
    run = replay(History(STORY), ReferenceImpl(), page_cap=2)
    contact_reads = [r for r in run.records[0].listrak_requests if "/Contact?" in r]
    # Three subscribed contacts at two a page: two pages of subscribed, one (empty) of unsubscribed.
    assert len(contact_reads) == 3
    assert sum("cursor=" in r for r in contact_reads) == 1


def test_without_a_page_cap_one_page_holds_every_contact() -> None:
    run = replay(History(STORY), ReferenceImpl(), page_cap=1000)
    assert not any("cursor=" in r for r in run.records[0].listrak_requests)


def test_a_sync_with_nothing_integrated_sends_nothing() -> None:
    run = replay(History((CreateList(7), Subscribe(7, "a@x.io"), Sync())), ReferenceImpl())
    assert run.records[0].outcome.ok and run.records[0].messages == ()


def test_a_crash_step_is_refused_with_a_clear_error() -> None:
    history = History((CreateList(7), Integrate(7), Crash(2), Sync()))
    with pytest.raises(ReplayError, match=r"step 3 \(crash .*\): a crash step kills .*, so it needs a cmd: impl"):
        replay(history, ReferenceImpl())


def test_an_illegal_history_is_refused_before_anything_runs() -> None:
    with pytest.raises(HistoryError, match="list 9 does not exist"):
        replay(History((CreateList(7), Integrate(9), Sync())), ReferenceImpl())
