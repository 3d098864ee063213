"""Histories as data: the steps of DESIGN.md's "Histories", saved and loaded as JSON, and printed one line a step.

    {"format": "listrak-harness/history@1", "revision": "2023-07-13", "writeKey": "...",
     "steps": [{"kind": "create_list", "list_id": 7, "name": "Newsletter"},
               {"kind": "subscribe", "list_id": 7, "address": "a@x.io", "values": {"5": "u1"}},
               {"kind": "sync"}]}

Step fields are spelled in JSON as in Python, so an error's path (`steps[4].list_id`) names both the
JSON value and the attribute. Step numbers in `describe()` and in explanations count from 1
("step 5"); paths index from 0 (`steps[4]` is step 5).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar, TypeAlias

from fake_listrak.backend import FAULT_ACTIONS as LISTRAK_FAULT_ACTIONS
from fake_listrak.backend import check_address
from fake_listrak.exceptions import InvalidParameter
from fake_listrak.models import DATA_TYPES
from harness.fakekit.faults import BUILTIN_ACTIONS, FaultSpecError, parse_fault
from harness.reference.config import REVISIONS

__all__ = [
    "DEFAULT_REVISION",
    "DEFAULT_WRITE_KEY",
    "FAULT_TARGETS",
    "FORMAT",
    "REVISIONS",
    "STEP_TYPES",
    "AddField",
    "AdvanceClock",
    "ClearField",
    "Crash",
    "CreateList",
    "History",
    "HistoryError",
    "InjectFault",
    "Integrate",
    "RemoveIntegration",
    "Resubscribe",
    "SetField",
    "Step",
    "Subscribe",
    "Sync",
    "Unsubscribe",
    "check_step",
    "describe_fault",
    "step_from_json",
    "step_label",
]

FORMAT = "listrak-harness/history@1"
DEFAULT_REVISION = REVISIONS[0]
DEFAULT_WRITE_KEY = "harness-write-key"
MAX_ID = 2**31 - 1
# The actions each fake's fault engine arms: Segment's are the shared ones, Listrak adds `revoke_tokens`.
FAULT_TARGETS: Mapping[str, frozenset[str]] = {"segment": BUILTIN_ACTIONS, "listrak": frozenset(LISTRAK_FAULT_ACTIONS)}

_UNSEEN: Any = object()


class HistoryError(ValueError):
    """A history that cannot be loaded, or that Listrak would not accept: what is wrong, where, and what was seen.

    `where` is a path into the history's JSON (`steps[4].list_id`); `step` the index of the step
    at fault (None for the header).
    """

    def __init__(self, what: str, where: str, seen: Any = _UNSEEN, *, step: int | None = None) -> None:
        self.what = what
        self.where = where
        self.seen = None if seen is _UNSEEN else seen
        self.has_seen = seen is not _UNSEEN
        self.step = step
        text = f"{where}: {what}"
        if self.has_seen:
            text += f"; got {_show(seen)}"
        super().__init__(text)


def _show(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _quote(text: str) -> str:
    """A value shown so that empty and whitespace values stay visible."""
    return json.dumps(text, ensure_ascii=False)


# -- field checks: each returns the value as the step holds it, or raises HistoryError ---------
_Check: TypeAlias = Callable[[Any, str], Any]


def _id(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise HistoryError(f"expected a positive 32-bit integer id (1 to {MAX_ID})", where, value)
    return value


def _optional_id(value: Any, where: str) -> int | None:
    return None if value is None else _id(value, where)


def _name(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise HistoryError("expected a non-empty name", where, value)
    return value


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise HistoryError("expected a string (it may be empty)", where, value)
    return value


def _address(value: Any, where: str) -> str:
    try:
        return check_address(value)
    except InvalidParameter:
        raise HistoryError(
            "expected an email address Listrak accepts (local@domain, no spaces or control characters, "
            "at most 254 characters)",
            where,
            value,
        ) from None


def _data_type(value: Any, where: str) -> str:
    if value not in DATA_TYPES:
        raise HistoryError(f"expected one of Listrak's data types {', '.join(DATA_TYPES)}", where, value)
    return str(value)


def _max_length(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise HistoryError("expected a maximum length, a whole number >= 1", where, value)
    return value


def _values(value: Any, where: str) -> dict[int, str]:
    if not isinstance(value, Mapping):
        raise HistoryError("expected an object of field ids to values", where, value)
    out: dict[int, str] = {}
    for key, text in value.items():
        field_id = _id(key, _key_path(where, key))
        out[field_id] = _string(text, _key_path(where, key))
    return out


def _key_path(where: str, key: Any) -> str:
    return f"{where}[{key}]" if isinstance(key, int) and not isinstance(key, bool) else f"{where}[{_show(key)}]"


def _seconds(value: Any, where: str) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise HistoryError("expected a number of seconds >= 0", where, value)
    return value


def _count(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise HistoryError("expected a number of requests, a whole number >= 0", where, value)
    return value


def _target(value: Any, where: str) -> str:
    if value not in FAULT_TARGETS:
        raise HistoryError(f"expected the fake to aim at, one of {', '.join(map(repr, FAULT_TARGETS))}", where, value)
    return str(value)


def _fault(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise HistoryError("expected a fault spec (a JSON object, as for PUT /_fake/faults)", where, value)
    if "partition" in value:
        raise HistoryError(
            "expected no 'partition': the harness aims the fault at the history's own account or write key",
            f"{where}.partition",
            value["partition"],
        )
    return dict(value)


_CHECKS: dict[str, _Check] = {
    "list_id": _id,
    "field_id": _id,
    "name": _name,
    "data_type": _data_type,
    "max_length": _max_length,
    "address": _address,
    "values": _values,
    "value": _string,
    "target": _target,
    "fault": _fault,
    "after_requests": _count,
    "seconds": _seconds,
}


# -- the steps -----------------------------------------------------------------------------------
class _Step:
    """What every step has: a `kind`, a JSON form and a one-line description."""

    __slots__ = ()
    kind: ClassVar[str]

    def to_json(self) -> dict[str, Any]:
        """The step as JSON: `{"kind": ..., field: value, ...}`."""
        out: dict[str, Any] = {"kind": self.kind}
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if f.name == "values":
                value = {str(k): v for k, v in value.items()}
            elif isinstance(value, Mapping):
                value = json.loads(json.dumps(value))
            out[f.name] = value
        return out

    def describe(self) -> str:
        """One plain line saying what the step does."""
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class CreateList(_Step):
    """Create an email list with a chosen id."""

    kind: ClassVar[str] = "create_list"
    list_id: int
    name: str = "List"

    def describe(self) -> str:
        return f"create list {self.list_id} {_quote(self.name)}"


@dataclass(frozen=True, slots=True)
class AddField(_Step):
    """Add a profile field to a list (field ids are unique in an account)."""

    kind: ClassVar[str] = "add_field"
    list_id: int
    field_id: int
    name: str = "Field"
    data_type: str = "Text"
    max_length: int = 50

    def describe(self) -> str:
        return (
            f"add field {self.field_id} {_quote(self.name)} ({self.data_type}, max {self.max_length}) "
            f"to list {self.list_id}"
        )


@dataclass(frozen=True, slots=True)
class Subscribe(_Step):
    """Subscribe an address new to the list, with optional profile values."""

    kind: ClassVar[str] = "subscribe"
    list_id: int
    address: str
    values: dict[int, str] = field(default_factory=dict, hash=False)

    def describe(self) -> str:
        text = f"subscribe {self.address} to list {self.list_id}"
        if self.values:
            text += " with " + ", ".join(f"field {k} = {_quote(v)}" for k, v in self.values.items())
        return text


@dataclass(frozen=True, slots=True)
class Unsubscribe(_Step):
    """Unsubscribe a subscribed contact."""

    kind: ClassVar[str] = "unsubscribe"
    list_id: int
    address: str

    def describe(self) -> str:
        return f"unsubscribe {self.address} from list {self.list_id}"


@dataclass(frozen=True, slots=True)
class Resubscribe(_Step):
    """Subscribe an unsubscribed contact again (Listrak's `overrideUnsubscribe=true`)."""

    kind: ClassVar[str] = "resubscribe"
    list_id: int
    address: str

    def describe(self) -> str:
        return f"resubscribe {self.address} to list {self.list_id} (overrideUnsubscribe)"


@dataclass(frozen=True, slots=True)
class SetField(_Step):
    """Set a profile value of a contact on the list (`""` clears it)."""

    kind: ClassVar[str] = "set_field"
    list_id: int
    address: str
    field_id: int
    value: str

    def describe(self) -> str:
        return f"set field {self.field_id} of {self.address} on list {self.list_id} to {_quote(self.value)}"


@dataclass(frozen=True, slots=True)
class ClearField(_Step):
    """Clear a profile value of a contact on the list."""

    kind: ClassVar[str] = "clear_field"
    list_id: int
    address: str
    field_id: int

    def describe(self) -> str:
        return f"clear field {self.field_id} of {self.address} on list {self.list_id}"


@dataclass(frozen=True, slots=True)
class Integrate(_Step):
    """Add a list to the integration, with the profile field whose value becomes the userId (or none)."""

    kind: ClassVar[str] = "integrate"
    list_id: int
    field_id: int | None = None

    def describe(self) -> str:
        if self.field_id is None:
            return f"integrate list {self.list_id} (no userId field)"
        return f"integrate list {self.list_id} with userId from field {self.field_id}"


@dataclass(frozen=True, slots=True)
class RemoveIntegration(_Step):
    """Remove a list from the integration."""

    kind: ClassVar[str] = "remove_integration"
    list_id: int

    def describe(self) -> str:
        return f"remove list {self.list_id} from the integration"


@dataclass(frozen=True, slots=True)
class InjectFault(_Step):
    """Arm a fault (a `harness.fakekit` fault spec) on one fake, before the next sync."""

    kind: ClassVar[str] = "inject_fault"
    target: str
    fault: dict[str, Any] = field(hash=False)

    def describe(self) -> str:
        return f"inject a fault into {self.target}: {describe_fault(self.fault)}"


@dataclass(frozen=True, slots=True)
class Crash(_Step):
    """Kill the next sync's implementation process once the fakes have seen N of its requests (`cmd:` only)."""

    kind: ClassVar[str] = "crash"
    after_requests: int

    def describe(self) -> str:
        plural = "" if self.after_requests == 1 else "s"
        return f"crash the next sync's implementation after {self.after_requests} request{plural}"


@dataclass(frozen=True, slots=True)
class AdvanceClock(_Step):
    """Move the fakes' clocks forward."""

    kind: ClassVar[str] = "advance_clock"
    seconds: float | int

    def describe(self) -> str:
        seconds = self.seconds
        shown = str(int(seconds)) if float(seconds).is_integer() else str(seconds)
        return f"advance the clock {shown} s"


@dataclass(frozen=True, slots=True)
class Sync(_Step):
    """Run the implementation once."""

    kind: ClassVar[str] = "sync"

    def describe(self) -> str:
        return "sync"


Step: TypeAlias = (
    CreateList
    | AddField
    | Subscribe
    | Unsubscribe
    | Resubscribe
    | SetField
    | ClearField
    | Integrate
    | RemoveIntegration
    | InjectFault
    | Crash
    | AdvanceClock
    | Sync
)
STEP_TYPES: Mapping[str, type[Step]] = {
    cls.kind: cls
    for cls in (
        CreateList,
        AddField,
        Subscribe,
        Unsubscribe,
        Resubscribe,
        SetField,
        ClearField,
        Integrate,
        RemoveIntegration,
        InjectFault,
        Crash,
        AdvanceClock,
        Sync,
    )
}
_OPTIONAL: dict[tuple[type, str], _Check] = {(Integrate, "field_id"): _optional_id}


def _check_for(cls: type, name: str) -> _Check:
    return _OPTIONAL.get((cls, name)) or _CHECKS[name]


def describe_fault(spec: Mapping[str, Any]) -> str:
    """A fault spec in a few words: `status 429 (Retry-After: 1), 2 times`."""
    action = spec.get("action")
    if action == "status":
        text = f"status {spec.get('status')}"
        headers = spec.get("headers") or {}
        if headers:
            text += " (" + ", ".join(f"{k}: {v}" for k, v in headers.items()) + ")"
    elif action == "hang":
        text = f"hang {spec['hang_s']:g} s" if spec.get("hang_s") is not None else "hang"
    elif action == "latency":
        text = f"latency {spec.get('latency_s')} s"
    else:
        text = str(action)
    if spec.get("after"):
        text += " after the request is handled"
    where = " ".join(str(spec[k]) for k in ("method", "path") if spec.get(k))
    if where:
        text += f" on {where}"
    times = spec.get("times")
    if times is not None:
        text += ", once" if times == 1 else f", {times} times"
    elif spec.get("probability") is not None:
        text += f", with probability {spec['probability']}"
    return text


def step_label(index: int, step: Step) -> str:
    """`step 5 (unsubscribe a@x.io from list 7)` for the step at `index`."""
    return f"step {index + 1} ({step.describe()})"


def check_step(step: Any, where: str) -> None:
    """Raise HistoryError if a step's fields are not of the kind and shape its type takes."""
    if type(step) not in STEP_TYPES.values():
        raise HistoryError(f"expected a step ({', '.join(c.__name__ for c in STEP_TYPES.values())})", where, step)
    for f in fields(step):
        _check_for(type(step), f.name)(getattr(step, f.name), f"{where}.{f.name}")
    if isinstance(step, InjectFault):
        try:
            parse_fault(step.fault, actions=FAULT_TARGETS[step.target])
        except FaultSpecError as exc:
            # The fault engine's message already quotes the value at fault.
            raise HistoryError(
                f"expected a fault spec the fake {step.target} can arm: {exc.message}", f"{where}.fault"
            ) from None


def step_from_json(raw: Any, where: str) -> Step:
    """A step from its JSON object; HistoryError names the path of the value at fault."""
    if not isinstance(raw, Mapping):
        raise HistoryError("expected a step object with a 'kind'", where, raw)
    kind = raw.get("kind")
    cls = STEP_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise HistoryError(f"expected a step kind, one of {', '.join(STEP_TYPES)}", f"{where}.kind", kind)
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(raw) - set(known) - {"kind"})
    if unknown:
        takes = ", ".join(known) or "no other key"
        raise HistoryError(f"unknown key(s) {', '.join(unknown)}; a {kind} step takes {takes}", where)
    arguments: dict[str, Any] = {}
    for name, f in known.items():
        path = f"{where}.{name}"
        if name not in raw:
            if f.default is MISSING and f.default_factory is MISSING:
                raise HistoryError(f"missing: a {kind} step needs {name}", path)
            continue
        value = raw[name]
        if name == "values":
            value = _values_from_json(value, path)
        arguments[name] = _check_for(cls, name)(value, path)
    step = cls(**arguments)
    check_step(step, where)
    return step


def _values_from_json(raw: Any, where: str) -> Any:
    """JSON object keys are strings: `{"5": "u1"}` holds field 5."""
    if not isinstance(raw, Mapping):
        return raw
    out: dict[Any, Any] = {}
    for key, value in raw.items():
        if not (isinstance(key, str) and key.isascii() and key.isdigit()):
            raise HistoryError("expected a field id (decimal digits) as the key", _key_path(where, key), key)
        out[int(key)] = value
    return out


# -- the history ---------------------------------------------------------------------------------
_HEADER_KEYS = ("format", "revision", "writeKey", "steps", "meta")


@dataclass(frozen=True, slots=True)
class History:
    """A sequence of steps for one documentation revision and one Segment write key."""

    steps: tuple[Step, ...]
    revision: str = DEFAULT_REVISION
    write_key: str = DEFAULT_WRITE_KEY
    # Free-form notes a tool keeps with a saved history (the seed, the failing rule); never judged.
    meta: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.steps, tuple):
            object.__setattr__(self, "steps", tuple(self.steps))

    # -- JSON ----------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """The history as its JSON document."""
        out: dict[str, Any] = {
            "format": FORMAT,
            "revision": self.revision,
            "writeKey": self.write_key,
            "steps": [step.to_json() for step in self.steps],
        }
        if self.meta:
            out["meta"] = dict(self.meta)
        return out

    @classmethod
    def from_json(cls, document: Any, *, validate: bool = True) -> History:
        """A history from its JSON document; HistoryError says what is wrong and where.

        With `validate` (the default) the steps must also be a history Listrak would accept.
        """
        if not isinstance(document, Mapping):
            raise HistoryError(f"expected a JSON object with format {FORMAT!r}", "$", document)
        unknown = sorted(set(document) - set(_HEADER_KEYS))
        if unknown:
            raise HistoryError(f"unknown key(s) {', '.join(unknown)}; a history has {', '.join(_HEADER_KEYS)}", "$")
        if document.get("format") != FORMAT:
            raise HistoryError(f"expected {FORMAT!r}", "format", document.get("format", None))
        revision = _revision(document.get("revision"), "revision")
        write_key = _write_key(document.get("writeKey"), "writeKey")
        raw_steps = document.get("steps")
        if not isinstance(raw_steps, list):
            raise HistoryError("expected an array of steps", "steps", raw_steps)
        meta = document.get("meta", {})
        if not isinstance(meta, Mapping):
            raise HistoryError("expected an object (free-form notes)", "meta", meta)
        steps = tuple(step_from_json(raw, f"steps[{i}]") for i, raw in enumerate(raw_steps))
        history = cls(steps, revision, write_key, dict(meta))
        if validate:
            history.validate()
        return history

    def dumps(self) -> str:
        """The JSON text `save` writes."""
        return json.dumps(self.to_json(), ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def loads(cls, text: str, *, validate: bool = True, source: str = "history") -> History:
        """A history from JSON text."""
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise HistoryError(f"expected JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}", source) from None
        return cls.from_json(document, validate=validate)

    def save(self, path: str | Path) -> Path:
        """Write the history as UTF-8 JSON; returns the path."""
        target = Path(path)
        target.write_text(self.dumps(), encoding="utf-8")
        return target

    @classmethod
    def load(cls, path: str | Path, *, validate: bool = True) -> History:
        """Read a saved history."""
        source = Path(path)
        try:
            text = source.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise HistoryError(f"expected UTF-8 text: {exc.reason} at byte {exc.start}", str(source)) from None
        return cls.loads(text, validate=validate, source=str(source))

    # -- reading -------------------------------------------------------------------------------
    def describe(self) -> str:
        """The steps one a line, numbered from 1: `  5. unsubscribe a@x.io from list 7`."""
        lines = []
        syncs = 0
        for number, step in enumerate(self.steps, 1):
            text = step.describe()
            if isinstance(step, Sync):
                syncs += 1
                text = f"sync {syncs}"
            lines.append(f"{number:>3}. {text}")
        return "\n".join(lines)

    def validate(self) -> None:
        """Raise HistoryError, naming the step, unless Listrak would accept every step in order."""
        _revision(self.revision, "revision")
        _write_key(self.write_key, "writeKey")
        from .model import ListrakModel  # the model is what knows the state a step meets

        model = ListrakModel()
        for step in self.steps:
            model.apply(step)


def _revision(value: Any, where: str) -> str:
    if value not in REVISIONS:
        raise HistoryError(f"expected a documentation revision, one of {', '.join(REVISIONS)}", where, value)
    return str(value)


def _write_key(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise HistoryError("expected a non-empty write key", where, value)
    return value
