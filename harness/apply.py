"""Applying a history's Listrak-side steps to a fake Listrak account, in-process (no HTTP), so replay is fast.

Lists and fields are created with the history's own ids (through the fake's seed, the one in-process
way to choose them), contacts are changed as an administrator would. A step the fake refuses, or one
it would silently take for something else (subscribing an address already on the list is an update
in Listrak), becomes a HistoryError naming the step.
"""

from __future__ import annotations

from fake_listrak.exceptions import ClockNotSettable, ListrakError
from fake_listrak.fake import ListrakAccount
from fake_listrak.models import Contact

from .history import (
    AddField,
    AdvanceClock,
    ClearField,
    CreateList,
    HistoryError,
    Resubscribe,
    SetField,
    Step,
    Subscribe,
    Unsubscribe,
    step_label,
)

__all__ = ["FIELD_GROUP_NAME", "LISTRAK_STEP_TYPES", "apply_step", "is_listrak_step"]

LISTRAK_STEP_TYPES: tuple[type, ...] = (
    CreateList,
    AddField,
    Subscribe,
    Unsubscribe,
    Resubscribe,
    SetField,
    ClearField,
    AdvanceClock,
)
# The profile field group `add_field` puts a list's fields in (created with the list's first field).
FIELD_GROUP_NAME = "Harness"


def is_listrak_step(step: Step) -> bool:
    """True for a step `apply_step` carries out on the fake Listrak (the others are the harness's own)."""
    return isinstance(step, LISTRAK_STEP_TYPES)


def apply_step(account: ListrakAccount, step: Step, index: int | None = None) -> None:
    """Carry out one Listrak-side step on the account; `index` (the step's place in its history) names it in errors.

    ValueError for a step that is not Listrak's (integrate, remove_integration, inject_fault, crash, sync).
    """
    if not is_listrak_step(step):
        raise ValueError(
            f"{step.kind} is a step the harness carries out itself, not one applied to the fake Listrak "
            f"(apply_step takes {', '.join(cls.kind for cls in LISTRAK_STEP_TYPES)})"  # type: ignore[attr-defined]
        )
    try:
        _apply(account, step, index)
    except ClockNotSettable:
        raise
    except ListrakError as exc:
        raise _refused(step, index, f"the fake Listrak refused it: {exc.code}: {exc.message}") from exc


def _refused(step: Step, index: int | None, what: str) -> HistoryError:
    if index is None:
        return HistoryError(f"{step.describe()}: {what}", "step")
    return HistoryError(f"{step_label(index, step)}: {what}", f"steps[{index}]", step=index)


def _existing(account: ListrakAccount, step: Step, index: int | None, list_id: int, address: str) -> Contact:
    found = account.contact(list_id, address)
    if found is None:
        raise _refused(step, index, f"{address} is not on list {list_id}")
    if found.address != address:
        raise _refused(step, index, f"the contact is stored on list {list_id} as {found.address!r}")
    return found


def _apply(account: ListrakAccount, step: Step, index: int | None) -> None:
    backend, client_id = account.backend, account.client_id
    if isinstance(step, CreateList):
        if step.list_id in {info.list_id for info in backend.get_lists(client_id)}:
            raise _refused(step, index, f"list {step.list_id} already exists")
        account.seed(lists=[{"listId": step.list_id, "listName": step.name}])
    elif isinstance(step, AddField):
        groups = backend.get_field_groups(client_id, step.list_id)
        for group in groups:
            if any(f.field_id == step.field_id for f in backend.get_fields(client_id, step.list_id, group.group_id)):
                raise _refused(step, index, f"field {step.field_id} already exists on list {step.list_id}")
        group_spec: dict[str, object] = {"segmentationFieldGroupName": FIELD_GROUP_NAME}
        if groups:
            group_spec["segmentationFieldGroupId"] = groups[0].group_id
        new_field = {
            "segmentationFieldId": step.field_id,
            "segmentationFieldName": step.name,
            "dataType": step.data_type,
            "maxLength": step.max_length,
        }
        account.seed(
            lists=[
                {"listId": step.list_id, "segmentationFieldGroups": [{**group_spec, "segmentationFields": [new_field]}]}
            ]
        )
    elif isinstance(step, Subscribe):
        found = account.contact(step.list_id, step.address)
        if found is not None:
            # Listrak would take this as an update of the existing contact, not the new one the history means.
            raise _refused(step, index, f"{step.address} is already on list {step.list_id} as {found.address!r}")
        account.subscribe(step.list_id, step.address, values=step.values)
    elif isinstance(step, Unsubscribe):
        _existing(account, step, index, step.list_id, step.address)
        account.unsubscribe(step.list_id, step.address)
    elif isinstance(step, Resubscribe):
        if _existing(account, step, index, step.list_id, step.address).subscribed:
            raise _refused(step, index, f"{step.address} is subscribed to list {step.list_id}, not unsubscribed")
        account.subscribe(step.list_id, step.address)  # the in-process subscribe passes overrideUnsubscribe
    elif isinstance(step, SetField):
        _existing(account, step, index, step.list_id, step.address)
        account.set_field_values(step.list_id, step.address, {step.field_id: step.value})
    elif isinstance(step, ClearField):
        _existing(account, step, index, step.list_id, step.address)
        account.set_field_values(step.list_id, step.address, {step.field_id: ""})
    elif isinstance(step, AdvanceClock):
        backend.advance_clock(step.seconds)
