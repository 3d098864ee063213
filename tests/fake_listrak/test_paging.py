"""Paging: the lane scan, the cursor, and the guarantee that a scan neither skips nor repeats a
contact that did not change, whatever happens around it."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from listrak_support import CLIENT_ID, CLIENT_SECRET, Api

from fake_listrak.backend import ListrakBackend
from fake_listrak.exceptions import InvalidParameter
from fake_listrak.models import Contact, ContactQuery
from fake_listrak.paging import Lane, decode_cursor, encode_cursor
from harness.fakekit.clock import ManualClock


def _contact(seq: int) -> Contact:
    return Contact(f"c{seq}@x.io", f"c{seq}@x.io", 0, seq, True, "2024-01-01T00:00:00")


# -- the lane ---------------------------------------------------------------------------------
def test_a_scan_returns_live_entries_after_the_cursor_in_order() -> None:
    lane = Lane()
    contacts = [_contact(s) for s in range(1, 11)]
    for c in contacts:
        lane.append(c)
    page, after = lane.scan(0, 4)
    assert [c.seq for c in page] == [1, 2, 3, 4]
    assert after == 4
    page, after = lane.scan(after, 100)
    assert [c.seq for c in page] == [5, 6, 7, 8, 9, 10]
    assert after is None


def test_a_scan_skips_tombstones_and_points_the_cursor_at_the_next_live_entry() -> None:
    lane = Lane()
    contacts = [_contact(s) for s in range(1, 7)]
    for c in contacts:
        lane.append(c)
    contacts[2].seq = 99  # it changed: its entry at seq 3 is a tombstone now
    contacts[3].seq = 98
    lane.live -= 2
    page, after = lane.scan(0, 2)
    assert [c.address for c in page] == ["c1@x.io", "c2@x.io"]
    assert after == 4  # just below the next live entry (seq 5)
    page, after = lane.scan(after, 10)
    assert [c.address for c in page] == ["c5@x.io", "c6@x.io"]
    assert after is None


def test_a_filtered_scan_peeks_for_the_next_match() -> None:
    lane = Lane()
    for s in range(1, 21):
        lane.append(_contact(s))
    page, after = lane.scan(0, 2, lambda c: c.seq % 5 == 0)
    assert [c.seq for c in page] == [5, 10]
    assert after == 14
    page, after = lane.scan(after, 2, lambda c: c.seq % 5 == 0)
    assert ([c.seq for c in page], after) == ([15, 20], None)


def test_compaction_keeps_cursors_valid() -> None:
    lane = Lane()
    contacts = [_contact(s) for s in range(1, 201)]
    for c in contacts:
        lane.append(c)
    _, after = lane.scan(0, 50)
    for c in contacts[:150]:
        c.seq += 1000
        lane.retire()  # tombstones come to outnumber live entries: the lane compacts
    assert len(lane.seqs) < 200
    assert lane.live == 50
    page, _ = lane.scan(after if after is not None else 0, 1000)
    assert [c.seq for c in page] == list(range(151, 201))


# -- the cursor -------------------------------------------------------------------------------
def test_a_cursor_round_trips_and_is_opaque() -> None:
    cursor = encode_cursor(101, True, 12345)
    assert "101" not in cursor and "12345" not in cursor
    assert decode_cursor(cursor, 101, True) == 12345


@pytest.mark.parametrize("start", ["Start", "start", "START"])
def test_start_begins_at_the_first_contact(start: str) -> None:
    assert decode_cursor(start, 1, True) == 0


@pytest.mark.parametrize(
    ("text", "list_id", "subscribed"),
    [
        ("zz", 101, True),
        ("", 101, True),
        ("é", 101, True),
        (encode_cursor(101, True, 5)[:-1] + "A", 101, True),
        (encode_cursor(101, True, 5), 102, True),
        (encode_cursor(101, True, 5), 101, False),
    ],
    ids=["garbage", "empty", "non-ascii", "tampered", "other list", "other state"],
)
def test_a_cursor_that_is_not_this_lanes_is_an_invalid_parameter(text: str, list_id: int, subscribed: bool) -> None:
    with pytest.raises(InvalidParameter) as caught:
        decode_cursor(text, list_id, subscribed)
    assert caught.value.to_body()["message"] == "An invalid value was supplied for cursor."


# -- the guarantee, over the API --------------------------------------------------------------
def _scan_with_churn(api: Api, backend: ListrakBackend, count: int, total: int, seed: int) -> dict[str, Any]:
    """Page through list 1 while, between pages, new contacts arrive and others change.

    The churn stops halfway through, so that the scan can catch up with it (a scan that pages
    slower than contacts change never ends, by design). Returns the addresses seen (with
    multiplicity), those that changed during the scan, those created during it, and those
    subscribed when it ended.
    """
    rng = random.Random(seed)
    stable_at_start = {f"c{n}@example.com" for n in range(total)}
    changed: set[str] = set()
    seen: list[str] = []
    cursor: str | None = "Start"
    extra = 0
    churning_pages = max(2, total // count // 2)
    pages = 0
    while cursor is not None:
        body = api.get("/List/1/Contact", count=count, cursor=cursor).get_json()
        seen.extend(c["emailAddress"] for c in body["data"])
        cursor = body["nextPageCursor"]
        pages += 1
        if pages > churning_pages:
            continue
        for _ in range(rng.randint(0, 3)):
            backend.subscribe(CLIENT_ID, 1, f"new{extra}@example.com")
            extra += 1
        for _ in range(rng.randint(0, 3)):
            victim = f"c{rng.randrange(total)}@example.com"
            if rng.random() < 0.5:
                backend.set_field_values(CLIENT_ID, 1, victim, {9: f"v{rng.random()}"})
            elif backend.contact(CLIENT_ID, 1, victim).subscribed:  # type: ignore[union-attr]
                backend.unsubscribe(CLIENT_ID, 1, victim)
            else:
                backend.subscribe(CLIENT_ID, 1, victim)
            changed.add(victim)
    created = {f"new{n}@example.com" for n in range(extra)}
    subscribed_at_end = {c.address for c in backend.contacts(CLIENT_ID, 1, subscribed=True)}
    return {
        "seen": seen,
        "stable": stable_at_start - changed,
        "changed": changed,
        "created": created,
        "subscribed_at_end": subscribed_at_end,
    }


@pytest.mark.parametrize(("count", "total"), [(1, 60), (7, 300), (1000, 4500), (5000, 11000)])
def test_a_scan_returns_every_unchanged_contact_exactly_once_under_churn(
    backend: ListrakBackend, api: Api, count: int, total: int
) -> None:
    backend.seed(
        CLIENT_ID,
        {
            "lists": [
                {
                    "listId": 1,
                    "segmentationFieldGroups": [
                        {
                            "segmentationFieldGroupName": "g",
                            "segmentationFields": [
                                {"segmentationFieldId": 9, "segmentationFieldName": "f", "dataType": "Text"}
                            ],
                        }
                    ],
                    "generate": {"count": total, "start": 0, "emailAddress": "c{n}@example.com"},
                }
            ]
        },
    )
    result = _scan_with_churn(api, backend, count, total, seed=count)
    counts = Counter(result["seen"])
    for address in result["stable"]:
        assert counts[address] == 1, address
    assert result["changed"] and result["created"], "the scan should have seen some churn"
    # A contact created during the scan comes once, at the end.
    for address in result["created"]:
        assert counts[address] == 1, address
    # Nothing is repeated unless it changed between the two sightings.
    assert {a for a, n in counts.items() if n > 1} <= result["changed"]
    # The scan caught up with the churn: nobody subscribed when it ended was skipped.
    assert result["subscribed_at_end"] <= set(counts)


def test_the_page_size_cap_overrides_count(backend: ListrakBackend, api: Api) -> None:
    backend.seed(CLIENT_ID, {"lists": [{"listId": 1, "generate": {"count": 10}}]})
    backend.update_settings(CLIENT_ID, page_size_cap=3)
    body = api.get("/List/1/Contact", count=1000).get_json()
    assert len(body["data"]) == 3
    assert len(api.contacts(1, count=1000)) == 10


# -- the guarantee, against a model -----------------------------------------------------------
class PagingMachine(RuleBasedStateMachine):
    """Random inserts (some pending double opt-in), state changes, confirmations and value changes
    interleaved with a scan, beside a model of which contacts stayed untouched; at the end of each
    scan the guarantee must hold."""

    @initialize()
    def setup(self) -> None:
        self.backend = ListrakBackend(ManualClock())
        self.backend.register_client(CLIENT_ID, CLIENT_SECRET)
        self.backend.seed(
            CLIENT_ID,
            {
                "lists": [
                    {
                        "listId": 1,
                        "segmentationFieldGroups": [
                            {
                                "segmentationFieldGroupName": "g",
                                "segmentationFields": [
                                    {
                                        "segmentationFieldId": 9,
                                        "segmentationFieldName": "f",
                                        "dataType": "Text",
                                    }
                                ],
                            }
                        ],
                        "generate": {"count": 8, "start": 0, "emailAddress": "c{n}@x.io"},
                    }
                ]
            },
        )
        self.addresses = [f"c{n}@x.io" for n in range(8)]
        self.scan: dict[str, Any] | None = None
        self.scans_done = 0

    def _touched(self, address: str) -> None:
        if self.scan is not None:
            self.scan["touched"].add(address)

    @rule(count=st.integers(1, 4), state=st.booleans())
    def start_scan(self, count: int, state: bool) -> None:
        members = {c.address for c in self.backend.contacts(CLIENT_ID, 1, subscribed=state)}
        self.scan = {
            "count": count,
            "state": state,
            "cursor": "Start",
            "seen": [],
            "start": members,
            "touched": set(),
        }

    @precondition(lambda self: self.scan is not None)
    @rule()
    def next_page(self) -> None:
        assert self.scan is not None
        query = ContactQuery(subscribed=self.scan["state"], cursor=self.scan["cursor"], count=self.scan["count"])
        page = self.backend.get_contacts(CLIENT_ID, 1, query)
        assert len(page.rows) <= self.scan["count"]
        self.scan["seen"] += [row.split(b'"emailAddress":"', 1)[1].split(b'"', 1)[0].decode() for row in page.rows]
        if page.next_cursor is None:
            self._check_scan()
            self.scan = None
        else:
            self.scan["cursor"] = page.next_cursor

    def _check_scan(self) -> None:
        assert self.scan is not None
        seen = self.scan["seen"]
        stable = self.scan["start"] - self.scan["touched"]
        for address in stable:
            assert seen.count(address) == 1, (address, seen)
        for address in set(seen):
            if seen.count(address) > 1:
                assert address in self.scan["touched"], (address, seen)
        self.scans_done += 1

    @rule(n=st.integers(0, 1000))
    def insert(self, n: int) -> None:
        address = f"n{n}@x.io"
        if address not in self.addresses:
            self.addresses.append(address)
            self.backend.subscribe(CLIENT_ID, 1, address)
            self._touched(address)

    @rule(n=st.integers(0, 1000))
    def insert_pending(self, n: int) -> None:
        address = f"p{n}@x.io"
        if address not in self.addresses:
            self.addresses.append(address)
            self.backend.subscribe(CLIENT_ID, 1, address, double_opt_in=True)
            self._touched(address)

    @rule(index=st.integers(0, 1000))
    def confirm(self, index: int) -> None:
        pending = [c.address for c in self.backend.contacts(CLIENT_ID, 1) if c.pending]
        if pending:
            address = pending[index % len(pending)]
            self.backend.confirm(CLIENT_ID, 1, address)
            self._touched(address)

    @rule(index=st.integers(0, 1000))
    def flip_state(self, index: int) -> None:
        address = self.addresses[index % len(self.addresses)]
        contact = self.backend.contact(CLIENT_ID, 1, address)
        assert contact is not None
        if contact.pending:
            return
        if contact.subscribed:
            self.backend.unsubscribe(CLIENT_ID, 1, address)
        else:
            self.backend.subscribe(CLIENT_ID, 1, address)
        self._touched(address)

    @rule(index=st.integers(0, 1000), value=st.sampled_from(["", "x", "y"]))
    def set_value(self, index: int, value: str) -> None:
        address = self.addresses[index % len(self.addresses)]
        before = self.backend.contact(CLIENT_ID, 1, address)
        self.backend.set_field_values(CLIENT_ID, 1, address, {9: value})
        after = self.backend.contact(CLIENT_ID, 1, address)
        assert before is not None and after is not None
        if before.seq != after.seq:
            self._touched(address)
        else:
            assert before.value(9) == value  # an update that changes nothing does not move the contact

    def teardown(self) -> None:
        # Finish the scan in progress with no more churn, so that every run checks one.
        while getattr(self, "scan", None) is not None:
            self.next_page()

    @invariant()
    def lanes_hold_each_contact_once(self) -> None:
        if not hasattr(self, "backend"):
            return
        contacts = self.backend.contacts(CLIENT_ID, 1)
        for state in (True, False):
            members = {c.address for c in contacts if c.subscribed == state and not c.pending}
            page = self.backend.get_contacts(CLIENT_ID, 1, ContactQuery(subscribed=state, count=5000))
            assert len(page.rows) == len(members)
            listed = {row.split(b'"emailAddress":"', 1)[1].split(b'"', 1)[0].decode() for row in page.rows}
            assert listed == members


TestPagingMachine = PagingMachine.TestCase
TestPagingMachine.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)
