"""`cmd:COMMAND` implementations: a shell command run at every sync step, and the tripwire behind crash steps.

`CmdImpl` runs the command through `/bin/sh -c` in a process group of its own, with DESIGN.md's
`cmd:` environment, and judges it by its exit status alone. Whatever happens, the whole group is
gone when `run` returns: a timeout or a crash step kills it, and processes left behind by a
command that exited are killed too, so no history leaks a background process into the next.

`Tripwire` is the WSGI middleware in front of both served fakes of a replay. Armed with N, it
kills the process the moment the fakes have applied its N-th request and before the answer
leaves, so the implementation never learns that its last request landed (Jepsen's "ack lost").
"""

from __future__ import annotations

import codecs
import contextlib
import os
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from .impls import ImplError, SyncContext, SyncOutcome

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["CmdImpl", "Tripwire"]

# The harness's own calls to a fake (inspection, faults, health): never the implementation's.
_ADMIN_PREFIX = "/_fake/"
# How long, after the command has ended, its output may take to reach end-of-file.
_DRAIN_S = 2.0
# The longest the watcher sleeps before looking again whether the command has exited.
_POLL_S = 0.05
_FIRST_PAUSE_S = 0.001
_READ_BYTES = 65536
_TIMEOUT, _CRASH = "timeout", "crash"


class Tripwire:
    """Counts an implementation's requests to the fakes it wraps and, once armed, acts after the N-th.

    One tripwire wraps every fake of a replay, so N counts requests to all of them together.
    Requests under `/_fake/` are the harness's own and never count. Thread-safe: the fakes'
    worker threads count while the harness arms and disarms.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0
        self._after = 0
        self._action: Callable[[], None] | None = None
        self._fired = False

    def wrap(self, app: WSGIApplication) -> WSGIApplication:
        """`app` behind the tripwire: each of its requests counts once the app has handled it."""
        return _TripwireMiddleware(app, self)

    def arm(self, after: int, action: Callable[[], None]) -> None:
        """Count from zero; once `after` requests have been handled, call `action` before answering the last.

        `after=0` calls `action` at once: the implementation is killed before any request lands.
        """
        if after < 0:
            raise ValueError(f"a tripwire fires after a number of requests >= 0; got {after}")
        with self._lock:
            self._count = 0
            self._fired = after == 0
            self._after = after
            self._action = None if after == 0 else action
        if after == 0:
            action()

    def disarm(self) -> int:
        """Stop acting on requests; returns how many were counted since `arm`."""
        with self._lock:
            self._action = None
            return self._count

    @property
    def fired(self) -> bool:
        """Whether the action ran since the last `arm`."""
        with self._lock:
            return self._fired

    @property
    def count(self) -> int:
        """Requests counted since the last `arm` (or since the tripwire was made)."""
        with self._lock:
            return self._count

    def _handled(self) -> Callable[[], None] | None:
        """Count one handled request; the action to run now, if this request is the armed one."""
        with self._lock:
            self._count += 1
            if self._action is None or self._fired or self._count < self._after:
                return None
            self._fired = True
            return self._action


class _TripwireMiddleware:
    """Runs the app to completion, holding its answer, so the tripwire can act before a byte is sent."""

    def __init__(self, app: WSGIApplication, tripwire: Tripwire) -> None:
        self.app = app
        self.tripwire = tripwire

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if str(environ.get("PATH_INFO", "")).startswith(_ADMIN_PREFIX):
            return self.app(environ, start_response)
        held = _HeldResponse()
        try:
            body = _materialise(self.app(environ, held.start_response))
        finally:
            # Counted even when the app raised (a dropped connection): the fake saw the request.
            action = self.tripwire._handled()
            if action is not None:
                action()
        return held.release(start_response, body)


def _materialise(app_iter: Iterable[bytes]) -> list[bytes]:
    """The whole body, so the fake has finished applying the request; the iterable is closed as WSGI asks."""
    try:
        return list(app_iter)
    finally:
        close = getattr(app_iter, "close", None)
        if close is not None:
            close()


class _HeldResponse:
    """A start_response (and legacy write) that keeps the answer until `release` sends it on."""

    def __init__(self) -> None:
        self._start: tuple[str, list[tuple[str, str]], Any] | None = None
        self._written: list[bytes] = []

    def start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], object]:
        # Nothing has been sent yet, so a second call (an error page replacing the answer) just replaces it.
        self._start = (status, headers, exc_info)
        return self._written.append

    def release(self, start_response: StartResponse, body: list[bytes]) -> list[bytes]:
        if self._start is None:
            raise RuntimeError("the wrapped WSGI app returned without calling start_response")
        start_response(*self._start)
        self._start = None
        return [*self._written, *body]


class CmdImpl:
    """`cmd:COMMAND`: the command run through `/bin/sh -c` at every sync step; exit 0 means the sync is complete."""

    # Another process reaches the fakes only over HTTP: the replayer serves them on loopback.
    needs_servers = True

    def __init__(self, command: str, *, timeout: float = 120.0, output_limit: int = 65536) -> None:
        if not command.strip():
            raise ImplError("expected cmd:COMMAND with a command to run, saw an empty command")
        if timeout <= 0:
            raise ValueError(f"timeout must be a number of seconds > 0; got {timeout}")
        if output_limit < 0:
            raise ValueError(f"output_limit must be a number of characters >= 0; got {output_limit}")
        self.name = f"cmd:{command}"
        self.command = command
        self.timeout = timeout
        self.output_limit = output_limit

    def run(self, context: SyncContext) -> SyncOutcome:
        """Run the command once with the context's environment; its whole process group is gone on return."""
        tripwire = _tripwire_of(context)
        group = _ProcessGroup()
        started = time.monotonic()
        if tripwire is not None and context.crash_after is not None:
            # Armed before the start, so not even the command's first request can slip past.
            tripwire.arm(context.crash_after, lambda: group.kill(_CRASH))
        try:
            ended = self._supervise(context, group, started + self.timeout)
        finally:
            if tripwire is not None:
                tripwire.disarm()
        return self._outcome(ended, group, context, time.monotonic() - started)

    def _supervise(self, context: SyncContext, group: _ProcessGroup, deadline: float) -> _Ended:
        process = self._start(context)
        group.attach(process.pid)
        try:
            output = self._watch(process, group, deadline)
        finally:
            returncode = group.reap(process)
        return _Ended(returncode, output.stdout.text(), output.stderr.text())

    def _watch(self, process: subprocess.Popen[bytes], group: _ProcessGroup, deadline: float) -> _Output:
        """Read the output until the command exits or the deadline kills it, then end its group and drain."""
        assert process.stdout is not None and process.stderr is not None  # PIPE for both
        output = _Output(process.stdout, process.stderr, self.output_limit)
        with contextlib.closing(output):
            pause = _FIRST_PAUSE_S
            while not group.leader_exited():
                left = deadline - time.monotonic()
                if left <= 0:
                    group.kill(_TIMEOUT)
                    break
                if output.open:
                    output.read(min(left, _POLL_S))
                else:
                    # The command closed its output, usually as it exits: look again soon, then less often.
                    time.sleep(min(left, pause))
                    pause = min(pause * 2, _POLL_S)
            # Whatever the command left running goes with it; then its output reaches end-of-file.
            group.end()
            output.read_to_end(_DRAIN_S)
        return output

    def _start(self, context: SyncContext) -> subprocess.Popen[bytes]:
        try:
            return subprocess.Popen(
                self.command,
                shell=True,
                env={**os.environ, **context.env()},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                # A group of its own: a timeout or a crash kills everything the command started.
                start_new_session=True,
            )
        except OSError as exc:
            raise ImplError(f"{self.name}: cannot start /bin/sh to run the command: {exc}") from exc

    def _outcome(self, ended: _Ended, group: _ProcessGroup, context: SyncContext, seconds: float) -> SyncOutcome:
        code = ended.returncode
        if group.killed_for == _CRASH and code == -signal.SIGKILL:
            plural = "" if context.crash_after == 1 else "s"
            error = f"killed by the crash step after {context.crash_after} request{plural}"
            return SyncOutcome(False, error, seconds, ended.stdout, ended.stderr, crashed=True)
        if group.killed_for == _TIMEOUT:
            error = f"timed out after {self.timeout:g}s (killed)"
        elif code == 0:
            return SyncOutcome(True, None, seconds, ended.stdout, ended.stderr)
        else:
            error = _describe_exit(code)
        last = _last_line(ended.stderr)
        return SyncOutcome(False, f"{error}: {last}" if last else error, seconds, ended.stdout, ended.stderr)

    def __repr__(self) -> str:
        return f"CmdImpl({self.command!r})"


def _tripwire_of(context: SyncContext) -> Tripwire | None:
    if context.crash_after is not None and context.tripwire is None:
        raise ValueError(
            f"the sync context asks for a crash after {context.crash_after} requests but gives no tripwire; "
            "a crash step needs the fakes served behind a Tripwire (the replayer's served mode)"
        )
    return context.tripwire


@dataclass(frozen=True, slots=True)
class _Ended:
    """How the command's process ended (Popen's returncode: negative for a signal) and what it printed."""

    returncode: int
    stdout: str
    stderr: str


class _ProcessGroup:
    """The command's process group: killed for a reason at most once, and never signalled once its leader is reaped.

    The leader is only reaped after the group has been killed, so while anyone may signal the
    group its id cannot belong to another process.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._reaped = False
        # Why the harness killed the group (_TIMEOUT or _CRASH); the first reason stands.
        self.killed_for: str | None = None

    def attach(self, pid: int) -> None:
        """The group's leader has started; a kill asked for before that happens now."""
        with self._lock:
            self._pid = pid
            if self.killed_for is not None:
                self._signal()

    def kill(self, reason: str) -> None:
        """Kill the whole group (SIGKILL), remembering why; safe from any thread, at any time."""
        with self._lock:
            if self.killed_for is None:
                self.killed_for = reason
            self._signal()

    def end(self) -> None:
        """Kill whatever is left of the group, without calling that a kill of the command."""
        with self._lock:
            self._signal()

    def leader_exited(self) -> bool:
        """Whether the leader has exited, leaving it unreaped so the group id stays ours."""
        with self._lock:
            if self._pid is None or self._reaped:
                return True
            flags = os.WEXITED | os.WNOHANG | os.WNOWAIT
            return os.waitid(os.P_PID, self._pid, flags) is not None

    def reap(self, process: subprocess.Popen[bytes]) -> int:
        """Kill what is left, then collect the leader's exit status; the group is never signalled again."""
        with self._lock:
            self._signal()
            self._reaped = True
        return process.wait()

    def _signal(self) -> None:
        if self._pid is None or self._reaped:
            return
        # ProcessLookupError: every member has exited and been reaped already.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._pid, signal.SIGKILL)


class _Output:
    """The command's stdout and stderr, read without blocking as they come; each keeps only its tail."""

    def __init__(self, stdout: IO[bytes], stderr: IO[bytes], limit: int) -> None:
        self.stdout = _Tail(limit)
        self.stderr = _Tail(limit)
        self._pipes = (stdout, stderr)
        self._selector = selectors.DefaultSelector()
        self._selector.register(stdout.fileno(), selectors.EVENT_READ, self.stdout)
        self._selector.register(stderr.fileno(), selectors.EVENT_READ, self.stderr)

    @property
    def open(self) -> bool:
        return bool(self._selector.get_map())

    def read(self, timeout: float) -> None:
        """Take what arrives within `timeout` seconds (nothing to wait for once both pipes are at end-of-file)."""
        if not self.open:
            return
        for key, _ in self._selector.select(timeout):
            data = os.read(key.fd, _READ_BYTES)
            if data:
                key.data.feed(data)
            else:
                self._selector.unregister(key.fd)

    def read_to_end(self, within: float) -> None:
        """Read until both pipes reach end-of-file or `within` seconds pass (a process outside the group holds them)."""
        deadline = time.monotonic() + within
        while self.open and (left := deadline - time.monotonic()) > 0:
            self.read(left)

    def close(self) -> None:
        self._selector.close()
        for pipe in self._pipes:
            pipe.close()


class _Tail:
    """Decoded text (UTF-8, bad bytes replaced) keeping only the last `limit` characters and counting the rest."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._parts: list[str] = []
        self._size = 0
        self._cut = 0
        self._final: str | None = None

    def feed(self, data: bytes) -> None:
        self._add(self._decoder.decode(data))

    def text(self) -> str:
        """The kept text, after a line saying how many earlier characters were cut, if any were."""
        if self._final is None:
            self._add(self._decoder.decode(b"", final=True))
            kept = self._trim()
            self._final = f"[... {self._cut} earlier characters cut ...]\n{kept}" if self._cut else kept
        return self._final

    def _add(self, text: str) -> None:
        self._parts.append(text)
        self._size += len(text)
        # Trimming at twice the limit keeps the cost linear in the output however it is chunked.
        if self._size > 2 * self.limit:
            self._trim()

    def _trim(self) -> str:
        joined = "".join(self._parts)
        kept = joined[len(joined) - self.limit :] if len(joined) > self.limit else joined
        self._cut += len(joined) - len(kept)
        self._parts, self._size = [kept], len(kept)
        return kept


def _describe_exit(code: int) -> str:
    """`exited with status 3`, or which signal killed the command."""
    if code < 0:
        return f"killed by signal {_signal_name(-code) or -code}"
    # A shell reports a command that a signal killed as status 128 + the signal's number.
    if code > 128 and (name := _signal_name(code - 128)):
        return f"exited with status {code} (128+{code - 128}: a command it ran was killed by {name})"
    return f"exited with status {code}"


def _signal_name(number: int) -> str | None:
    """`SIGKILL (9)`, or None for a number that is no signal."""
    try:
        return f"{signal.Signals(number).name} ({number})"
    except ValueError:
        return None


def _last_line(text: str) -> str:
    """The last non-blank line of the command's stderr, shortened to fit in one error message."""
    line = next((s.strip() for s in reversed(text.splitlines()) if s.strip()), "")
    return line if len(line) <= 300 else line[:297] + "..."
