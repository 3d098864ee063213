"""Applying histories to a fake Listrak account: the fake ends where the model says, and a step
the fake refuses becomes a HistoryError naming it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings

from fake_listrak.exceptions import ClockNotSettable
from fake_listrak.fake import FakeListrak, ListrakAccount
from harness.apply import FIELD_GROUP_NAME, LISTRAK_STEP_TYPES, apply_step, is_listrak_step
from harness.fakekit.clock import ManualClock
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
from harness.model import ListrakModel
from harness.strategies import histories


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeListrak]:
    """One fake (not serving: in-process only) on a manual clock; each test takes fresh accounts."""
    yield FakeListrak(clock=ManualClock())


@pytest.fixture
def account(fake: FakeListrak) -> ListrakAccount:
    return fake.account()


def apply_all(account: ListrakAccount, steps: tuple[Step, ...]) -> None:
    for index, step in enumerate(steps):
        if is_listrak_step(step):
            apply_step(account, step, index)


def fake_state(
    account: ListrakAccount, list_ids: list[int]
) -> dict[int, set[tuple[str, bool, tuple[tuple[int, str], ...]]]]:
    return {
        lid: {(c.address, c.subscribed, tuple(sorted(c.value_map().items()))) for c in account.contacts(lid)}
        for lid in list_ids
    }


def model_state(model: ListrakModel) -> dict[int, set[tuple[str, bool, tuple[tuple[int, str], ...]]]]:
    return {
        lid: {(c.address, c.subscribed, tuple(sorted(c.values.items()))) for c in state.contacts.values()}
        for lid, state in model.lists.items()
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=histories(faults=True, crashes=True))
def test_fake_holds_what_the_model_says_after_every_sync(fake: FakeListrak, history: History) -> None:
    account = fake.account()
    model = ListrakModel()
    for index, step in enumerate(history.steps):
        model.apply(step)
        if is_listrak_step(step):
            apply_step(account, step, index)
        if isinstance(step, Sync):
            assert fake_state(account, sorted(model.lists)) == model_state(model), f"at step {index + 1}"
    lists = {info.list_id: info.list_name for info in account.backend.get_lists(account.client_id)}
    assert lists == {lid: state.name for lid, state in model.lists.items()}
    for list_id, state in model.lists.items():
        groups = account.backend.get_field_groups(account.client_id, list_id)
        assert len(groups) == (1 if state.fields else 0)
        fields = {
            f.field_id: (f.name, f.data_type, f.max_length)
            for group in groups
            for f in account.backend.get_fields(account.client_id, list_id, group.group_id)
        }
        assert fields == {fid: (f.name, f.data_type, f.max_length) for fid, f in state.fields.items()}


def test_lists_and_fields_get_the_history_ids_in_one_group(account: ListrakAccount) -> None:
    apply_all(account, (CreateList(4242, "VIP"), AddField(4242, 17, "CustomerId", "Numeric", 8), AddField(4242, 3)))
    (group,) = account.backend.get_field_groups(account.client_id, 4242)
    assert group.name == FIELD_GROUP_NAME
    fields = account.backend.get_fields(account.client_id, 4242, group.group_id)
    assert [(f.field_id, f.data_type, f.max_length) for f in fields] == [(3, "Text", 50), (17, "Numeric", 8)]
    assert account.backend.get_list(account.client_id, 4242).list_name == "VIP"


def test_contact_steps_change_the_fake_contact(account: ListrakAccount) -> None:
    apply_all(
        account,
        (
            CreateList(7),
            AddField(7, 5),
            Subscribe(7, "Ann@X.io", {5: "u1"}),
            Unsubscribe(7, "Ann@X.io"),
            Resubscribe(7, "Ann@X.io"),
            SetField(7, "Ann@X.io", 5, "   "),
        ),
    )
    contact = account.contact(7, "Ann@X.io")
    assert contact is not None
    assert (contact.address, contact.subscribed, contact.value(5)) == ("Ann@X.io", True, "   ")
    assert contact.resubscribe_date is not None
    apply_step(account, ClearField(7, "Ann@X.io", 5))
    assert account.contact(7, "Ann@X.io").value_map() == {}  # type: ignore[union-attr]


def test_advance_clock_moves_the_fake_clock(fake: FakeListrak, account: ListrakAccount) -> None:
    before = fake.now()
    apply_step(account, AdvanceClock(3600))
    assert fake.now() - before == timedelta(seconds=3600)


@pytest.mark.parametrize(
    "step",
    [Integrate(7), RemoveIntegration(7), InjectFault("segment", {"action": "drop"}), Crash(1), Sync()],
)
def test_harness_steps_are_not_applied_to_listrak(account: ListrakAccount, step: Step) -> None:
    assert not is_listrak_step(step)
    with pytest.raises(ValueError, match=f"{step.kind} is a step the harness carries out itself"):
        apply_step(account, step)


def test_every_listrak_step_type_is_recognised() -> None:
    assert {cls.kind for cls in LISTRAK_STEP_TYPES} == {  # type: ignore[attr-defined]
        "create_list",
        "add_field",
        "subscribe",
        "unsubscribe",
        "resubscribe",
        "set_field",
        "clear_field",
        "advance_clock",
    }


SETUP: tuple[Step, ...] = (CreateList(7), AddField(7, 5, max_length=4), Subscribe(7, "a@x.io"), CreateList(8))
REFUSED: list[tuple[Step, str]] = [
    (CreateList(7), "list 7 already exists"),
    (AddField(7, 5), "field 5 already exists on list 7"),
    (AddField(8, 5), "ERROR_INVALID_SEED"),
    (AddField(9, 6), "ERROR_UNABLE_TO_LOCATE_RESOURCE"),
    (Subscribe(9, "a@x.io"), "ERROR_UNABLE_TO_LOCATE_RESOURCE"),
    (Subscribe(7, "A@X.IO"), "already on list 7 as 'a@x.io'"),
    (Subscribe(7, "b@x.io", {5: "12345"}), "ERROR_INVALID_PARAMETER"),
    (Subscribe(7, "b@x.io", {6: "u"}), "ERROR_INVALID_PARAMETER"),
    (Unsubscribe(7, "b@x.io"), "b@x.io is not on list 7"),
    (Unsubscribe(7, "A@x.io"), "stored on list 7 as 'a@x.io'"),
    (Resubscribe(7, "a@x.io"), "a@x.io is subscribed to list 7, not unsubscribed"),
    (SetField(7, "a@x.io", 5, "12345"), "ERROR_INVALID_PARAMETER"),
    (ClearField(8, "a@x.io", 5), "a@x.io is not on list 8"),
]


@pytest.mark.parametrize(("step", "fragment"), REFUSED)
def test_a_step_the_fake_refuses_is_a_history_error_naming_it(
    account: ListrakAccount, step: Step, fragment: str
) -> None:
    apply_all(account, SETUP)
    with pytest.raises(HistoryError) as caught:
        apply_step(account, step, 4)
    assert caught.value.where == "steps[4]"
    assert caught.value.step == 4
    assert f"step 5 ({step.describe()})" in str(caught.value)
    assert fragment in str(caught.value)


def test_unsubscribing_twice_is_refused_with_listraks_own_error(account: ListrakAccount) -> None:
    apply_all(account, (*SETUP, Unsubscribe(7, "a@x.io")))
    with pytest.raises(HistoryError, match="ERROR_UNSUBSCRIBED_EMAIL_ADDRESS"):
        apply_step(account, Unsubscribe(7, "a@x.io"), 5)


def test_without_an_index_the_error_quotes_the_step(account: ListrakAccount) -> None:
    with pytest.raises(HistoryError) as caught:
        apply_step(account, Subscribe(99, "a@x.io"))
    assert caught.value.where == "step"
    assert "subscribe a@x.io to list 99" in str(caught.value)


def test_a_fake_on_the_wall_clock_cannot_advance_and_says_so() -> None:
    account = FakeListrak().account()
    with pytest.raises(ClockNotSettable):
        apply_step(account, AdvanceClock(1))
