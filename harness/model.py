"""The oracle's model of Listrak: a pure replay of a history's steps (no fakes) that says, at every
`sync` step, what the contact state is and where each part of it came from.

The model is also what decides whether a step is one Listrak would accept in the state it meets,
so `History.validate`, the strategies and the oracle share one definition of a legal history.
Addresses are kept exactly as Listrak stores them (the spelling of the first subscribe); Listrak
matches them case-insensitively on a list, so a second spelling of the same address on one list
is refused, and steps must name a contact as it is stored.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from fake_listrak.exceptions import InvalidParameter
from fake_listrak.models import Field
from fake_listrak.store import address_key

from .history import (
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
    check_step,
    step_label,
)

__all__ = [
    "ContactExpectation",
    "ContactState",
    "ListState",
    "ListrakModel",
    "SyncExpectation",
    "expectations",
]


@dataclass(slots=True)
class ContactState:
    """One address on one list in the model: subscribed or not, its non-empty values, and the steps
    (indexes) that last changed its subscription and each of its values."""

    address: str
    subscribed: bool
    values: dict[int, str]
    subscription_step: int
    value_steps: dict[int, int] = field(default_factory=dict)


@dataclass(slots=True)
class ListState:
    """One list in the model: its profile fields and its contacts (by Listrak's case-insensitive key)."""

    list_id: int
    name: str
    created_step: int
    fields: dict[int, Field] = field(default_factory=dict)
    field_steps: dict[int, int] = field(default_factory=dict)
    contacts: dict[str, ContactState] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ContactExpectation:
    """What one (list, address) must look like at a sync.

    `value` is `v(E, L, F(L))`: None when the list has no userId field or the contact no value for
    it. `subscription_step` is the index of the step that last changed the subscription (the
    subscribe, if nothing since); `value_step` that of the last change of F(L)'s value (None when F
    is unset or the value never changed).
    """

    list_id: int
    address: str
    subscribed: bool
    value: str | None
    subscription_step: int
    value_step: int | None


@dataclass(frozen=True, slots=True)
class SyncExpectation:
    """What a sync must leave true, and what was armed against it.

    `number` counts syncs from 1 ("sync 3"), `step` is the sync step's index. `integration` maps each
    integrated list to its userId field (or None) and `integrated_at` to the integrate step's index.
    `contacts` holds every (list, address) on an integrated list, subscribed or not. Lists removed
    from the integration (and not added back) are in `removed_lists`, with the removing step: their
    traits are not judged. `faults` and `crash` are the steps armed since the previous sync;
    `clock` the seconds the history has advanced the clock by.
    """

    number: int
    step: int
    integration: Mapping[int, int | None]
    integrated_at: Mapping[int, int]
    contacts: Mapping[tuple[int, str], ContactExpectation]
    removed_lists: Mapping[int, int]
    faults: tuple[tuple[int, InjectFault], ...] = ()
    crash: tuple[int, Crash] | None = None
    clock: float = 0.0

    def contact(self, list_id: int, address: str) -> ContactExpectation | None:
        """The expectation for one (list, address), None if the address is not on that integrated list."""
        return self.contacts.get((list_id, address))

    def addresses(self) -> list[str]:
        """Every address on an integrated list, sorted."""
        return sorted({address for _, address in self.contacts})

    def for_address(self, address: str) -> dict[int, ContactExpectation]:
        """An address's expectations by integrated list."""
        return {lid: c for (lid, a), c in self.contacts.items() if a == address}

    def subscribed_lists(self, address: str) -> list[int]:
        """The integrated lists the address is subscribed to, sorted."""
        return sorted(lid for (lid, a), c in self.contacts.items() if a == address and c.subscribed)


class ListrakModel:
    """Lists, fields, contacts, the integration and the clock, advanced one step at a time.

    `apply(step)` raises HistoryError, naming the step, for a step Listrak (or the integration)
    would not accept in the current state, and leaves the model unchanged when it does.
    """

    def __init__(self) -> None:
        self.lists: dict[int, ListState] = {}
        self.field_lists: dict[int, int] = {}
        self.integration: dict[int, int | None] = {}
        self.integrated_at: dict[int, int] = {}
        self.removed: dict[int, int] = {}
        self.clock: float = 0.0
        self.syncs: list[SyncExpectation] = []
        self.pending_faults: list[tuple[int, InjectFault]] = []
        self.pending_crash: tuple[int, Crash] | None = None
        self.index = 0

    # -- queries -------------------------------------------------------------------------------
    def find(self, list_id: int, address: str) -> ContactState | None:
        """The contact Listrak would find for `address` on a list (case-insensitively), if any."""
        state = self.lists.get(list_id)
        return None if state is None else state.contacts.get(address_key(address))

    def contact(self, list_id: int, address: str) -> ContactState | None:
        """The contact stored with exactly this address on a list, if any."""
        found = self.find(list_id, address)
        return found if found is not None and found.address == address else None

    def contacts(self) -> Iterator[tuple[int, ContactState]]:
        """Every (list id, contact), lists by id, contacts in the order they were added."""
        for list_id in sorted(self.lists):
            for contact in self.lists[list_id].contacts.values():
                yield list_id, contact

    def value(self, list_id: int, address: str) -> str | None:
        """`v(E, L, F(L))` now: None unless L is integrated with a field and the contact has a value for it."""
        field_id = self.integration.get(list_id)
        contact = self.contact(list_id, address)
        if field_id is None or contact is None:
            return None
        return contact.values.get(field_id)

    def snapshot(self) -> SyncExpectation:
        """What a sync run now would have to leave true."""
        contacts: dict[tuple[int, str], ContactExpectation] = {}
        for list_id, field_id in sorted(self.integration.items()):
            for contact in self.lists[list_id].contacts.values():
                value = contact.values.get(field_id) if field_id is not None else None
                value_step = contact.value_steps.get(field_id) if field_id is not None else None
                contacts[(list_id, contact.address)] = ContactExpectation(
                    list_id, contact.address, contact.subscribed, value, contact.subscription_step, value_step
                )
        return SyncExpectation(
            number=len(self.syncs) + 1,
            step=self.index,
            integration=dict(self.integration),
            integrated_at=dict(self.integrated_at),
            contacts=contacts,
            removed_lists=dict(self.removed),
            faults=tuple(self.pending_faults),
            crash=self.pending_crash,
            clock=self.clock,
        )

    # -- stepping ------------------------------------------------------------------------------
    def apply(self, step: Step) -> SyncExpectation | None:
        """Apply the next step; at a `sync`, return (and keep in `syncs`) what that sync must leave true."""
        index = self.index
        check_step(step, f"steps[{index}]")
        self._check(step, index)
        result = self._apply(step, index)
        self.index += 1
        return result

    def _fail(self, index: int, step: Step, attribute: str | None, what: str, seen: Any = None) -> HistoryError:
        where = f"steps[{index}]" + (f".{attribute}" if attribute else "")
        message = f"{step_label(index, step)}: {what}"
        if seen is None:
            return HistoryError(message, where, step=index)
        return HistoryError(message, where, seen, step=index)

    def _list(self, index: int, step: Step, list_id: int) -> ListState:
        state = self.lists.get(list_id)
        if state is None:
            known = ", ".join(map(str, sorted(self.lists))) or "none yet"
            raise self._fail(index, step, "list_id", f"list {list_id} does not exist (lists: {known})")
        return state

    def _field(self, index: int, step: Step, state: ListState, field_id: int) -> Field:
        found = state.fields.get(field_id)
        if found is None:
            owner = self.field_lists.get(field_id)
            if owner is not None:
                what = f"field {field_id} belongs to list {owner}, not to list {state.list_id}"
            else:
                known = ", ".join(map(str, sorted(state.fields))) or "none"
                what = f"field {field_id} does not exist on list {state.list_id} (its fields: {known})"
            raise self._fail(index, step, "field_id", what)
        return found

    def _contact(self, index: int, step: Step, state: ListState, address: str) -> ContactState:
        found = state.contacts.get(address_key(address))
        if found is None:
            raise self._fail(index, step, "address", f"{address} is not on list {state.list_id}")
        if found.address != address:
            raise self._fail(
                index,
                step,
                "address",
                f"the contact is stored on list {state.list_id} as {found.address!r}; name it as Listrak stores it",
            )
        return found

    def _stored(self, index: int, step: Step, found: Field, value: str, attribute: str) -> str:
        try:
            return found.check(value)
        except InvalidParameter:
            raise self._fail(
                index,
                step,
                attribute,
                f"field {found.field_id} takes a {found.data_type} value of at most {found.max_length} characters",
                value,
            ) from None

    def _check(self, step: Step, index: int) -> None:
        """Raise HistoryError if Listrak (or the integration) would refuse the step now."""
        if isinstance(step, CreateList):
            existing = self.lists.get(step.list_id)
            if existing is not None:
                raise self._fail(
                    index,
                    step,
                    "list_id",
                    f"list {step.list_id} already exists (created at step {existing.created_step + 1})",
                )
        elif isinstance(step, AddField):
            self._list(index, step, step.list_id)
            owner = self.field_lists.get(step.field_id)
            if owner is not None:
                added = self.lists[owner].field_steps[step.field_id] + 1
                raise self._fail(
                    index,
                    step,
                    "field_id",
                    f"field {step.field_id} already exists (on list {owner}, added at step {added}); "
                    "field ids are unique in a Listrak account",
                )
        elif isinstance(step, Subscribe):
            state = self._list(index, step, step.list_id)
            found = state.contacts.get(address_key(step.address))
            if found is not None:
                how = "subscribed" if found.subscribed else "unsubscribed"
                since = found.subscription_step + 1
                spelled = "" if found.address == step.address else f" as {found.address!r} (matched case-insensitively)"
                hint = "" if found.subscribed else "; resubscribe it instead"
                raise self._fail(
                    index,
                    step,
                    "address",
                    f"{step.address} is already on list {step.list_id}{spelled}, {how} at step {since}{hint}",
                )
            for field_id, value in step.values.items():
                found_field = self._field(index, step, state, field_id)
                self._stored(index, step, found_field, value, f"values[{field_id}]")
        elif isinstance(step, Unsubscribe | Resubscribe):
            state = self._list(index, step, step.list_id)
            contact = self._contact(index, step, state, step.address)
            want = isinstance(step, Unsubscribe)
            if contact.subscribed != want:
                how = "unsubscribed" if want else "subscribed"
                raise self._fail(
                    index,
                    step,
                    "address",
                    f"{step.address} is not {'subscribed' if want else 'unsubscribed'} on list {step.list_id} "
                    f"({how} at step {contact.subscription_step + 1})",
                )
        elif isinstance(step, SetField | ClearField):
            state = self._list(index, step, step.list_id)
            found_field = self._field(index, step, state, step.field_id)
            self._contact(index, step, state, step.address)
            if isinstance(step, SetField):
                self._stored(index, step, found_field, step.value, "value")
        elif isinstance(step, Integrate):
            state = self._list(index, step, step.list_id)
            if step.list_id in self.integration:
                at = self.integrated_at[step.list_id] + 1
                raise self._fail(
                    index,
                    step,
                    "list_id",
                    f"list {step.list_id} is already integrated (step {at}); remove it from the integration first",
                )
            if step.field_id is not None:
                self._field(index, step, state, step.field_id)
        elif isinstance(step, RemoveIntegration):
            if step.list_id not in self.integration:
                integrated = ", ".join(map(str, sorted(self.integration))) or "none"
                raise self._fail(
                    index, step, "list_id", f"list {step.list_id} is not integrated (integrated lists: {integrated})"
                )
        elif isinstance(step, Crash) and self.pending_crash is not None:
            at = self.pending_crash[0] + 1
            raise self._fail(index, step, None, f"a crash is already armed for the next sync (step {at})")

    def _apply(self, step: Step, index: int) -> SyncExpectation | None:
        if isinstance(step, CreateList):
            self.lists[step.list_id] = ListState(step.list_id, step.name, index)
        elif isinstance(step, AddField):
            state = self.lists[step.list_id]
            state.fields[step.field_id] = Field(
                step.field_id, 0, step.list_id, step.name, step.data_type, step.max_length, len(state.fields) + 1
            )
            state.field_steps[step.field_id] = index
            self.field_lists[step.field_id] = step.list_id
        elif isinstance(step, Subscribe):
            state = self.lists[step.list_id]
            contact = ContactState(step.address, True, {}, index)
            for field_id, value in step.values.items():
                self._set(contact, state.fields[field_id].check(value), field_id, index)
            state.contacts[address_key(step.address)] = contact
        elif isinstance(step, Unsubscribe | Resubscribe):
            contact = self.lists[step.list_id].contacts[address_key(step.address)]
            contact.subscribed = isinstance(step, Resubscribe)
            contact.subscription_step = index
        elif isinstance(step, SetField):
            state = self.lists[step.list_id]
            stored = state.fields[step.field_id].check(step.value)
            self._set(state.contacts[address_key(step.address)], stored, step.field_id, index)
        elif isinstance(step, ClearField):
            self._set(self.lists[step.list_id].contacts[address_key(step.address)], "", step.field_id, index)
        elif isinstance(step, Integrate):
            self.integration[step.list_id] = step.field_id
            self.integrated_at[step.list_id] = index
            self.removed.pop(step.list_id, None)
        elif isinstance(step, RemoveIntegration):
            del self.integration[step.list_id]
            del self.integrated_at[step.list_id]
            self.removed[step.list_id] = index
        elif isinstance(step, InjectFault):
            self.pending_faults.append((index, step))
        elif isinstance(step, Crash):
            self.pending_crash = (index, step)
        elif isinstance(step, AdvanceClock):
            self.clock += step.seconds
        elif isinstance(step, Sync):
            expectation = self.snapshot()
            self.syncs.append(expectation)
            self.pending_faults = []
            self.pending_crash = None
            return expectation
        return None

    @staticmethod
    def _set(contact: ContactState, value: str, field_id: int, index: int) -> None:
        # "Empty or absent = no value": an empty value removes the field, and only a real change moves its step.
        before = contact.values.get(field_id)
        after = value or None
        if before == after:
            return
        if after is None:
            del contact.values[field_id]
        else:
            contact.values[field_id] = after
        contact.value_steps[field_id] = index


def expectations(history: History) -> list[SyncExpectation]:
    """What each `sync` step of the history must leave true, in order; HistoryError for an illegal history."""
    model = ListrakModel()
    for step in history.steps:
        model.apply(step)
    return model.syncs
