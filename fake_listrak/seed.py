"""Seed documents: lists, profile fields and contacts loaded in one call (`POST /_fake/seed`).

The document has the shape of the state dump (`GET /_fake/state`), so a dump seeds an
equivalent account, plus two shortcuts for volume::

    {"lists": [{
        "listId": 101,                      # optional: assigned when absent; an existing list is reused
        "listName": "Newsletter",           # and any other List field (all optional here)
        "segmentationFieldGroups": [{
            "segmentationFieldGroupId": 7,  # optional
            "segmentationFieldGroupName": "Profile",
            "segmentationFields": [{"segmentationFieldId": 5, "segmentationFieldName": "CustomerId",
                                    "dataType": "Text", "maxLength": 50}]}],
        "contacts": [
            "a@example.com",                # shortcut: subscribed now
            {"emailAddress": "b@example.com", "subscriptionState": "Unsubscribed",
             "subscribeDate": "2024-01-01T00:00:00", "unsubscribeDate": "2024-02-01T00:00:00",
             "externalContactID": "b-1",
             "segmentationFieldValues": [{"segmentationFieldId": 5, "value": "u-b"}]}],
        "generate": {"count": 1000000, "emailAddress": "user{n}@example.com", "start": 1,
                     "subscriptionState": "Subscribed", "subscribeDate": "2024-01-01T00:00:00",
                     "externalContactID": "ext-{n}",
                     "segmentationFieldValues": [{"segmentationFieldId": 5, "value": "u{n}"}]}
    }],
     "banned": ["spam@example.com"],        # optional: the account's banned addresses (added to)
     "suppressed": ["bounced@example.com"]} # optional: the account's suppressed addresses (added to)

`{n}` in a generated text is replaced by the contact's number. Contacts may only use field
ids that exist on the list or are declared with an id in the same document. A contact's
`subscriptionState` may also be `Pending` (awaiting its double opt-in confirmation, as the state
dump shows such a contact), with no subscribe or unsubscribe dates or methods. Every error names
the JSON path of the value at fault, what was expected and what was seen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .dates import format_listrak, parse_listrak
from .exceptions import InvalidParameter, SeedError
from .models import (
    METHOD_ADMINISTRATOR,
    PENDING,
    SUBSCRIBED,
    UNSUBSCRIBED,
    Contact,
    ContactList,
    Field,
    FieldGroup,
    PackedValues,
    address_list,
    is_address,
    pack_values,
)
from .parsing import parse_field, parse_group, parse_list
from .store import address_key

__all__ = [
    "MAX_GENERATED",
    "FieldPlan",
    "GeneratePlan",
    "GroupPlan",
    "ListPlan",
    "SeedPlan",
    "SeedSummary",
    "build_contacts",
    "iter_contacts",
    "parse_seed",
]

MAX_GENERATED = 10_000_000
_CONTACT_KEYS = frozenset(
    {
        "emailAddress",
        "subscriptionState",
        "subscribeDate",
        "resubscribeDate",
        "subscribeMethod",
        "unsubscribeDate",
        "unsubscribeMethod",
        "externalContactID",
        "segmentationFieldValues",
        # Written by the state dump; read-only, so ignored here.
        "emailKey",
        "universalEmailKey",
    }
)
_GENERATE_KEYS = frozenset(
    {"count", "start", "emailAddress", "subscriptionState", "subscribeDate", "unsubscribeDate",
     "externalContactID", "segmentationFieldValues"}
)  # fmt: skip
_LIST_SEED_KEYS = frozenset({"segmentationFieldGroups", "contacts", "generate"})
_STATES = (SUBSCRIBED, UNSUBSCRIBED, PENDING)
_EXPECTED_STATE = "'Subscribed', 'Unsubscribed' or 'Pending'"


@dataclass(slots=True)
class FieldPlan:
    """A profile field to create (or reuse, when its id exists on the list)."""

    field_id: int | None
    field: Field


@dataclass(slots=True)
class GroupPlan:
    """A profile field group to create (or reuse) and its fields."""

    group_id: int | None
    group: FieldGroup
    fields: list[FieldPlan] = field(default_factory=list)


@dataclass(slots=True)
class GeneratePlan:
    """`count` contacts made from patterns, numbered from `start`."""

    count: int
    start: int
    email: str
    subscribed: bool
    subscribe_date: str | None
    unsubscribe_date: str | None
    external_id: str | None
    values: list[tuple[int, str]]
    pending: bool = False


@dataclass(slots=True)
class ListPlan:
    """One list of the document: where it is, what to create, and its raw contacts."""

    where: str
    list_id: int | None
    info: ContactList
    groups: list[GroupPlan]
    contacts: list[Any]
    generate: GeneratePlan | None


@dataclass(slots=True)
class SeedPlan:
    """A checked seed document."""

    lists: list[ListPlan]
    banned: list[str] = field(default_factory=list)
    suppressed: list[str] = field(default_factory=list)


@dataclass(slots=True)
class SeedSummary:
    """What a seed loaded."""

    client_id: str
    lists: list[dict[str, int]] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, list_id: int, created: int, updated: int) -> None:
        """Count one list's contacts."""
        self.lists.append({"listId": list_id, "created": created, "updated": updated})

    @property
    def contacts(self) -> int:
        """How many contacts were created or overwritten."""
        return sum(item["created"] + item["updated"] for item in self.lists)

    def to_json(self) -> dict[str, Any]:
        """The summary as the admin API answers it."""
        return {
            "clientId": self.client_id,
            "lists": self.lists,
            "contacts": self.contacts,
            "seconds": round(self.seconds, 3),
        }


def _fail(where: str, expected: str, seen: Any) -> SeedError:
    shown = repr(seen)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return SeedError(f"{where}: expected {expected}, got {shown}")


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(where, "a JSON object", value)
    return value


def _array(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _fail(where, "a JSON array", value)
    return value


def _optional_id(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 2**31 - 1:
        raise _fail(where, "a positive 32-bit integer id", value)
    return value


def _resource(parse: Callable[..., Any], body: dict[str, Any], where: str) -> Any:
    try:
        return parse(body, lenient=True)
    except InvalidParameter as exc:
        seen = next((v for k, v in body.items() if k.lower() == exc.parameter.lower()), None)
        raise _fail(f"{where}.{exc.parameter}", "a valid value for this field", seen) from None


def parse_seed(document: Any) -> SeedPlan:
    """Check a seed document's structure, lists and fields (contacts are checked as they are built)."""
    doc = _object(document, "$")
    # `clientId`, `settings` and `now` are written by the state dump; a seed ignores them.
    unknown = sorted(set(doc) - {"lists", "banned", "suppressed", "clientId", "settings", "now"})
    if unknown:
        raise SeedError(f"$: unknown key(s) {unknown}; a seed document has 'lists', 'banned' and 'suppressed'")
    plans = []
    seen_ids: set[int] = set()
    for index, raw_list in enumerate(_array(doc.get("lists"), "$.lists")):
        where = f"lists[{index}]"
        obj = _object(raw_list, where)
        list_id = _optional_id(obj.get("listId"), f"{where}.listId")
        if list_id is not None:
            if list_id in seen_ids:
                raise SeedError(f"{where}.listId: list {list_id} appears twice in the document")
            seen_ids.add(list_id)
        info_body = {k: v for k, v in obj.items() if k not in _LIST_SEED_KEYS}
        info: ContactList = _resource(parse_list, info_body, where)
        if "listName" not in obj:
            info.list_name = ""  # the backend names it after its id
        groups = []
        for g_index, raw_group in enumerate(
            _array(obj.get("segmentationFieldGroups"), f"{where}.segmentationFieldGroups")
        ):
            g_where = f"{where}.segmentationFieldGroups[{g_index}]"
            g_obj = _object(raw_group, g_where)
            group_id = _optional_id(g_obj.get("segmentationFieldGroupId"), f"{g_where}.segmentationFieldGroupId")
            group_body = {k: v for k, v in g_obj.items() if k != "segmentationFields"}
            group_plan = GroupPlan(group_id, _resource(parse_group, group_body, g_where))
            if group_plan.group.position == 0:
                group_plan.group.position = g_index + 1
            for f_index, raw_field in enumerate(
                _array(g_obj.get("segmentationFields"), f"{g_where}.segmentationFields")
            ):
                f_where = f"{g_where}.segmentationFields[{f_index}]"
                f_obj = _object(raw_field, f_where)
                field_id = _optional_id(f_obj.get("segmentationFieldId"), f"{f_where}.segmentationFieldId")
                new_field: Field = _resource(parse_field, f_obj, f_where)
                if new_field.position == 0:
                    new_field.position = f_index + 1
                group_plan.fields.append(FieldPlan(field_id, new_field))
            groups.append(group_plan)
        contacts = _array(obj.get("contacts"), f"{where}.contacts")
        generate = _generate(obj.get("generate"), f"{where}.generate")
        plans.append(ListPlan(where, list_id, info, groups, contacts, generate))
    banned = address_list(_array(doc.get("banned"), "$.banned"), "banned", SeedError)
    suppressed = address_list(_array(doc.get("suppressed"), "$.suppressed"), "suppressed", SeedError)
    return SeedPlan(plans, banned, suppressed)


def _generate(raw: Any, where: str) -> GeneratePlan | None:
    if raw is None:
        return None
    obj = _object(raw, where)
    unknown = sorted(set(obj) - _GENERATE_KEYS)
    if unknown:
        raise SeedError(f"{where}: unknown key(s) {unknown}; expected some of {sorted(_GENERATE_KEYS)}")
    count = obj.get("count")
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_GENERATED:
        raise _fail(f"{where}.count", f"a whole number from 0 to {MAX_GENERATED}", count)
    start = obj.get("start", 1)
    if isinstance(start, bool) or not isinstance(start, int) or start < 0:
        raise _fail(f"{where}.start", "a whole number >= 0", start)
    email = obj.get("emailAddress", "contact{n}@example.com")
    if not isinstance(email, str) or "{n}" not in email or not is_address(email.replace("{n}", "0")):
        raise _fail(f"{where}.emailAddress", "an address pattern containing {n}, like 'user{n}@example.com'", email)
    state = obj.get("subscriptionState", SUBSCRIBED)
    if state not in _STATES:
        raise _fail(f"{where}.subscriptionState", _EXPECTED_STATE, state)
    if state == PENDING and (obj.get("subscribeDate") is not None or obj.get("unsubscribeDate") is not None):
        raise SeedError(f"{where}: Pending contacts have no subscribeDate or unsubscribeDate")
    external = obj.get("externalContactID")
    if external is not None and not isinstance(external, str):
        raise _fail(f"{where}.externalContactID", "a string (pattern)", external)
    values = []
    for index, item in enumerate(_array(obj.get("segmentationFieldValues"), f"{where}.segmentationFieldValues")):
        values.append(_value_pair(item, f"{where}.segmentationFieldValues[{index}]"))
    return GeneratePlan(
        count,
        start,
        email,
        state == SUBSCRIBED,
        _date(obj.get("subscribeDate"), f"{where}.subscribeDate"),
        _date(obj.get("unsubscribeDate"), f"{where}.unsubscribeDate"),
        external,
        values,
        state == PENDING,
    )


def _date(raw: Any, where: str) -> str | None:
    if raw is None:
        return None
    parsed = parse_listrak(raw) if isinstance(raw, str) else None
    if parsed is None:
        raise _fail(where, "a date such as '2024-01-31T12:00:00'", raw)
    return format_listrak(parsed)


def _value_pair(item: Any, where: str) -> tuple[int, str]:
    obj = _object(item, where)
    field_id = obj.get("segmentationFieldId")
    if isinstance(field_id, bool) or not isinstance(field_id, int):
        raise _fail(f"{where}.segmentationFieldId", "a field id (integer)", field_id)
    value = obj.get("value")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _fail(f"{where}.value", "a string", value)
    return field_id, value


def _text(raw: Any, where: str) -> str | None:
    if raw is None or isinstance(raw, str):
        return raw
    raise _fail(where, "a string or null", raw)


def _values(raw: Any, where: str, fields: Mapping[int, Field], intern: Callable[[str], str]) -> PackedValues | None:
    out: dict[int, str] = {}
    for index, item in enumerate(_array(raw, where)):
        item_where = f"{where}[{index}]"
        field_id, value = _value_pair(item, item_where)
        found = fields.get(field_id)
        if found is None:
            raise _fail(f"{item_where}.segmentationFieldId", f"one of the list's field ids {sorted(fields)}", field_id)
        try:
            value = found.check(value)
        except InvalidParameter:
            raise _fail(
                f"{item_where}.value",
                f"a {found.data_type} value of at most {found.max_length} characters",
                value,
            ) from None
        if value:
            out[field_id] = intern(value)
    return pack_values(out)


def iter_contacts(
    plan: ListPlan, fields: Mapping[int, Field], now: str, intern: Callable[[str], str]
) -> Iterator[Contact]:
    """The list's contacts as new Contact objects (index and seq unset), checked one by one."""
    administrator = METHOD_ADMINISTRATOR
    for index, item in enumerate(plan.contacts):
        if type(item) is str:
            if not is_address(item):
                raise _fail(f"{plan.where}.contacts[{index}]", "an email address", item)
            yield Contact(item, address_key(item), 0, 0, True, now, None, administrator)
            continue
        yield _contact(item, f"{plan.where}.contacts[{index}]", fields, now, intern)
    generate = plan.generate
    if generate is None:
        return
    head, _, tail = generate.email.partition("{n}")
    subscribed = generate.subscribed
    pending = generate.pending
    subscribe_date = None if pending else intern(generate.subscribe_date or now)
    subscribe_method = None if pending else administrator
    unsubscribe_date = None if subscribed or pending else intern(generate.unsubscribe_date or now)
    unsubscribe_method = None if subscribed or pending else administrator
    external = generate.external_id
    checked = [
        (field_id, value, _checked_field(fields, field_id, f"{plan.where}.generate.segmentationFieldValues"))
        for field_id, value in generate.values
    ]
    for n in range(generate.start, generate.start + generate.count):
        address = head + str(n) + tail if "{n}" not in tail else generate.email.replace("{n}", str(n))
        contact = Contact(
            address,
            address_key(address),
            0,
            0,
            subscribed,
            subscribe_date,
            None,
            subscribe_method,
            unsubscribe_date,
            unsubscribe_method,
            pending=pending,
        )
        if external is not None:
            contact.external_id = external.replace("{n}", str(n))
        if checked:
            values = {}
            for field_id, pattern, found in checked:
                text = pattern.replace("{n}", str(n))
                try:
                    text = found.check(text)
                except InvalidParameter:
                    raise _fail(
                        f"{plan.where}.generate.segmentationFieldValues",
                        f"{found.data_type} values of at most {found.max_length} characters",
                        text,
                    ) from None
                if text:
                    values[field_id] = intern(text)
            contact.values = pack_values(values)
        yield contact


def build_contacts(
    plan: ListPlan, fields: Mapping[int, Field], now: str, intern: Callable[[str], str]
) -> list[Contact]:
    """Every contact of the list, checked, before any is loaded."""
    return list(iter_contacts(plan, fields, now, intern))


def _checked_field(fields: Mapping[int, Field], field_id: int, where: str) -> Field:
    found = fields.get(field_id)
    if found is None:
        raise _fail(f"{where}.segmentationFieldId", f"one of the list's field ids {sorted(fields)}", field_id)
    return found


def _contact(item: Any, where: str, fields: Mapping[int, Field], now: str, intern: Callable[[str], str]) -> Contact:
    obj = _object(item, where)
    unknown = set(obj) - _CONTACT_KEYS
    if unknown:
        raise SeedError(f"{where}: unknown key(s) {sorted(unknown)}; expected some of {sorted(_CONTACT_KEYS)}")
    address = obj.get("emailAddress")
    if not isinstance(address, str) or not is_address(address):
        raise _fail(f"{where}.emailAddress", "an email address", address)
    state = obj.get("subscriptionState", SUBSCRIBED)
    if state not in _STATES:
        raise _fail(f"{where}.subscriptionState", _EXPECTED_STATE, state)
    if state == PENDING:
        return _pending_contact(obj, address, where, fields, intern)
    subscribed = state == SUBSCRIBED
    subscribe_date = _date(obj.get("subscribeDate"), f"{where}.subscribeDate") or now
    unsubscribe_date = _date(obj.get("unsubscribeDate"), f"{where}.unsubscribeDate")
    unsubscribe_method = _text(obj.get("unsubscribeMethod"), f"{where}.unsubscribeMethod")
    if subscribed and (unsubscribe_date or unsubscribe_method):
        raise SeedError(f"{where}: a Subscribed contact has no unsubscribeDate or unsubscribeMethod")
    if not subscribed:
        unsubscribe_date = unsubscribe_date or now
        unsubscribe_method = unsubscribe_method or METHOD_ADMINISTRATOR
    external = _text(obj.get("externalContactID"), f"{where}.externalContactID")
    return Contact(
        address,
        address_key(address),
        0,
        0,
        subscribed,
        intern(subscribe_date),
        _date(obj.get("resubscribeDate"), f"{where}.resubscribeDate"),
        intern(_text(obj.get("subscribeMethod"), f"{where}.subscribeMethod") or METHOD_ADMINISTRATOR),
        None if unsubscribe_date is None else intern(unsubscribe_date),
        None if unsubscribe_method is None else intern(unsubscribe_method),
        external or None,
        _values(obj.get("segmentationFieldValues"), f"{where}.segmentationFieldValues", fields, intern),
    )


_NOT_PENDING_KEYS = ("subscribeDate", "resubscribeDate", "subscribeMethod", "unsubscribeDate", "unsubscribeMethod")


def _pending_contact(
    obj: dict[str, Any], address: str, where: str, fields: Mapping[int, Field], intern: Callable[[str], str]
) -> Contact:
    """A contact awaiting its double opt-in confirmation: it has not subscribed, so it has no dates
    or methods yet (the state dump shows them null)."""
    given = [key for key in _NOT_PENDING_KEYS if obj.get(key) is not None]
    if given:
        raise SeedError(f"{where}: a Pending contact has no {' or '.join(given)} until it confirms")
    external = _text(obj.get("externalContactID"), f"{where}.externalContactID")
    contact = Contact(address, address_key(address), 0, 0, False, None, pending=True, external_id=external or None)
    contact.values = _values(obj.get("segmentationFieldValues"), f"{where}.segmentationFieldValues", fields, intern)
    return contact
