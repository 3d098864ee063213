"""The fault engine: which injected fault, if any, hits a request. Pure Python, no web framework."""

from __future__ import annotations

import builtins
import dataclasses
import random
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .clock import Clock, SystemClock, format_iso

__all__ = [
    "BUILTIN_ACTIONS",
    "DEFAULT_HANG_S",
    "Fault",
    "FaultEngine",
    "FaultSpecError",
    "FiredFault",
    "parse_fault",
    "parse_faults",
]

BUILTIN_ACTIONS: frozenset[str] = frozenset({"status", "latency", "hang", "drop"})
DEFAULT_HANG_S = 60.0

_COMMON_KEYS = ("id", "action", "method", "path", "partition", "after", "times", "probability")
# Keys that only make sense with one action; a fake's own actions take none of them.
_ACTION_KEYS: dict[str, tuple[str, ...]] = {
    "status": ("status", "headers", "body"),
    "latency": ("latency_s",),
    "hang": ("hang_s",),
    "drop": (),
}
_ALL_KEYS = frozenset(_COMMON_KEYS).union(*_ACTION_KEYS.values())
_METHOD = re.compile(r"[A-Za-z]+")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


class FaultSpecError(ValueError):
    """A fault spec that cannot be armed; `message` is one sentence saying why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Fault:
    """One injected fault: which requests it hits, what it does, and how often."""

    action: str
    id: str = ""
    method: str | None = None
    path: str | None = None
    partition: str | None = None
    status: int | None = None
    headers: Mapping[str, str] | None = field(default=None, hash=False)
    body: Any = field(default=None, hash=False)
    latency_s: float | None = None
    hang_s: float | None = None
    after: bool = False
    times: int | None = None
    probability: float | None = None
    _pattern: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_fault(self)
        set_ = object.__setattr__
        if self.method is not None:
            set_(self, "method", self.method.upper())
        if self.action == "status":
            set_(self, "headers", dict(self.headers or {}))
        if self.action == "hang" and self.hang_s is None:
            set_(self, "hang_s", DEFAULT_HANG_S)
        if self.path is not None:
            set_(self, "_pattern", re.compile(self.path))

    def matches(self, method: str, path: str, partition: str | None) -> bool:
        """True when this fault is aimed at a request with this method, path and partition."""
        return (
            (self.method is None or self.method == method.upper())
            and (self.partition is None or self.partition == partition)
            and (self._pattern is None or self._pattern.fullmatch(path) is not None)
        )

    def to_dict(self) -> dict[str, Any]:
        """The spec as JSON, in the shape `parse_fault` reads back."""
        out: dict[str, Any] = {key: getattr(self, key) for key in _COMMON_KEYS}
        for key in _ACTION_KEYS.get(self.action, ()):
            value = getattr(self, key)
            out[key] = dict(value) if isinstance(value, Mapping) else value
        return out


def _check_fault(fault: Fault) -> None:
    """Raise FaultSpecError for a value no request could be served with."""
    where = f"fault {fault.id!r}" if fault.id else "fault"
    if not isinstance(fault.action, str) or not fault.action:
        raise FaultSpecError(f"{where}: 'action' must be a non-empty string; got {fault.action!r}")
    if fault.method is not None and not _METHOD.fullmatch(fault.method):
        raise FaultSpecError(f"{where}: 'method' must be an HTTP method such as 'POST'; got {fault.method!r}")
    if fault.path is not None:
        try:
            re.compile(fault.path)
        except re.error as exc:
            raise FaultSpecError(
                f"{where}: 'path' must be a regular expression matched against the whole request path; "
                f"{fault.path!r} does not compile ({exc})"
            ) from None
    if fault.times is not None and fault.probability is not None:
        raise FaultSpecError(f"{where}: give 'times' (fire on the next N matches) or 'probability', not both")
    if fault.times is not None and fault.times < 1:
        raise FaultSpecError(f"{where}: 'times' must be at least 1; got {fault.times}")
    if fault.probability is not None and not 0 <= fault.probability <= 1:
        raise FaultSpecError(f"{where}: 'probability' must be between 0 and 1; got {fault.probability}")
    given = {key for keys in _ACTION_KEYS.values() for key in keys if getattr(fault, key) is not None}
    stray = sorted(given - set(_ACTION_KEYS.get(fault.action, ())))
    if stray:
        raise FaultSpecError(f"{where}: {_quoted(stray)} do not apply to action {fault.action!r}")
    if fault.action == "status":
        if fault.status is None or not 100 <= fault.status <= 599:
            raise FaultSpecError(
                f"{where}: action 'status' needs 'status', an HTTP status from 100 to 599; got {fault.status!r}"
            )
        for name, value in (fault.headers or {}).items():
            if not _HEADER_NAME.fullmatch(name) or "\r" in value or "\n" in value:
                raise FaultSpecError(f"{where}: header {name!r}: {value!r} is not a valid HTTP header")
    if fault.action == "latency" and (fault.latency_s is None or fault.latency_s < 0):
        raise FaultSpecError(
            f"{where}: action 'latency' needs 'latency_s', a number of seconds >= 0; got {fault.latency_s!r}"
        )
    if fault.hang_s is not None and fault.hang_s <= 0:
        raise FaultSpecError(f"{where}: 'hang_s' must be a number of seconds > 0; got {fault.hang_s!r}")


def _quoted(keys: Iterable[str]) -> str:
    return ", ".join(repr(key) for key in keys)


def _number(spec: Mapping[str, Any], key: str) -> float | None:
    value = spec.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FaultSpecError(f"fault: {key!r} must be a number; got {value!r}")
    return float(value)


def _optional(spec: Mapping[str, Any], key: str, kind: type | tuple[type, ...], what: str) -> Any:
    value = spec.get(key)
    if value is None:
        return None
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise FaultSpecError(f"fault: {key!r} must be {what}; got {value!r}")
    if not isinstance(value, kind):
        raise FaultSpecError(f"fault: {key!r} must be {what}; got {value!r}")
    return value


def _headers(spec: Mapping[str, Any]) -> dict[str, str] | None:
    raw = spec.get("headers")
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise FaultSpecError(f"fault: 'headers' must be an object of header names to values; got {raw!r}")
    headers: dict[str, str] = {}
    for name, value in raw.items():
        # A number is what people write for Retry-After; anything else is a mistake.
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise FaultSpecError(f"fault: header {name!r} must have a string value; got {value!r}")
        headers[str(name)] = str(value)
    return headers


def parse_fault(spec: Mapping[str, Any], *, actions: Iterable[str] = BUILTIN_ACTIONS) -> Fault:
    """Build a Fault from its JSON spec, or raise FaultSpecError saying what is wrong."""
    if not isinstance(spec, Mapping):
        raise FaultSpecError(f"a fault spec must be a JSON object; got {type(spec).__name__} {spec!r}")
    unknown = sorted(set(spec) - _ALL_KEYS)
    if unknown:
        raise FaultSpecError(
            f"fault: unknown key(s) {_quoted(unknown)}; a fault spec takes {_quoted(sorted(_ALL_KEYS))}"
        )
    allowed = frozenset(actions)
    if "action" not in spec:
        raise FaultSpecError(f"fault: 'action' is missing; it must be one of {_quoted(sorted(allowed))}")
    action = spec.get("action")
    if action not in allowed:
        raise FaultSpecError(f"fault: 'action' must be one of {_quoted(sorted(allowed))}; got {action!r}")
    after = spec.get("after", False)
    if not isinstance(after, bool):
        raise FaultSpecError(f"fault: 'after' must be true or false; got {after!r}")
    try:
        return Fault(
            action=action,
            id=_optional(spec, "id", str, "a string") or "",
            method=_optional(spec, "method", str, "an HTTP method such as 'POST'"),
            path=_optional(spec, "path", str, "a regular expression (string)"),
            partition=_optional(spec, "partition", str, "a string"),
            status=_optional(spec, "status", int, "an HTTP status from 100 to 599"),
            headers=_headers(spec),
            body=spec.get("body"),
            latency_s=_number(spec, "latency_s"),
            hang_s=_number(spec, "hang_s"),
            after=after,
            times=_optional(spec, "times", int, "a whole number >= 1"),
            probability=_number(spec, "probability"),
        )
    except TypeError as exc:  # pragma: no cover - every field is type-checked above
        raise FaultSpecError(f"fault: {exc}") from None


def parse_faults(specs: Any, *, actions: Iterable[str] = BUILTIN_ACTIONS) -> builtins.list[Fault]:
    """Parse a JSON array of fault specs; an error names the position of the bad one."""
    if not isinstance(specs, Sequence) or isinstance(specs, str | bytes):
        raise FaultSpecError(f"faults must be a JSON array of fault specs; got {type(specs).__name__}")
    faults = []
    for index, spec in enumerate(specs):
        try:
            faults.append(parse_fault(spec, actions=actions))
        except FaultSpecError as exc:
            raise FaultSpecError(f"faults[{index}]: {exc.message}") from None
    return faults


@dataclass(frozen=True, slots=True)
class FiredFault:
    """A record that a fault hit a request."""

    fault_id: str
    action: str
    method: str
    path: str
    partition: str | None
    at: datetime

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON for the admin API."""
        return {
            "fault_id": self.fault_id,
            "action": self.action,
            "method": self.method,
            "path": self.path,
            "partition": self.partition,
            "at": format_iso(self.at),
        }


@dataclass(slots=True)
class _Armed:
    fault: Fault
    remaining: int | None
    rng: random.Random | None


class FaultEngine:
    """The armed faults of one fake and the record of those that fired; safe to share between threads."""

    def __init__(self, clock: Clock | None = None, *, seed: int = 0, actions: Iterable[str] = BUILTIN_ACTIONS) -> None:
        self.clock: Clock = clock or SystemClock()
        self.seed = seed
        self.actions: frozenset[str] = frozenset(actions)
        self._lock = threading.Lock()
        self._armed: builtins.list[_Armed] = []
        self._fired: builtins.list[FiredFault] = []
        self._next_id = 1

    def parse(self, spec: Mapping[str, Any]) -> Fault:
        """`parse_fault` with this engine's actions."""
        return parse_fault(spec, actions=self.actions)

    def add(self, fault: Fault) -> Fault:
        """Arm one more fault (after those already armed) and return it with its id."""
        with self._lock:
            armed = self._arm([fault], {a.fault.id for a in self._armed})
            self._armed.extend(armed)
        return armed[0].fault

    def set(self, faults: Iterable[Fault], partition: str | None = None) -> builtins.list[Fault]:
        """Replace every armed fault (or, given a partition, every fault aimed at it) with `faults`."""
        faults = builtins.list(faults)
        if partition is not None:
            for fault in faults:
                if fault.partition not in (None, partition):
                    raise FaultSpecError(
                        f"fault {fault.id or '(new)'} is aimed at partition {fault.partition!r}, "
                        f"but the faults are being set for partition {partition!r}"
                    )
            faults = [dataclasses.replace(f, partition=partition) for f in faults]
        with self._lock:
            kept = [a for a in self._armed if partition is not None and a.fault.partition != partition]
            armed = self._arm(faults, {a.fault.id for a in kept})
            self._armed = kept + armed
        return [a.fault for a in armed]

    def list(self, partition: str | None = None) -> builtins.list[Fault]:
        """The faults still armed (all, or those aimed at `partition`); `times` is what remains."""
        with self._lock:
            return [
                dataclasses.replace(a.fault, times=a.remaining) if a.remaining is not None else a.fault
                for a in self._armed
                if partition is None or a.fault.partition == partition
            ]

    def clear(self, partition: str | None = None) -> None:
        """Disarm every fault, or those aimed at `partition`."""
        with self._lock:
            self._armed = [a for a in self._armed if partition is not None and a.fault.partition != partition]

    def reset(self, partition: str | None = None) -> None:
        """Disarm faults and forget fired records, for everyone or for one partition."""
        with self._lock:
            self._armed = [a for a in self._armed if partition is not None and a.fault.partition != partition]
            self._fired = [f for f in self._fired if partition is not None and f.partition != partition]

    @property
    def armed(self) -> bool:
        """Whether any fault is armed: a racy peek, for callers that skip work (finding a partition) when none is."""
        return bool(self._armed)

    def check(self, method: str, path: str, partition: str | None = None) -> Fault | None:
        """The fault that hits this request, if any: the first armed match that fires (and is used up)."""
        if not self._armed:  # the common case, no lock needed for a racy emptiness peek
            return None
        with self._lock:
            for index, armed in enumerate(self._armed):
                fault = armed.fault
                if not fault.matches(method, path, partition):
                    continue
                if armed.rng is not None and armed.rng.random() >= (fault.probability or 0.0):
                    continue
                if armed.remaining is not None:
                    armed.remaining -= 1
                    if armed.remaining == 0:
                        del self._armed[index]
                self._fired.append(
                    FiredFault(fault.id, fault.action, method.upper(), path, partition, self.clock.now())
                )
                return fault
        return None

    def fired(self, partition: str | None = None) -> builtins.list[FiredFault]:
        """The faults that hit requests, oldest first (all, or those of requests in `partition`)."""
        with self._lock:
            return [f for f in self._fired if partition is None or f.partition == partition]

    def _arm(self, faults: Iterable[Fault], taken: builtins.set[str]) -> builtins.list[_Armed]:
        """Validate and id a batch of faults; nothing is armed unless all of them are good."""
        armed = []
        for fault in faults:
            if fault.action not in self.actions:
                raise FaultSpecError(
                    f"fault: 'action' must be one of {_quoted(sorted(self.actions))}; got {fault.action!r}"
                )
            if not fault.id:
                while f"fault-{self._next_id}" in taken:
                    self._next_id += 1
                fault = dataclasses.replace(fault, id=f"fault-{self._next_id}")
                self._next_id += 1
            if fault.id in taken:
                raise FaultSpecError(f"a fault with id {fault.id!r} is already armed; ids must be unique")
            taken.add(fault.id)
            # Each fault draws from its own stream so its pattern does not shift when others come and go.
            rng = random.Random(f"{self.seed}:{fault.id}") if fault.probability is not None else None
            armed.append(_Armed(fault, fault.times, rng))
        return armed
