"""Implementations the harness runs at a history's `sync` steps: the reference, a Python callable, or a command.

Every implementation gets the same `SyncContext`: exactly the values of DESIGN.md's `cmd:` table
(`env()` spells them as that table's variables), plus, for in-process runs, the httpx transports
that reach the fakes without a socket, and, for a history's crash step, how many requests the
implementation's process may make before it is killed. An implementation answers with a
`SyncOutcome`: did the sync report success, and if not, what it said. `cmd:COMMAND` lives in
`harness.cmd_impl`.
"""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from harness.reference import ConfigError, ListConfig, SyncConfig, sync

if TYPE_CHECKING:
    from harness.cmd_impl import Tripwire

__all__ = [
    "ImplError",
    "Implementation",
    "PythonImpl",
    "ReferenceImpl",
    "SyncContext",
    "SyncOutcome",
    "parse_impl",
]


class ImplError(ValueError):
    """An implementation spec that cannot be run: what was expected, what was given."""


@dataclass(frozen=True, slots=True)
class SyncContext:
    """What one sync step hands an implementation: DESIGN.md's `cmd:` values, and in-process transports."""

    listrak_auth_url: str
    listrak_api_url: str
    listrak_client_id: str
    listrak_client_secret: str
    segment_api_url: str
    segment_write_key: str
    # As LISTRAK_SEGMENT_LISTS spells them: [{"listId": 101, "profileFieldId": 5}, {"listId": 102}].
    lists: tuple[Mapping[str, int], ...]
    revision: str
    state_dir: Path
    listrak_transport: httpx.BaseTransport | None = field(default=None, repr=False, compare=False)
    segment_transport: httpx.BaseTransport | None = field(default=None, repr=False, compare=False)
    # The history's crash step: kill the implementation's process once the fakes have seen this
    # many of its requests (`cmd:` only), through the tripwire in front of both served fakes.
    crash_after: int | None = None
    tripwire: Tripwire | None = field(default=None, repr=False, compare=False)
    # In-process replays run on virtual time: an implementation that waits (a backoff, a Retry-After)
    # calls `sleep`, which moves the replay's clock instead of the wall clock, and measures elapsed
    # time with `monotonic`. None (served replays) means real time.
    sleep: Callable[[float], None] | None = field(default=None, repr=False, compare=False)
    monotonic: Callable[[], float] | None = field(default=None, repr=False, compare=False)

    def env(self) -> dict[str, str]:
        """The environment a `cmd:` implementation gets, with DESIGN.md's variable names."""
        return {
            "LISTRAK_AUTH_URL": self.listrak_auth_url,
            "LISTRAK_API_URL": self.listrak_api_url,
            "LISTRAK_CLIENT_ID": self.listrak_client_id,
            "LISTRAK_CLIENT_SECRET": self.listrak_client_secret,
            "SEGMENT_API_URL": self.segment_api_url,
            "SEGMENT_WRITE_KEY": self.segment_write_key,
            "LISTRAK_SEGMENT_LISTS": json.dumps([dict(entry) for entry in self.lists]),
            "LISTRAK_SOURCE_REVISION": self.revision,
            "SYNC_STATE_DIR": str(self.state_dir),
        }

    def list_configs(self) -> tuple[ListConfig, ...]:
        """The integrated lists as the reference sync's `ListConfig`s."""
        return tuple(ListConfig(int(e["listId"]), e.get("profileFieldId")) for e in self.lists)


@dataclass(frozen=True, slots=True)
class SyncOutcome:
    """How one run of an implementation ended: `ok` when it reported success; `error` says why not."""

    ok: bool
    error: str | None = None
    seconds: float = 0.0
    # What a `cmd:` implementation printed (each cut to its last part when long).
    stdout: str = ""
    stderr: str = ""
    # True when a crash step killed the implementation mid-run: it could not report, so `ok` is False.
    crashed: bool = False


class Implementation(Protocol):
    """Anything the replayer can run at a sync step."""

    name: str

    def run(self, context: SyncContext) -> SyncOutcome: ...


class ReferenceImpl:
    """The built-in reference sync, run in-process through the context's transports."""

    name = "reference"

    def __init__(
        self,
        *,
        sleep: Callable[[float], None] | None = None,
        request_timeout: float = 5.0,
        retry_deadline: float = 15.0,
    ) -> None:
        # None waits as the context says (virtual time in-process, real time otherwise).
        self.sleep = sleep
        self.request_timeout = request_timeout
        self.retry_deadline = retry_deadline

    def config(self, context: SyncContext) -> SyncConfig:
        """The reference's configuration for one sync step."""
        return SyncConfig(
            listrak_client_id=context.listrak_client_id,
            listrak_client_secret=context.listrak_client_secret,
            segment_write_key=context.segment_write_key,
            lists=context.list_configs(),
            state_dir=context.state_dir,
            listrak_auth_url=context.listrak_auth_url,
            listrak_api_url=context.listrak_api_url,
            segment_api_url=context.segment_api_url,
            revision=context.revision,
            request_timeout=self.request_timeout,
            retry_deadline=self.retry_deadline,
            listrak_transport=context.listrak_transport,
            segment_transport=context.segment_transport,
        )

    def run(self, context: SyncContext) -> SyncOutcome:
        """Run the reference once; a sync with no integrated list has nothing to do and succeeds."""
        started = time.monotonic()
        if not context.lists:
            return SyncOutcome(True, None, 0.0)
        try:
            sleep = self.sleep or context.sleep or time.sleep
            report = sync(self.config(context), sleep=sleep, monotonic=context.monotonic or time.monotonic)
        except ConfigError as exc:
            return SyncOutcome(False, f"configuration error: {exc}", time.monotonic() - started)
        error = None if report.ok else report.summary()
        return SyncOutcome(report.ok, error, time.monotonic() - started)

    def __repr__(self) -> str:
        return "ReferenceImpl()"


class PythonImpl:
    """`python:package.module:function`: `function(context)` at every sync step.

    The sync reports failure when the function raises, returns False, or returns an object whose
    `ok` is False (a reference `SyncReport`); anything else is success.
    """

    def __init__(self, target: str, function: Callable[[SyncContext], Any] | None = None) -> None:
        self.name = f"python:{target}"
        self.target = target
        self.function = function if function is not None else _import(target)

    @classmethod
    def from_function(cls, function: Callable[[SyncContext], Any]) -> PythonImpl:
        """A callable of the caller's own (a test's sync, a lambda), named `module:qualname` as a spec would name it."""
        module = getattr(function, "__module__", None) or "__main__"
        name = getattr(function, "__qualname__", None) or type(function).__name__
        return cls(f"{module}:{name}", function)

    def run(self, context: SyncContext) -> SyncOutcome:
        started = time.monotonic()
        try:
            result = self.function(context)
        except Exception as exc:
            return SyncOutcome(False, f"{self.target} raised {type(exc).__name__}: {exc}", time.monotonic() - started)
        seconds = time.monotonic() - started
        if result is False:
            return SyncOutcome(False, f"{self.target} returned False", seconds)
        ok = getattr(result, "ok", True)
        if ok is False:
            return SyncOutcome(False, f"{self.target} returned a result whose ok is False: {result!r}", seconds)
        return SyncOutcome(True, None, seconds)

    def __repr__(self) -> str:
        return f"PythonImpl({self.target!r})"


def _import(target: str) -> Callable[[SyncContext], Any]:
    module_name, colon, attribute = target.partition(":")
    if not colon or not module_name or not attribute:
        raise ImplError(f"expected python:package.module:function, saw python:{target}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ImplError(f"python:{target}: cannot import module {module_name!r}: {exc}") from exc
    found: Any = module
    for part in attribute.split("."):
        try:
            found = getattr(found, part)
        except AttributeError:
            raise ImplError(f"python:{target}: module {module_name!r} has no attribute {attribute!r}") from None
    if not callable(found):
        raise ImplError(f"python:{target}: expected a callable, saw {type(found).__name__}")
    function: Callable[[SyncContext], Any] = found
    return function


def parse_impl(spec: str) -> Implementation:
    """The implementation an IMPL spec names: `reference`, `python:package.module:function` or `cmd:COMMAND`."""
    text = spec.strip()
    if text == "reference":
        return ReferenceImpl()
    kind, colon, rest = text.partition(":")
    if colon and kind == "python":
        return PythonImpl(rest)
    if colon and kind == "cmd":
        if not rest.strip():
            raise ImplError(f"expected cmd:COMMAND with a shell command after 'cmd:', saw {spec!r}")
        # Imported here: cmd_impl builds on this module's SyncContext and SyncOutcome.
        from harness.cmd_impl import CmdImpl

        return CmdImpl(rest)
    raise ImplError(f"expected reference, python:package.module:function or cmd:COMMAND, saw {spec!r}")
