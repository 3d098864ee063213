"""The SQLite state: changes worked out against what Segment was acknowledged to hold, pending
changes treated as possibly delivered, and a dry run that opens the state read-only."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from reference_support import FIELD, LIST, World, contact, seed_list

from harness.reference import ConfigError, ListConfig, SyncConfig
from harness.reference.state import Change, StateStore

BATCH = "/v1/batch"


def config(state_dir: Path, **overrides: object) -> SyncConfig:
    settings: dict = {
        "listrak_client_id": "c",
        "listrak_client_secret": "s",
        "segment_write_key": "wk_secret_state",
        "lists": (ListConfig(LIST),),
        "state_dir": state_dir,
        **overrides,
    }
    return SyncConfig(**settings)


def run(store: StateStore, rows: list[tuple[str, int, str]], *, deliver: bool = True) -> list[Change]:
    """One run's worth of the state: observe (address, subscribed, user id), diff, and deliver."""
    store.record_seen((LIST, address, subscribed, user_id, None) for address, subscribed, user_id in rows)
    store.diff(LIST)
    changes = list(store.changes())
    store.mark_pending(changes)
    if deliver:
        store.mark_delivered(changes)
    return changes


def test_unchanged_contacts_make_no_changes(tmp_path):
    with StateStore(config(tmp_path)) as store:
        run(store, [("a@x.io", 1, ""), ("b@x.io", 0, "")])
    with StateStore(config(tmp_path)) as store:
        assert run(store, [("a@x.io", 1, ""), ("b@x.io", 0, "")]) == []


def test_each_change_of_a_pair_gets_the_next_counter(tmp_path):
    counters = []
    for subscribed in (1, 0, 1):
        with StateStore(config(tmp_path)) as store:
            [change] = run(store, [("a@x.io", subscribed, "")])
            counters.append((change.subscribed, change.counter))
    assert counters == [(True, 1), (False, 2), (True, 3)]


def test_a_contact_gone_from_the_list_counts_as_not_subscribed(tmp_path):
    with StateStore(config(tmp_path)) as store:
        run(store, [("a@x.io", 1, "u-a"), ("b@x.io", 1, "")])
    with StateStore(config(tmp_path)) as store:
        [change] = run(store, [("b@x.io", 1, "")])
    assert (change.address, change.subscribed, change.observed, change.was_subscribed) == ("a@x.io", False, False, True)


def test_a_pending_change_that_still_holds_is_resent_with_its_counter(tmp_path):
    with StateStore(config(tmp_path)) as store:
        [sent] = run(store, [("a@x.io", 1, "u-a")], deliver=False)
        assert store.pending_count() == 1
    with StateStore(config(tmp_path)) as store:
        [again] = run(store, [("a@x.io", 1, "u-a")])
        assert store.pending_count() == 0
    assert again.counter == sent.counter


def test_a_pending_subscribe_undone_before_the_rerun_is_sent_as_a_new_unsubscribe(tmp_path):
    with StateStore(config(tmp_path)) as store:
        [sent] = run(store, [("a@x.io", 1, "")], deliver=False)
    with StateStore(config(tmp_path)) as store:
        # Never acknowledged, so never "delivered": yet Segment may hold it, so the null must go out.
        [undo] = run(store, [("a@x.io", 0, "")])
    assert (undo.subscribed, undo.was_subscribed) == (False, True)
    assert undo.counter > sent.counter


def test_a_pending_subscribe_of_a_contact_gone_since_is_undone(tmp_path):
    with StateStore(config(tmp_path)) as store:
        run(store, [("a@x.io", 1, ""), ("b@x.io", 1, "")], deliver=False)
    with StateStore(config(tmp_path)) as store:
        changes = run(store, [("b@x.io", 1, "")])
    # b@x.io's pending subscribe still holds (resent as it was); a@x.io's is undone.
    assert sorted((c.address, c.subscribed, c.counter) for c in changes) == [("a@x.io", False, 2), ("b@x.io", True, 1)]


def test_a_second_run_on_one_state_directory_is_refused(tmp_path):
    with StateStore(config(tmp_path)), pytest.raises(ConfigError, match="Another sync is running"):
        StateStore(config(tmp_path))


def test_state_is_kept_per_write_key_and_revision_and_never_named_after_the_key(tmp_path):
    paths = {
        StateStore(config(tmp_path / "1")).path.name,
        StateStore(config(tmp_path / "2", segment_write_key="other")).path.name,
        StateStore(config(tmp_path / "3", revision="2023-08-03")).path.name,
    }
    assert len(paths) == 3
    assert not any("wk_secret" in name for name in paths)


def test_a_dry_run_creates_no_state(tmp_path):
    state_dir = tmp_path / "absent"
    with StateStore(config(state_dir, dry_run=True)) as store:
        assert [c.address for c in run(store, [("a@x.io", 1, "")])] == ["a@x.io"]
    assert not state_dir.exists()


def test_a_dry_run_opens_existing_state_read_only(tmp_path):
    with StateStore(config(tmp_path)) as store:
        run(store, [("a@x.io", 1, "")])
    with StateStore(config(tmp_path, dry_run=True)) as store:
        store.record_seen([(LIST, "a@x.io", 0, "", None)])
        store.diff(LIST)
        [change] = list(store.changes())
        assert change.counter == 2
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            store.mark_pending([change])
    with StateStore(config(tmp_path)) as store:
        [change] = run(store, [("a@x.io", 0, "")])
        assert change.counter == 2


# -- through the whole sync: Segment applied a batch whose acknowledgement never came ---------
def applied_but_unacknowledged(world: World) -> list[dict]:
    """A sync whose every batch Segment applies but whose answers are lost; returns what was sent."""
    world.lr.seed({"lists": [seed_list(LIST, ["a@x.io", contact("b@x.io", "u-b")], name="News", fields=[FIELD])]})
    world.seg.add_fault(action="drop", after=True, path=BATCH)
    outcome = world.sync(retry_deadline=0.3)
    assert outcome.exit_code == 1
    world.seg.backend.faults.clear()
    return world.segment_recorder.bodies()[0]["batch"]


def test_rerun_resends_an_unchanged_pending_change_with_the_same_message_id(world: World):
    sent = applied_but_unacknowledged(world)
    assert world.sync().ok
    [resent] = world.segment_recorder.bodies()
    assert [m["messageId"] for m in resent["batch"]] == [m["messageId"] for m in sent]
    duplicates = world.duplicates()
    assert duplicates and not any(d.content_differs for d in duplicates)
    world.assert_profiles_correct()


@pytest.mark.parametrize("revision", ["2023-07-13", "2023-08-03"])
def test_rerun_sends_null_for_a_contact_subscribed_in_flight_and_unsubscribed_since(make_world, revision):
    world = make_world(revision=revision)
    sent = applied_but_unacknowledged(world)
    assert world.views()["a@x.io"][world.trait()] is True  # Segment applied the subscribe
    world.lr.unsubscribe(LIST, "a@x.io")
    assert world.sync().ok
    [body] = world.segment_recorder.bodies()
    undo = [m for m in body["batch"] if m["anonymousId"] == "a@x.io"]
    assert undo[0]["traits"][world.trait()] is None
    assert undo[0]["messageId"] not in {m["messageId"] for m in sent}
    assert [m["type"] for m in undo] == (["identify"] if revision == "2023-07-13" else ["identify", "track"])
    assert world.trait() not in world.views()["a@x.io"]
    world.assert_profiles_correct()


def test_a_lost_state_directory_never_reuses_a_message_id(world: World):
    world.lr.seed({"lists": [seed_list(LIST, ["a@x.io"], fields=[FIELD])]})
    assert world.sync().ok
    first = {m["messageId"] for m in world.messages()}
    shutil.rmtree(world.state_dir)  # the counters start again at 1 ...
    assert world.sync().ok
    second = {m["messageId"] for m in world.messages()} - first
    assert len(second) == 1  # ... but the epoch of the new state file makes a new id
    assert world.duplicates() == []


def test_the_epoch_is_kept_with_the_state_and_a_dry_run_never_writes_one(tmp_path: Path):
    with StateStore(config(tmp_path / "s")) as store:
        epoch = store.epoch
    with StateStore(config(tmp_path / "s")) as store:
        assert store.epoch == epoch
    with StateStore(config(tmp_path / "dry", dry_run=True)) as store:
        assert store.epoch
    assert not (tmp_path / "dry").exists()
