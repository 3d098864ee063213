"""The oracle's model of Listrak: what each sync of a hand-written history must leave true."""

from __future__ import annotations

import pytest

from harness.history import (
    AddField,
    AdvanceClock,
    ClearField,
    Crash,
    CreateList,
    History,
    HistoryError,
    InjectFault,
    Integrate,
    RemoveIntegration,
    Resubscribe,
    SetField,
    Step,
    Subscribe,
    Sync,
    Unsubscribe,
)
from harness.model import ContactExpectation, ListrakModel, SyncExpectation, expectations

A, B = "Ann+news@Example.com", "bob@x.io"


def syncs(*steps: Step) -> list[SyncExpectation]:
    return expectations(History(steps))


def test_subscribe_unsubscribe_resubscribe_snapshots() -> None:
    first, second, third = syncs(
        CreateList(7),  # 0
        AddField(7, 5),  # 1
        Integrate(7, 5),  # 2
        Subscribe(7, A, {5: "u1"}),  # 3
        Sync(),  # 4
        Unsubscribe(7, A),  # 5
        Sync(),  # 6
        Resubscribe(7, A),  # 7
        Sync(),  # 8
    )
    assert first == SyncExpectation(
        number=1,
        step=4,
        integration={7: 5},
        integrated_at={7: 2},
        contacts={(7, A): ContactExpectation(7, A, True, "u1", 3, 3)},
        removed_lists={},
    )
    assert second.contacts == {(7, A): ContactExpectation(7, A, False, "u1", 5, 3)}
    assert (second.number, second.step) == (2, 6)
    assert third.contacts == {(7, A): ContactExpectation(7, A, True, "u1", 7, 3)}


def test_field_set_change_and_clear_move_the_value_and_its_step() -> None:
    result = syncs(
        CreateList(7),  # 0
        AddField(7, 5),  # 1
        Integrate(7, 5),  # 2
        Subscribe(7, A),  # 3
        Sync(),  # 4
        SetField(7, A, 5, "u1"),  # 5
        Sync(),  # 6
        SetField(7, A, 5, "u2"),  # 7
        SetField(7, A, 5, "u2"),  # 8: the same value again changes nothing
        Sync(),  # 9
        ClearField(7, A, 5),  # 10
        Sync(),  # 11
    )
    seen = [(s.contacts[(7, A)].value, s.contacts[(7, A)].value_step) for s in result]
    assert seen == [(None, None), ("u1", 5), ("u2", 7), (None, 10)]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", None), ("   ", "   "), (" 12 ", " 12 "), ("007", "007"), ("用户", "用户"), ("üüüü", "üüüü")],
)
def test_empty_is_no_value_but_whitespace_and_unicode_are_values(value: str, expected: str | None) -> None:
    (result,) = syncs(
        CreateList(7), AddField(7, 5, max_length=4), Integrate(7, 5), Subscribe(7, A), SetField(7, A, 5, value), Sync()
    )
    assert result.contacts[(7, A)].value == expected


def test_setting_an_empty_value_clears_like_clear_field() -> None:
    steps = (CreateList(7), AddField(7, 5), Integrate(7, 5), Subscribe(7, A, {5: "u1"}), Sync())
    cleared = syncs(*steps, ClearField(7, A, 5), Sync())[-1].contacts[(7, A)]
    emptied = syncs(*steps, SetField(7, A, 5, ""), Sync())[-1].contacts[(7, A)]
    assert cleared == emptied == ContactExpectation(7, A, True, None, 3, 5)


def test_value_is_that_of_the_integrated_field_only() -> None:
    (result,) = syncs(
        CreateList(7),
        AddField(7, 5),
        AddField(7, 6),
        Integrate(7, 6),
        Subscribe(7, A, {5: "from-5"}),
        Subscribe(7, B, {5: "x", 6: "from-6"}),
        Sync(),
    )
    assert result.contacts[(7, A)].value is None
    assert result.contacts[(7, B)].value == "from-6"


def test_a_list_integrated_without_a_field_has_no_values() -> None:
    (result,) = syncs(CreateList(7), AddField(7, 5), Integrate(7), Subscribe(7, A, {5: "u1"}), Sync())
    assert result.integration == {7: None}
    assert result.contacts[(7, A)] == ContactExpectation(7, A, True, None, 3, None)


def test_a_list_integrated_late_shows_contacts_that_existed_before() -> None:
    before, after = syncs(
        CreateList(7),  # 0
        AddField(7, 5),  # 1
        CreateList(8),  # 2
        Integrate(8),  # 3
        Subscribe(7, A, {5: "u1"}),  # 4
        Subscribe(7, B),  # 5
        Unsubscribe(7, B),  # 6
        Sync(),  # 7
        Integrate(7, 5),  # 8
        Sync(),  # 9
    )
    assert before.integration == {8: None} and before.contacts == {}
    assert after.integration == {7: 5, 8: None}
    assert after.integrated_at == {7: 8, 8: 3}
    assert after.contacts == {
        (7, A): ContactExpectation(7, A, True, "u1", 4, 4),
        (7, B): ContactExpectation(7, B, False, None, 6, None),
    }


def test_a_list_removed_from_the_integration_is_not_judged_and_is_reported() -> None:
    steps = (
        CreateList(7),  # 0
        CreateList(8),  # 1
        Integrate(7),  # 2
        Integrate(8),  # 3
        Subscribe(7, A),  # 4
        Subscribe(8, A),  # 5
        Sync(),  # 6
        RemoveIntegration(7),  # 7
        Unsubscribe(7, A),  # 8
        Sync(),  # 9
    )
    first, second = syncs(*steps)
    assert set(first.contacts) == {(7, A), (8, A)} and first.removed_lists == {}
    assert second.integration == {8: None}
    assert set(second.contacts) == {(8, A)}
    assert second.removed_lists == {7: 7}
    # Added back, it is judged again and no longer counts as removed.
    third = syncs(*steps, Integrate(7), Sync())[-1]
    assert third.removed_lists == {}
    assert third.contacts[(7, A)].subscribed is False


def test_addresses_are_kept_exactly_as_first_subscribed() -> None:
    (result,) = syncs(
        CreateList(7), CreateList(8), Integrate(7), Integrate(8), Subscribe(7, "A@x.io"), Subscribe(8, "a@x.io"), Sync()
    )
    assert set(result.contacts) == {(7, "A@x.io"), (8, "a@x.io")}
    assert result.addresses() == ["A@x.io", "a@x.io"]


def test_faults_and_a_crash_are_pending_for_the_next_sync_only() -> None:
    fault = InjectFault("segment", {"action": "status", "status": 500, "times": 1})
    crash = Crash(2)
    first, second = syncs(CreateList(7), Integrate(7), fault, crash, Sync(), Sync())
    assert first.faults == ((2, fault),)
    assert first.crash == (3, crash)
    assert (second.faults, second.crash) == ((), None)


def test_clock_adds_up_the_advances_before_each_sync() -> None:
    first, second = syncs(CreateList(7), AdvanceClock(60), Sync(), AdvanceClock(3600), AdvanceClock(0.5), Sync())
    assert (first.clock, second.clock) == (60, 3660.5)


def test_sync_expectation_helpers_group_by_address() -> None:
    (result,) = syncs(
        CreateList(7),
        CreateList(8),
        CreateList(9),
        Integrate(7),
        Integrate(8),
        Subscribe(7, A),
        Subscribe(8, A),
        Subscribe(9, A),
        Unsubscribe(8, A),
        Subscribe(8, B),
        Sync(),
    )
    assert set(result.for_address(A)) == {7, 8}
    assert result.subscribed_lists(A) == [7]
    assert result.subscribed_lists(B) == [8]
    assert result.contact(9, A) is None
    assert result.contact(8, B) == ContactExpectation(8, B, True, None, 9, None)


def test_expectations_refuse_a_history_listrak_would_not_accept() -> None:
    with pytest.raises(HistoryError, match=r"steps\[1\].address"):
        syncs(CreateList(7), Unsubscribe(7, A))


def test_a_refused_step_leaves_the_model_as_it_was() -> None:
    model = ListrakModel()
    model.apply(CreateList(7))
    model.apply(Subscribe(7, A))
    with pytest.raises(HistoryError):
        model.apply(Resubscribe(7, A))
    assert model.index == 2
    assert model.contact(7, A) is not None and model.contact(7, A).subscribed  # type: ignore[union-attr]
    model.apply(Unsubscribe(7, A))
    assert model.contact(7, A).subscription_step == 2  # type: ignore[union-attr]


def test_model_finds_contacts_case_insensitively_but_names_them_exactly() -> None:
    model = ListrakModel()
    model.apply(CreateList(7))
    model.apply(Subscribe(7, "Ann@x.io"))
    assert model.find(7, "ann@X.IO") is not None
    assert model.contact(7, "ann@X.IO") is None
    assert model.contact(7, "Ann@x.io") is not None
    assert model.find(8, "Ann@x.io") is None


def test_sync_returns_its_expectation_and_other_steps_return_none() -> None:
    model = ListrakModel()
    assert model.apply(CreateList(7)) is None
    result = model.apply(Sync())
    assert result is not None and result.number == 1 and model.syncs == [result]
