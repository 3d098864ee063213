"""The sync's behaviour, judged on the profiles the fake Segment builds: every contact change of a
history, both revisions, pagination. Each test runs in-process (httpx transports) and in server
mode (`listrak-harness sync` as a subprocess with DESIGN.md's `cmd:` environment)."""

from __future__ import annotations

import sqlite3
import ssl
import time
from collections.abc import Callable

import pytest
from reference_support import CLI, FIELD, FIELD2, IN_PROCESS, LIST, LIST2, World, contact, seed_list

from harness.reference import ListConfig
from harness.reference.engine import _tls_context

MODES = [IN_PROCESS, CLI]


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def seeded(make_world: Callable[..., World], mode: str, **options: object) -> World:
    """List 101 ("News", profile field 5 integrated): five contacts, one unsubscribed, one unicode."""
    world = make_world(mode, **options)
    contacts = [
        "a@x.io",
        contact("B@X.io", "u-b"),
        contact("c@x.io", "u-c"),
        contact("gone@x.io", "u-gone", state="Unsubscribed"),
        "Zoë+news@Exämple.io",
    ]
    world.lr.seed({"lists": [seed_list(LIST, contacts, name="News", fields=[FIELD])]})
    return world


def synced(world: World, **overrides: object) -> None:
    """Run the sync; it must succeed and leave the profiles right."""
    outcome = world.sync(**overrides)
    assert outcome.ok, outcome.stderr
    world.assert_profiles_correct()


def test_backfill_sets_list_trait_email_and_user_id_on_each_subscribed_profile(make_world, mode):
    world = seeded(make_world, mode)
    synced(world)
    views = world.views()
    trait = world.trait()
    assert views["a@x.io"] == {"email": "a@x.io", trait: True}
    # The address exactly as Listrak returns it, case and all.
    assert views["B@X.io"] == {"email": "B@X.io", trait: True}
    assert views["Zoë+news@Exämple.io"] == {"email": "Zoë+news@Exämple.io", trait: True}
    assert "gone@x.io" not in views  # never subscribed: nothing to remove, so nothing sent
    assert world.seg.traits(world.write_key, user_id="u-b")[trait] is True
    by_address = {m["anonymousId"]: m for m in world.messages()}
    assert "userId" not in by_address["a@x.io"]
    assert by_address["c@x.io"]["userId"] == "u-c"


def test_no_integrated_list_is_a_successful_sync_that_sends_nothing(make_world, mode):
    world = seeded(make_world, mode)
    synced(world)
    before = len(world.messages())
    outcome = world.sync(lists="[]") if mode == CLI else world.sync(lists=())
    assert outcome.ok, outcome.stderr
    assert "no lists are integrated: nothing to sync" in outcome.stderr
    assert len(world.messages()) == before
    # What the earlier run delivered stays: a list that left the integration is not retracted.
    assert world.views()["a@x.io"][world.trait()] is True


def test_second_sync_without_changes_sends_nothing(make_world, mode):
    world = seeded(make_world, mode)
    synced(world)
    before = len(world.messages())
    outcome = world.sync()
    assert outcome.ok
    assert outcome.summary is not None and outcome.summary["messages_sent"] == 0
    assert len(world.messages()) == before


def test_unsubscribe_removes_the_trait_from_the_profile(make_world, mode):
    world = seeded(make_world, mode)
    synced(world)
    trait = world.trait()
    assert world.views()["a@x.io"][trait] is True
    world.lr.unsubscribe(LIST, "a@x.io")
    world.lr.unsubscribe(LIST, "B@X.io")
    synced(world)
    views = world.views()
    assert trait not in views["a@x.io"]
    assert trait not in views["B@X.io"]
    assert views["a@x.io"]["email"] == "a@x.io"
    nulls = {m["anonymousId"]: m for m in world.messages() if m["traits"].get(trait, True) is None}
    assert set(nulls) == {"a@x.io", "B@X.io"}
    # The null identify carries the list's field value as userId too, and only when there is one.
    assert nulls["B@X.io"]["userId"] == "u-b"
    assert "userId" not in nulls["a@x.io"]


def test_resubscribe_that_repeats_an_earlier_subscribe_is_not_dropped_as_a_duplicate(make_world, mode):
    world = seeded(make_world, mode)
    synced(world)
    world.lr.unsubscribe(LIST, "a@x.io")
    synced(world)
    world.lr.subscribe(LIST, "a@x.io")
    synced(world)
    assert world.views()["a@x.io"][world.trait()] is True
    assert world.duplicates() == []
    ids = [m["messageId"] for m in world.messages(anonymous_id="a@x.io")]
    assert len(ids) == 3 and len(set(ids)) == 3


def test_field_change_sends_the_new_user_id(make_world, mode):
    world = seeded(make_world, mode)
    synced(world)
    world.lr.set_field_values(LIST, "B@X.io", {FIELD: "u-b2"})
    world.lr.set_field_values(LIST, "a@x.io", {FIELD: "u-a"})
    synced(world)
    sent = world.messages()[-2:]
    assert {(m["anonymousId"], m["userId"]) for m in sent} == {("B@X.io", "u-b2"), ("a@x.io", "u-a")}
    assert world.seg.traits(world.write_key, user_id="u-b2")[world.trait()] is True


def test_field_cleared_sends_the_identify_without_user_id(make_world, mode):
    world = seeded(make_world, mode)
    synced(world)
    world.lr.set_field_values(LIST, "c@x.io", {FIELD: ""})
    synced(world)
    last = world.messages()[-1]
    assert last["anonymousId"] == "c@x.io"
    assert "userId" not in last
    assert last["traits"] == {"email": "c@x.io", world.trait(): True}


def test_list_added_to_the_integration_is_backfilled(make_world, mode):
    world = seeded(make_world, mode)
    world.lr.seed({"lists": [seed_list(LIST2, ["a@x.io", contact("d@x.io", "u-d", field_id=FIELD2)], fields=[FIELD2])]})
    synced(world)
    before = len(world.messages())
    world.lists = (ListConfig(LIST, FIELD), ListConfig(LIST2))
    synced(world)
    added = world.messages()[before:]
    assert {m["anonymousId"] for m in added} == {"a@x.io", "d@x.io"}
    assert all(set(m["traits"]) == {"email", world.trait(LIST2)} for m in added)
    # List 102 has no profile field in the integration: its values never become a userId.
    assert all("userId" not in m for m in added)
    assert world.views()["d@x.io"] == {"email": "d@x.io", world.trait(LIST2): True}


def test_list_removed_from_the_integration_is_no_longer_sent_and_resumes_when_added_back(make_world, mode):
    world = seeded(make_world, mode)
    world.lr.seed({"lists": [seed_list(LIST2, ["a@x.io", "d@x.io"])]})
    world.lists = (ListConfig(LIST, FIELD), ListConfig(LIST2))
    synced(world)
    world.lists = (ListConfig(LIST, FIELD),)
    world.lr.unsubscribe(LIST2, "d@x.io")
    world.lr.unsubscribe(LIST, "c@x.io")
    before = len(world.messages())
    synced(world)
    sent = world.messages()[before:]
    assert [m["anonymousId"] for m in sent] == ["c@x.io"]
    assert all(world.trait(LIST2) not in m["traits"] for m in sent)
    # The README's promise: the traits of a removed list are left as they are.
    assert world.views()["d@x.io"][world.trait(LIST2)] is True
    world.lists = (ListConfig(LIST, FIELD), ListConfig(LIST2))
    before = len(world.messages())
    synced(world)
    sent = world.messages()[before:]
    assert [(m["anonymousId"], m["traits"]) for m in sent] == [
        ("d@x.io", {"email": "d@x.io", world.trait(LIST2): None})
    ]


def test_pagination_with_a_page_cap_of_two_reads_every_contact(make_world, mode):
    world = make_world(mode, page_size_cap=2)
    subscribed = [f"p{n}@x.io" for n in range(7)]
    unsubscribed = [contact(f"q{n}@x.io", state="Unsubscribed") for n in range(3)]
    world.lr.seed({"lists": [seed_list(LIST, [*subscribed, *unsubscribed], fields=[FIELD])]})
    outcome = world.sync()
    assert outcome.ok, outcome.stderr
    assert outcome.summary is not None
    # 7 subscribed in pages of 2, then 3 unsubscribed in pages of 2.
    assert (outcome.summary["pages"], outcome.summary["contacts_seen"]) == (4 + 2, 10)
    assert sorted(world.views()) == sorted(subscribed)
    world.assert_profiles_correct()


@pytest.mark.parametrize("revision", ["2023-07-13", "2023-08-03"])
def test_revision_names_the_trait_and_only_2023_08_03_sends_unsubscribed_events(make_world, mode, revision):
    world = seeded(make_world, mode, revision=revision)
    synced(world)
    world.lr.unsubscribe(LIST, "B@X.io")
    synced(world)
    expected = "Listrak_list_101" if revision == "2023-07-13" else "listrak_list_101"
    identifies = world.messages(type="identify")
    assert all(set(m["traits"]) == {"email", expected} for m in identifies)
    tracks = world.messages(type="track")
    if revision == "2023-07-13":
        assert tracks == []
        return
    [event] = tracks
    assert event["event"] == "Unsubscribed"
    assert event["anonymousId"] == "B@X.io"
    assert event["properties"] == {"list_id": LIST, "list_name": "News", "unsubscribe_type": "Administrator"}
    assert event["context"]["traits"] == {"email": "B@X.io"}
    assert "userId" not in event
    assert expected not in world.views()["B@X.io"]


def test_switching_revision_sends_the_new_traits_without_colliding_with_earlier_message_ids(make_world, mode):
    world = seeded(make_world, mode)
    synced(world)
    world.revision = "2023-08-03"
    synced(world)
    assert world.duplicates() == []
    assert world.views()["a@x.io"]["listrak_list_101"] is True


def test_two_sources_sending_the_same_change_do_not_collide(make_world, mode):
    first = seeded(make_world, mode)
    second = make_world(mode, listrak=first.lr, segment=first.seg)
    synced(first)
    synced(second)
    assert first.seg.discards() == []
    assert second.views() == first.views()


def test_the_next_batch_is_built_and_stored_pending_while_segment_answers_the_last(make_world):
    # 2,500 messages a batch: 5,001 new subscribers make three batches.
    world = make_world(IN_PROCESS, page_size_cap=None)
    world.lists = (ListConfig(LIST),)
    world.lr.seed(
        {"lists": [{"listId": LIST, "listName": "News", "generate": {"count": 5001, "emailAddress": "p{n}@x.io"}}]}
    )
    pending_while_first_in_flight: list[int] = []

    def pending_rows() -> int:
        (path,) = world.state_dir.glob("sync-*.sqlite3")
        with sqlite3.connect(path) as db:
            return int(db.execute("SELECT COUNT(*) FROM pending").fetchone()[0])

    def after(request: object, response: object) -> None:
        if pending_while_first_in_flight:
            return
        # Segment has the first batch but the sync has not seen the answer: the second must become
        # pending meanwhile. A sync that waited for each answer before building the next would not.
        deadline = time.monotonic() + 10
        while pending_rows() < 5000 and time.monotonic() < deadline:
            time.sleep(0.01)
        pending_while_first_in_flight.append(pending_rows())

    world.segment_after = after
    synced(world)
    assert pending_while_first_in_flight == [5000]  # batches one and two, never three at once
    assert pending_rows() == 0
    assert len(world.segment_recorder.bodies()) == 3


def test_both_clients_share_one_tls_context_that_loads_a_trust_store_only_for_https(make_world):
    world = make_world(IN_PROCESS)
    assert _tls_context(world.config()) is None  # both routed in-process: nothing connects

    plain = _tls_context(world.config(listrak_transport=None, segment_transport=None))
    assert plain is not None
    assert plain.verify_mode == ssl.CERT_REQUIRED and plain.check_hostname
    assert plain.cert_store_stats()["x509_ca"] == 0  # trusts nothing: an https connection would fail

    secure = _tls_context(
        world.config(listrak_transport=None, segment_transport=None, segment_api_url="https://api.segment.io/v1")
    )
    assert secure is not None
    assert secure.verify_mode == ssl.CERT_REQUIRED and secure.check_hostname
    assert secure.cert_store_stats()["x509_ca"] > 0
