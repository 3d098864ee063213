"""Hazards on hand-built runs: each reported once, at the sync where it first shows, naming its messages."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from fake_segment.models import StoredMessage
from harness.hazards import Hazard, hazards
from harness.model import SyncExpectation

PREFIX = "Listrak_list_"
T7, T8, T9 = f"{PREFIX}7", f"{PREFIX}8", f"{PREFIX}9"

Sync = tuple[SyncExpectation, Sequence[StoredMessage], dict[str, Any]]


def expectation(
    number: int,
    step: int,
    integration: Mapping[int, int | None] | None = None,
    removed: Mapping[int, int] | None = None,
) -> SyncExpectation:
    lists = {7: None} if integration is None else integration
    return SyncExpectation(
        number=number,
        step=step,
        integration=lists,
        integrated_at=dict.fromkeys(lists, 0),
        contacts={},
        removed_lists=removed or {},
    )


def identify(seq: int, address: str, traits: dict[str, Any] | None = None, user_id: str | None = None) -> StoredMessage:
    message: dict[str, Any] = {"type": "identify", "anonymousId": address, "messageId": f"m-{seq}"}
    message["traits"] = {"email": address, T7: True} if traits is None else traits
    if user_id is not None:
        message["userId"] = user_id
    return StoredMessage(seq, "wk", message, 0.0)


def track(seq: int, address: str, user_id: str) -> StoredMessage:
    message = {"type": "track", "event": "Unsubscribed", "anonymousId": address, "userId": user_id}
    return StoredMessage(seq, "wk", message, 0.0)


def run(*syncs: Sequence[StoredMessage]) -> tuple[list[Hazard], Counter[str]]:
    """Hazards of syncs given by their messages: sync n at step 2n, list 7 integrated, no views."""
    return run_full(*((expectation(n, 2 * n), list(messages), {}) for n, messages in enumerate(syncs, 1)))


def run_full(*syncs: Sync) -> tuple[list[Hazard], Counter[str]]:
    """Hazards of syncs given whole: expectation, messages, views."""
    exercised: Counter[str] = Counter()
    return list(hazards(syncs, PREFIX, exercised)), exercised


def of(rule: str, found: list[Hazard]) -> list[Hazard]:
    return [h for h in found if h.rule == rule]


# -- userIds -------------------------------------------------------------------------------------
def test_one_address_with_two_user_ids_is_a_conflict_reported_once() -> None:
    found, exercised = run(
        [identify(1, "a@x.io", user_id="u1")],
        [identify(2, "b@x.io"), identify(3, "a@x.io", user_id="u2")],
        [identify(4, "a@x.io", user_id="u3")],
    )
    (h,) = of("user-id-conflict", found)
    assert (h.sync_index, h.messages, h.steps) == (1, (1, 3), ())
    assert h.expected == "one userId for a@x.io"
    assert h.seen == "userIds 'u1' (message 1) and 'u2' (message 3)"
    assert h.explanation == (
        "At sync 2 (step 5), a@x.io was sent with userId 'u2' (message 3) after 'u1' (message 1); Segment's default "
        "identity resolution keeps one user_id a profile, so it would split this address's profile."
    )
    assert exercised["user-id-conflict"] == 4


def test_the_same_user_id_again_is_no_conflict() -> None:
    found, _ = run([identify(1, "a@x.io", user_id="u1")], [identify(2, "a@x.io", {T7: None}, user_id="u1")])
    assert of("user-id-conflict", found) == [] and of("user-id-shared", found) == []


def test_one_user_id_for_two_addresses_is_shared_and_reported_once() -> None:
    found, exercised = run(
        [identify(1, "a@x.io", user_id="u1"), identify(2, "b@x.io", user_id="u1")],
        [identify(3, "c@x.io", user_id="u1")],
    )
    (h,) = of("user-id-shared", found)
    assert (h.sync_index, h.messages) == (0, (1, 2))
    assert h.expected == "userId 'u1' for one address"
    assert h.seen == "a@x.io (message 1) and b@x.io (message 2)"
    assert h.explanation == (
        "At sync 1 (step 3), userId 'u1' was sent for b@x.io (message 2) and for a@x.io (message 1); Segment would "
        "merge the two addresses' profiles."
    )
    assert exercised["user-id-shared"] == 3


def test_addresses_that_differ_in_case_are_two_addresses_to_segment() -> None:
    found, _ = run([identify(1, "Ann@x.io", user_id="u1"), identify(2, "ann@x.io", user_id="u1")])
    assert [h.seen for h in of("user-id-shared", found)] == ["Ann@x.io (message 1) and ann@x.io (message 2)"]


def test_track_events_are_ignored() -> None:
    # A track never carries a userId by the documentation; the message rules judge that, not the hazards.
    found, exercised = run([identify(1, "a@x.io", user_id="u1"), track(2, "a@x.io", "u2"), track(3, "b@x.io", "u1")])
    assert found == []
    assert exercised["user-id-conflict"] == 1 and exercised["redundant-message"] == 1


def test_a_message_without_an_anonymous_id_is_skipped() -> None:
    stored = StoredMessage(1, "wk", {"type": "identify", "userId": "u1", "traits": {"firstName": "A"}}, 0.0)
    found, exercised = run([stored])
    assert found == [] and sum(exercised.values()) == 0


# -- redundant messages --------------------------------------------------------------------------
def test_a_message_that_repeats_the_profile_is_redundant() -> None:
    found, exercised = run([identify(1, "a@x.io")], [identify(2, "a@x.io"), identify(3, "b@x.io")])
    (h,) = of("redundant-message", found)
    assert (h.sync_index, h.messages) == (1, (2,))
    assert h.expected == "a message that changes the profile"
    assert h.seen == "every trait and the userId as the profile already has them"
    assert h.explanation == (
        "At sync 2 (step 5), message 2 for a@x.io changes nothing on its profile: every trait it sets already has "
        "that value (and a null removes a trait it does not have)."
    )
    assert exercised["redundant-message"] == 3


def test_a_null_for_a_trait_the_profile_lacks_is_redundant_and_one_that_removes_is_not() -> None:
    found, _ = run(
        [identify(1, "a@x.io")],
        [
            identify(2, "a@x.io", {"email": "a@x.io", T8: None}),  # never had it
            identify(3, "a@x.io", {"email": "a@x.io", T7: None}),  # removes it
            identify(4, "a@x.io", {T7: None}),  # already removed
        ],
    )
    assert [h.messages for h in of("redundant-message", found)] == [(2,), (4,)]


def test_a_new_user_id_is_a_change_and_the_same_one_again_is_not() -> None:
    found, _ = run(
        [identify(1, "a@x.io")],
        [identify(2, "a@x.io", user_id="u1"), identify(3, "a@x.io", user_id="u1"), identify(4, "a@x.io", user_id="u2")],
    )
    assert [h.messages for h in of("redundant-message", found)] == [(3,)]


@pytest.mark.parametrize(
    ("kept", "sent"),
    [(True, 1), (1, True), (True, "true"), (False, 0), ({"a": True}, {"a": 1}), ([True], [1]), ("", None), (1, 2)],
    ids=["true-to-1", "1-to-true", "true-to-string", "false-to-0", "nested", "list", "empty-to-null", "1-to-2"],
)
def test_a_value_of_another_json_type_is_a_change(kept: Any, sent: Any) -> None:
    # Python's 1 == True must not hide that the profile now holds 1 where it held true.
    found, _ = run([identify(1, "a@x.io", {"email": "a@x.io", "x": kept}), identify(2, "a@x.io", {"x": sent})])
    assert of("redundant-message", found) == []


@pytest.mark.parametrize(
    ("kept", "sent"),
    [(True, True), (1, 1), (1, 1.0), ("u", "u"), ({"a": [1, {"b": None}]}, {"a": [1, {"b": None}]}), ("", "")],
    ids=repr,
)
def test_the_same_json_value_again_is_redundant(kept: Any, sent: Any) -> None:
    # 1 and 1.0 are one JSON number.
    found, _ = run([identify(1, "a@x.io", {"email": "a@x.io", "x": kept}), identify(2, "a@x.io", {"x": sent})])
    assert [h.messages for h in of("redundant-message", found)] == [(2,)]


def test_an_identify_with_no_traits_and_no_user_id_is_redundant() -> None:
    found, _ = run([identify(1, "a@x.io", {})])
    assert [h.messages for h in of("redundant-message", found)] == [(1,)]


def test_profiles_are_kept_per_anonymous_id() -> None:
    found, _ = run([identify(1, "a@x.io"), identify(2, "A@x.io", {"email": "a@x.io", T7: True})])
    assert of("redundant-message", found) == []


# -- undocumented traits -------------------------------------------------------------------------
def test_a_trait_the_documentation_never_mentions_is_named() -> None:
    traits = {"email": "a@x.io", T7: True, "listrak_list_8": None, "Phone": "1", "firstName": "Ann"}
    found, exercised = run([], [identify(5, "a@x.io", traits)])
    (h,) = of("undocumented-trait", found)
    assert (h.sync_index, h.messages) == (1, (5,))
    assert (h.expected, h.seen) == ("only email and the list traits", "Phone, firstName")
    assert h.explanation == (
        "At sync 2 (step 5), message 5 for a@x.io sets Phone, firstName, which the Listrak Source documentation "
        "never mentions."
    )
    assert exercised["undocumented-trait"] == 1


def test_each_undocumented_trait_is_reported_once_however_many_messages_carry_it() -> None:
    first = identify(1, "a@x.io", {"email": "a@x.io", "firstName": "Ann"})
    second = identify(2, "b@x.io", {"email": "b@x.io", "firstName": "Bob", "Phone": "2"})
    found, exercised = run([first, second], [identify(3, "c@x.io", {"email": "c@x.io", "firstName": "Cy"})])
    assert [(h.messages, h.seen) for h in of("undocumented-trait", found)] == [((1,), "firstName"), ((2,), "Phone")]
    assert exercised["undocumented-trait"] == 3


@pytest.mark.parametrize("name", ["email", T7, "listrak_list_7", "LISTRAK-LIST-7", "listraklist7", "Listrak_list_"])
def test_email_and_anything_spelt_like_a_list_trait_are_not_undocumented(name: str) -> None:
    # A misspelt list trait is the list-trait-name rule's to judge, not an undocumented trait.
    found, _ = run([identify(1, "a@x.io", {name: True})])
    assert of("undocumented-trait", found) == []


# -- removed lists -------------------------------------------------------------------------------
def test_a_removed_list_is_reported_once_at_the_first_sync_after_its_removal() -> None:
    holding = {f"{c}@x.io": {"email": f"{c}@x.io", T8: True} for c in "dcba"}
    views = {**holding, "e@x.io": {"email": "e@x.io", T7: True}}
    both = {7: None, 8: None}
    found, exercised = run_full(
        (expectation(1, 3, both), [], views),
        (expectation(2, 6, {7: None}, removed={8: 4}), [], views),
        (expectation(3, 8, {7: None}, removed={8: 4}), [], views),
    )
    (h,) = of("removed-list-not-judged", found)
    assert (h.sync_index, h.steps, h.messages) == (1, (4,), ())
    assert h.seen == "4 profile(s) still have Listrak_list_8 (a@x.io, b@x.io, c@x.io, ...)"
    assert h.expected == (
        "nothing: the documentation says nothing about Listrak_list_8 once list 8 leaves the integration"
    )
    assert h.explanation == (
        "At sync 2 (step 7), list 8 is no longer integrated (removed at step 5), and 4 profile(s) still have "
        "Listrak_list_8 (a@x.io, b@x.io, c@x.io, ...); the documentation says nothing about a removed list, so its "
        "trait is not judged."
    )
    assert exercised["removed-list-not-judged"] == 1


def test_a_removed_list_no_profile_holds_says_so() -> None:
    views = {"a@x.io": {"email": "a@x.io", T7: True}}
    found, _ = run_full((expectation(1, 3, {7: None}, removed={9: 1}), [], views))
    assert [h.seen for h in found] == ["no profile has Listrak_list_9"]


def test_each_removed_list_is_reported_at_its_own_first_sync() -> None:
    views = {"a@x.io": {T8: True, T9: True}}
    found, _ = run_full(
        (expectation(1, 2, {7: None, 9: None}, removed={8: 1}), [], views),
        (expectation(2, 4, {7: None}, removed={8: 1, 9: 3}), [], views),
    )
    assert [(h.sync_index, h.steps) for h in found] == [(0, (1,)), (1, (3,))]
    assert [h.seen for h in found] == [
        "1 profile(s) still have Listrak_list_8 (a@x.io)",
        "1 profile(s) still have Listrak_list_9 (a@x.io)",
    ]


def test_a_list_integrated_again_is_not_reported() -> None:
    found, exercised = run_full((expectation(1, 3, {7: None, 8: None}, removed={8: 1}), [], {"a@x.io": {T8: True}}))
    assert found == [] and exercised["removed-list-not-judged"] == 0


def test_hazards_come_in_message_order_within_a_sync() -> None:
    found, _ = run(
        [
            identify(1, "a@x.io", user_id="u1"),
            identify(2, "a@x.io", {"email": "a@x.io", T7: True, "x": 1}, user_id="u2"),
            identify(3, "b@x.io", user_id="u2"),
        ]
    )
    assert [(h.rule, h.messages) for h in found] == [
        ("user-id-conflict", (1, 2)),
        ("undocumented-trait", (2,)),
        ("user-id-shared", (2, 3)),
    ]
