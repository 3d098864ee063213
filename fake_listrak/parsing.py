"""Reading requests of the emulated API into typed inputs, with Listrak's errors for bad values.

Pure functions over plain values (query mappings, bytes, parsed JSON), no web framework. Listrak
is an ASP.NET service: query parameter names match case-insensitively, an empty query value
counts as absent, booleans read `true`/`false` in any case, JSON bodies bind leniently
(a number where a string is expected becomes its text, and the reverse), and every value that
cannot be bound is `400 ERROR_INVALID_PARAMETER` naming the parameter (for a body of the
wrong shape, the swagger's name for the body parameter).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Any

from .dates import format_listrak, parse_listrak
from .exceptions import InvalidParameter, MalformedRequestBody
from .models import (
    BOUNCE_HANDLING,
    DATA_TYPES,
    SUBSCRIBED,
    UNSUBSCRIBED,
    ContactList,
    ContactQuery,
    ContactUpsert,
    Field,
    FieldGroup,
    list_attributes,
)

__all__ = [
    "QueryArgs",
    "parse_body",
    "parse_contact_query",
    "parse_contact_upsert",
    "parse_field",
    "parse_field_ids",
    "parse_field_updates",
    "parse_group",
    "parse_id",
    "parse_list",
]

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
_INTEGER = re.compile(r"^\s*[+-]?\d{1,12}\s*$")
# Deeper than any Listrak body; refusing deeper JSON keeps the decoder away from recursion limits.
_MAX_DEPTH = 64


class QueryArgs:
    """A query string's parameters by lower-cased name (first value wins; empty means absent)."""

    def __init__(self, items: Iterable[tuple[str, str]]) -> None:
        self._values: dict[str, str] = {}
        for name, value in items:
            key = name.lower()
            if key not in self._values and value != "":
                self._values[key] = value

    def get(self, name: str) -> str | None:
        """The value of `name` (any case), or None."""
        return self._values.get(name.lower())

    def int32(self, name: str, default: int) -> int:
        """An int32 parameter."""
        raw = self.get(name)
        return default if raw is None else _int32(raw, name)

    def boolean(self, name: str, default: bool) -> bool:
        """A boolean parameter (`true`/`false`, any case)."""
        raw = self.get(name)
        if raw is None:
            return default
        lowered = raw.strip().lower()
        if lowered not in ("true", "false"):
            raise InvalidParameter(name)
        return lowered == "true"


def _int32(raw: str, parameter: str) -> int:
    if not _INTEGER.match(raw):
        raise InvalidParameter(parameter)
    value = int(raw)
    if not INT32_MIN <= value <= INT32_MAX:
        raise InvalidParameter(parameter)
    return value


def parse_id(raw: str, parameter: str) -> int:
    """A route id (int32); InvalidParameter naming it otherwise."""
    return _int32(raw, parameter)


def parse_field_ids(raw: str | None) -> list[int]:
    """`segmentationFieldIds`: comma-separated int32s, spaces allowed around them."""
    if raw is None:
        return []
    return [_int32(part, "segmentationFieldIds") for part in raw.split(",")]


def _date(args: QueryArgs, name: str) -> str | None:
    raw = args.get(name)
    if raw is None:
        return None
    parsed = parse_listrak(raw)
    if parsed is None:
        raise InvalidParameter(name)
    return format_listrak(parsed)


def parse_contact_query(args: QueryArgs) -> ContactQuery:
    """The query of `GET /List/{listId}/Contact`."""
    return ContactQuery(
        subscribed=_state(args.get("subscriptionState"), "subscriptionState", SUBSCRIBED) == SUBSCRIBED,
        cursor=args.get("cursor") or "Start",
        count=args.int32("count", 1000),
        start_date=_date(args, "startDate"),
        end_date=_date(args, "endDate"),
        use_original_subscribe_date=args.boolean("useOriginalSubscribeDate", True),
        external_id=args.get("externalContactId"),
        field_ids=parse_field_ids(args.get("segmentationFieldIds")),
    )


def _state(raw: Any, parameter: str, default: str | None) -> str | None:
    if raw is None:
        return default
    if isinstance(raw, str):
        for state in (SUBSCRIBED, UNSUBSCRIBED):
            if raw.strip().lower() == state.lower():
                return state
    raise InvalidParameter(parameter)


def parse_body(raw: bytes) -> Any:
    """A request body as JSON; MalformedRequestBody when it is not (or not UTF-8, or absurdly deep)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MalformedRequestBody() from None
    if not text.strip():
        raise MalformedRequestBody()
    try:
        body = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise MalformedRequestBody() from None
    if _depth(body) > _MAX_DEPTH:
        raise MalformedRequestBody()
    return body


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _depth(value: Any) -> int:
    depth = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            depth = max(depth, level)
            if level > _MAX_DEPTH:
                return level
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            depth = max(depth, level)
            if level > _MAX_DEPTH:
                return level
            stack.extend((v, level + 1) for v in item)
    return depth


def _object(body: Any, parameter: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidParameter(parameter)
    # JSON property names bind case-insensitively in ASP.NET; the first spelling wins.
    out: dict[str, Any] = {}
    for key, value in body.items():
        out.setdefault(key.lower(), value)
    return out


def _text(value: Any, parameter: str, *, required: bool = False) -> str | None:
    if value is None:
        if required:
            raise InvalidParameter(parameter)
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    raise InvalidParameter(parameter)


def _integer(value: Any, parameter: str, *, required: bool = False, default: int = 0) -> int:
    if value is None:
        if required:
            raise InvalidParameter(parameter)
        return default
    if isinstance(value, bool):
        raise InvalidParameter(parameter)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        if not INT32_MIN <= value <= INT32_MAX:
            raise InvalidParameter(parameter)
        return value
    if isinstance(value, str):
        return _int32(value, parameter)
    raise InvalidParameter(parameter)


def _boolean(value: Any, parameter: str) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise InvalidParameter(parameter)


def _strings(value: Any, parameter: str) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise InvalidParameter(parameter)
    return [_text(item, parameter, required=True) or "" for item in value]


_LIST_REQUIRED = frozenset({"listName", "bounceHandling", "bounceUnsubscribeCount"})
_LIST_READ_ONLY = frozenset({"listId", "createDate"})


def parse_list(body: Any, *, lenient: bool = False) -> ContactList:
    """A List resource body (`POST /List`, `PUT /List/{listId}`).

    `listName`, `bounceHandling` and `bounceUnsubscribeCount` are required, as the swagger
    says, unless `lenient` (seeds), where they default to `List`, `None` and 0.
    """
    obj = _object(body, "listResource")
    values: dict[str, Any] = {}
    for name, attr, kind in list_attributes():
        if name in _LIST_READ_ONLY:
            continue
        raw = obj.get(name.lower())
        required = name in _LIST_REQUIRED and not lenient
        if kind == "str" or kind == "str?":
            value: Any = _text(raw, name, required=required)
        elif kind == "int":
            value = _integer(raw, name, required=required)
        elif kind == "bool":
            value = _boolean(raw, name)
        else:
            value = _strings(raw, name)
        if value is not None:
            values[attr] = value
    name_value = values.get("list_name")
    if name_value is not None and not name_value.strip():
        raise InvalidParameter("listName")
    handling = values.get("bounce_handling")
    if handling is not None:
        matched = [h for h in BOUNCE_HANDLING if h.lower() == handling.strip().lower()]
        if not matched:
            raise InvalidParameter("bounceHandling")
        values["bounce_handling"] = matched[0]
    if values.get("bounce_unsubscribe_count", 0) < 0:
        raise InvalidParameter("bounceUnsubscribeCount")
    values.setdefault("list_name", "List")
    return ContactList(list_id=0, **values)


def parse_group(body: Any, *, lenient: bool = False) -> FieldGroup:
    """A SegmentationFieldGroup body; `segmentationFieldGroupName` and `position` are required
    (the name only, when `lenient`)."""
    obj = _object(body, "segmentationFieldGroupResource")
    name = _text(obj.get("segmentationfieldgroupname"), "segmentationFieldGroupName", required=True) or ""
    if not name.strip():
        raise InvalidParameter("segmentationFieldGroupName")
    position = _integer(obj.get("position"), "position", required=not lenient)
    return FieldGroup(group_id=0, list_id=0, name=name, position=position)


def parse_field(body: Any, *, lenient: bool = False) -> Field:
    """A SegmentationField body; name, `dataType`, `maxLength` and `position` are required
    (name and `dataType` only, when `lenient`: `maxLength` then defaults to 255)."""
    obj = _object(body, "segmentationFieldResource")
    name = _text(obj.get("segmentationfieldname"), "segmentationFieldName", required=True) or ""
    if not name.strip():
        raise InvalidParameter("segmentationFieldName")
    raw_type = _text(obj.get("datatype"), "dataType", required=True) or ""
    matched = [t for t in DATA_TYPES if t.lower() == raw_type.strip().lower()]
    if not matched:
        raise InvalidParameter("dataType")
    max_length = _integer(obj.get("maxlength"), "maxLength", required=not lenient, default=255)
    if max_length < 1:
        raise InvalidParameter("maxLength")
    position = _integer(obj.get("position"), "position", required=not lenient)
    return Field(
        field_id=0,
        group_id=0,
        list_id=0,
        name=name,
        data_type=matched[0],
        max_length=max_length,
        position=position,
    )


def parse_values(raw: Any, parameter: str = "segmentationFieldValues") -> list[tuple[int, str]]:
    """`segmentationFieldValues`: `[{segmentationFieldId, value}]` as (id, value) pairs."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InvalidParameter(parameter)
    out = []
    for item in raw:
        obj = _object(item, parameter)
        field_id = _integer(obj.get("segmentationfieldid"), "segmentationFieldId", required=True)
        value = _text(obj.get("value"), "value") or ""
        out.append((field_id, value))
    return out


def parse_contact_upsert(body: Any, args: QueryArgs) -> ContactUpsert:
    """The body and query of `POST /List/{listId}/Contact` (read-only Contact fields are ignored)."""
    obj = _object(body, "contactResource")
    email = _text(obj.get("emailaddress"), "emailAddress", required=True) or ""
    update_type = args.get("updateType") or "Update"
    matched = [t for t in ("Update", "Append", "Overwrite") if t.lower() == update_type.strip().lower()]
    if not matched:
        raise InvalidParameter("updateType")
    event_ids = args.get("eventIds")
    return ContactUpsert(
        email=email,
        subscription_state=_state(obj.get("subscriptionstate"), "subscriptionState", None),
        external_id=_text(obj.get("externalcontactid"), "externalContactID"),
        values=parse_values(obj.get("segmentationfieldvalues")),
        override_unsubscribe=args.boolean("overrideUnsubscribe", False),
        subscribed_by_contact=args.boolean("subscribedByContact", False),
        send_double_opt_in=args.boolean("sendDoubleOptIn", False),
        update_type=matched[0],
        event_ids=[] if event_ids is None else [_int32(p, "eventIds") for p in event_ids.split(",")],
        new_email=args.get("newEmailAddress"),
    )


def parse_field_updates(body: Any) -> list[tuple[str, list[tuple[int, str]]]]:
    """The body of `POST /List/{listId}/Contact/SegmentationField`: one or more
    `{emailAddress, segmentationFieldValues}`."""
    if not isinstance(body, list) or not body:
        raise InvalidParameter("contactSegmentationFieldValues")
    out = []
    for item in body:
        obj = _object(item, "contactSegmentationFieldValues")
        email = _text(obj.get("emailaddress"), "emailAddress", required=True) or ""
        raw_values = obj.get("segmentationfieldvalues")
        if raw_values is None:
            raise InvalidParameter("segmentationFieldValues")
        out.append((email, parse_values(raw_values)))
    return out
