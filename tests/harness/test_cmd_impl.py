"""`cmd:` implementations: the command's environment, exit status, output, timeout and crash, the
tripwire behind crash steps, and the four `cmd:` mutants of tests/mutants/cmd against served fakes
(each beside the unpatched reference in the same scenario, which must get it right)."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest
from cmd_support import DESIGN_CMD_VARIABLES
from reference_support import seed_list

from fake_listrak.fake import FakeListrak
from fake_segment.server import FakeSegment
from harness.cmd_impl import CmdImpl, Tripwire
from harness.fakekit.server import ServerThread
from harness.impls import ImplError, SyncContext, SyncOutcome

PYTHON = shlex.quote(sys.executable)
MUTANTS = Path(__file__).resolve().parents[1] / "mutants" / "cmd"
REFERENCE = f"{PYTHON} -m harness sync"
# Each mutant's test runs the mutant, then the unpatched reference in the same scenario.
IDS = ["mutant", "reference"]
LIST = 101
TRAIT = f"Listrak_list_{LIST}"
WRITE_KEY = "wk-cmd-impl"

# Posts N one-message batches to the fake Segment, asking its (uncounted) health endpoint before each.
BATCH_POSTER = """
import base64, json, os, sys, urllib.request
base = os.environ["SEGMENT_API_URL"]
auth = base64.b64encode((os.environ["SEGMENT_WRITE_KEY"] + ":").encode()).decode()
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
for n in range(int(sys.argv[1])):
    opener.open(base.removesuffix("/v1") + "/_fake/health").read()
    message = {"type": "identify", "anonymousId": f"a{n}@example.com", "messageId": f"m-{n}", "traits": {"n": n}}
    headers = {"Content-Type": "application/json", "Authorization": "Basic " + auth}
    opener.open(urllib.request.Request(base + "/batch", json.dumps({"batch": [message]}).encode(), headers)).read()
    print(f"sent {n + 1}", flush=True)
"""


def mutant(name: str) -> str:
    """The command line of a tests/mutants/cmd program, as `cmd:` runs it."""
    return f"{PYTHON} {shlex.quote(str(MUTANTS / f'{name}.py'))}"


def python_command(code: str, *args: object) -> str:
    return shlex.join([sys.executable, "-c", code, *map(str, args)])


def offline_context(tmp_path: Path, **changes: Any) -> SyncContext:
    """A context whose URLs lead nowhere: for commands that never call the fakes."""
    values: dict[str, Any] = {
        "listrak_auth_url": "http://127.0.0.1:9/OAuth2/Token",
        "listrak_api_url": "http://127.0.0.1:9/email/v1",
        "listrak_client_id": "client-1",
        "listrak_client_secret": "secret-1",
        "segment_api_url": "http://127.0.0.1:9/v1",
        "segment_write_key": WRITE_KEY,
        "lists": ({"listId": 7, "profileFieldId": 5}, {"listId": 8}),
        "revision": "2023-08-03",
        "state_dir": tmp_path / "state",
    }
    values.update(changes)
    return SyncContext(**values)


@dataclass
class Served:
    """Both fakes on loopback behind one tripwire, as a replay serves them for a `cmd:` implementation."""

    state_dir: Path
    tripwire: Tripwire = field(default_factory=Tripwire)
    listrak: FakeListrak = field(default_factory=lambda: FakeListrak(page_size_cap=2))
    segment: FakeSegment = field(default_factory=FakeSegment)

    def start(self) -> Served:
        for fake in (self.listrak, self.segment):
            fake.server = ServerThread(self.tripwire.wrap(fake.app))
            fake.start()
        return self

    def stop(self) -> None:
        self.listrak.stop()
        self.segment.stop()

    def context(self, *, crash_after: int | None = None) -> SyncContext:
        return SyncContext(
            listrak_auth_url=self.listrak.auth_url,
            listrak_api_url=self.listrak.api_url,
            listrak_client_id=self.listrak.client_id,
            listrak_client_secret=self.listrak.client_secret,
            segment_api_url=self.segment.api_url,
            segment_write_key=WRITE_KEY,
            lists=({"listId": LIST},),
            revision="2023-07-13",
            state_dir=self.state_dir,
            crash_after=crash_after,
            tripwire=self.tripwire,
        )

    def sync(self, command: str, *, crash_after: int | None = None) -> SyncOutcome:
        return CmdImpl(command, timeout=20.0).run(self.context(crash_after=crash_after))

    def messages(self) -> list[dict[str, Any]]:
        return self.segment.messages(WRITE_KEY)

    def without_trait(self) -> list[str]:
        """Addresses subscribed to the list in the fake Listrak whose Segment view lacks `TRAIT = true`."""
        views = self.segment.backend.trait_views(WRITE_KEY, "anonymousId")
        subscribed = [c.address for c in self.listrak.contacts(LIST, subscribed=True)]
        return [address for address in subscribed if views.get(address, {}).get(TRAIT) is not True]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    world = Served(tmp_path / "state").start()
    try:
        yield world
    finally:
        world.stop()


# -- the tripwire, called as a WSGI app ----------------------------------------------------


@dataclass
class Recorder:
    """A tiny WSGI app and server side in one: what happened, in order."""

    events: list[str] = field(default_factory=list)

    def app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ["PATH_INFO"]
        start_response("200 OK", [("Content-Type", "text/plain")])
        recorder = self

        class Body:
            def __iter__(self) -> Iterator[bytes]:
                recorder.events.append(f"applied {path}")
                yield path.encode()

            def close(self) -> None:
                recorder.events.append(f"closed {path}")

        return Body()

    def call(self, app: Any, path: str) -> bytes:
        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            self.events.append(f"answered {path}")
            return lambda data: None

        return b"".join(app(environ_for(path), start_response))


def environ_for(path: str) -> dict[str, Any]:
    """A WSGI environ for a GET of `path`."""
    environ: dict[str, Any] = {"PATH_INFO": path}
    setup_testing_defaults(environ)
    return environ


def unused_start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
    raise AssertionError(f"no answer expected, got {status}")


def test_tripwire_acts_once_the_nth_request_is_applied_and_before_it_is_answered() -> None:
    recorder, tripwire = Recorder(), Tripwire()
    app = tripwire.wrap(recorder.app)
    tripwire.arm(2, lambda: recorder.events.append("ACTION"))
    bodies = [recorder.call(app, f"/v1/batch/{n}") for n in (1, 2, 3)]
    assert bodies == [b"/v1/batch/1", b"/v1/batch/2", b"/v1/batch/3"]
    assert recorder.events == [
        "applied /v1/batch/1",
        "closed /v1/batch/1",
        "answered /v1/batch/1",
        "applied /v1/batch/2",
        "closed /v1/batch/2",
        "ACTION",
        "answered /v1/batch/2",
        "applied /v1/batch/3",
        "closed /v1/batch/3",
        "answered /v1/batch/3",
    ]
    assert tripwire.fired
    assert tripwire.disarm() == 3


def test_tripwire_does_not_count_the_harness_admin_requests() -> None:
    recorder, tripwire = Recorder(), Tripwire()
    app = tripwire.wrap(recorder.app)
    actions: list[str] = []
    tripwire.arm(2, lambda: actions.append("fired"))
    for path in ("/_fake/health", "/v1/batch", "/_fake/messages", "/_fake/faults"):
        recorder.call(app, path)
    assert (tripwire.count, tripwire.fired, actions) == (1, False, [])
    recorder.call(app, "/email/v1/List/7")
    assert (tripwire.count, actions) == (2, ["fired"])


def test_tripwire_counts_unarmed_arm_restarts_the_count_and_disarm_stops_it() -> None:
    recorder, tripwire = Recorder(), Tripwire()
    app = tripwire.wrap(recorder.app)
    recorder.call(app, "/a")
    recorder.call(app, "/b")
    assert (tripwire.count, tripwire.fired) == (2, False)
    actions: list[str] = []
    tripwire.arm(2, lambda: actions.append("fired"))
    assert tripwire.count == 0
    recorder.call(app, "/c")
    assert tripwire.disarm() == 1
    recorder.call(app, "/d")
    recorder.call(app, "/e")
    assert actions == []
    assert not tripwire.fired


def test_tripwire_armed_with_zero_acts_at_once() -> None:
    tripwire, actions = Tripwire(), []
    tripwire.arm(0, lambda: actions.append("fired"))
    assert actions == ["fired"]
    assert tripwire.fired
    with pytest.raises(ValueError, match=">= 0"):
        tripwire.arm(-1, lambda: None)


def test_tripwire_holds_a_legacy_write_until_after_the_action() -> None:
    events: list[str] = []

    def writing_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        write = start_response("201 Created", [])
        write(b"head-")
        events.append("applied")
        return [b"tail"]

    sent: list[bytes] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        events.append(f"answered {status}")
        return sent.append

    tripwire = Tripwire()
    tripwire.arm(1, lambda: events.append("ACTION"))
    body = list(tripwire.wrap(writing_app)(environ_for("/v1/batch"), start_response))
    assert events == ["applied", "ACTION", "answered 201 Created"]
    assert b"".join(sent + body) == b"head-tail"


def test_tripwire_counts_a_request_the_app_failed_on_and_still_acts() -> None:
    def dropping_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        raise ConnectionResetError("the fake dropped the connection")

    tripwire, actions = Tripwire(), []
    tripwire.arm(1, lambda: actions.append("fired"))
    with pytest.raises(ConnectionResetError):
        tripwire.wrap(dropping_app)(environ_for("/v1/batch"), unused_start_response)
    assert (tripwire.count, actions) == (1, ["fired"])


def test_tripwire_counts_concurrent_requests_exactly_and_acts_once() -> None:
    recorder, tripwire = Recorder(), Tripwire()
    app = tripwire.wrap(recorder.app)
    actions: list[int] = []
    tripwire.arm(150, lambda: actions.append(tripwire.count))

    def client() -> None:
        for _ in range(50):
            recorder.call(app, "/v1/batch")

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert tripwire.disarm() == 400
    assert len(actions) == 1 and actions[0] >= 150


# -- CmdImpl against small commands ---------------------------------------------------------


def test_command_gets_exactly_the_design_variables_with_the_context_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A stale value in the harness's own environment must not reach the command; others pass through.
    monkeypatch.setenv("LISTRAK_CLIENT_ID", "stale-client")
    monkeypatch.setenv("CMD_IMPL_TEST_PASSTHROUGH", "kept")
    context = offline_context(tmp_path)
    code = "import json, os; print(json.dumps(dict(os.environ)))"
    outcome = CmdImpl(python_command(code)).run(context)
    assert outcome.ok, outcome.error
    seen = json.loads(outcome.stdout)
    assert {name: seen.get(name) for name in DESIGN_CMD_VARIABLES} == context.env()
    assert seen["LISTRAK_CLIENT_ID"] == "client-1"
    assert json.loads(seen["LISTRAK_SEGMENT_LISTS"]) == [{"listId": 7, "profileFieldId": 5}, {"listId": 8}]
    assert seen["CMD_IMPL_TEST_PASSTHROUGH"] == "kept"


def test_command_runs_in_the_current_directory_with_no_stdin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    outcome = CmdImpl("pwd; cat; echo end").run(offline_context(tmp_path))
    assert outcome.stdout == f"{tmp_path}\nend\n"


@pytest.mark.parametrize(
    ("command", "ok", "error"),
    [
        ("exit 0", True, None),
        ("echo partial; echo 'Listrak said no' >&2; exit 3", False, "exited with status 3: Listrak said no"),
        ("exit 1", False, "exited with status 1"),
        ("no-such-sync-command-xyz", False, "exited with status 127: /bin/sh: 1: no-such-sync-command-xyz: not found"),
        ("kill -TERM $$", False, "killed by signal SIGTERM (15)"),
        ("exit 137", False, "exited with status 137 (128+9: a command it ran was killed by SIGKILL (9))"),
    ],
)
def test_exit_status_decides_the_outcome(tmp_path: Path, command: str, ok: bool, error: str | None) -> None:
    outcome = CmdImpl(command).run(offline_context(tmp_path))
    assert (outcome.ok, outcome.error, outcome.crashed) == (ok, error, False)
    assert outcome.seconds > 0


def test_stdout_and_stderr_are_kept_apart(tmp_path: Path) -> None:
    outcome = CmdImpl("printf 'one\\ntwo'; printf 'warn\\n' >&2").run(offline_context(tmp_path))
    assert (outcome.stdout, outcome.stderr) == ("one\ntwo", "warn\n")


def test_long_output_keeps_its_last_part_and_says_how_much_was_cut(tmp_path: Path) -> None:
    code = "import sys; sys.stdout.write('a' * 9000 + 'END'); sys.stderr.write('é' * 150)"
    outcome = CmdImpl(python_command(code), output_limit=100).run(offline_context(tmp_path))
    assert outcome.stdout == "[... 8903 earlier characters cut ...]\n" + "a" * 97 + "END"
    assert outcome.stderr == "[... 50 earlier characters cut ...]\n" + "é" * 100


def test_output_that_is_not_utf8_is_decoded_with_replacement(tmp_path: Path) -> None:
    outcome = CmdImpl("printf 'ok \\377\\n'").run(offline_context(tmp_path))
    assert outcome.stdout == "ok \ufffd\n"


def _gone(pid: int) -> bool:
    """True once `pid` has exited (reaped, or a zombie waiting for a reaper that may never come)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (FileNotFoundError, IndexError):
        return True


def _wait_gone(pid: int, within: float = 2.0) -> bool:
    deadline = time.monotonic() + within
    while not _gone(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    command = f"sleep 30 & echo $! > {shlex.quote(str(pid_file))}; echo started; sleep 30"
    outcome = CmdImpl(command, timeout=0.5).run(offline_context(tmp_path))
    assert (outcome.ok, outcome.crashed) == (False, False)
    assert outcome.error == "timed out after 0.5s (killed)"
    assert outcome.stdout == "started\n"
    assert outcome.seconds < 3
    assert _wait_gone(int(pid_file.read_text()))


def test_background_processes_left_by_a_finished_command_are_killed(tmp_path: Path) -> None:
    pid_file = tmp_path / "left.pid"
    command = f"sleep 30 & echo $! > {shlex.quote(str(pid_file))}; echo done"
    outcome = CmdImpl(command, timeout=10).run(offline_context(tmp_path))
    assert (outcome.ok, outcome.stdout) == (True, "done\n")
    assert outcome.seconds < 3
    assert _wait_gone(int(pid_file.read_text()))


def test_a_command_that_cannot_start_is_an_impl_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_shell(*args: Any, **kwargs: Any) -> Any:
        raise FileNotFoundError(2, "No such file or directory", "/bin/sh")

    monkeypatch.setattr(subprocess, "Popen", no_shell)
    with pytest.raises(ImplError, match="cmd:true: cannot start /bin/sh"):
        CmdImpl("true").run(offline_context(tmp_path))


def test_a_crash_without_a_tripwire_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="crash after 3 requests but gives no tripwire"):
        CmdImpl("true").run(offline_context(tmp_path, crash_after=3))


@pytest.mark.parametrize(
    ("command", "options", "words"),
    [
        ("", {}, "expected cmd:COMMAND"),
        ("true", {"timeout": 0}, "timeout must be"),
        ("true", {"output_limit": -1}, "output_limit must be"),
    ],
)
def test_cmd_impl_refuses_settings_it_cannot_run_with(command: str, options: dict[str, Any], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        CmdImpl(command, **options)


# -- crash steps, through the tripwire in front of served fakes -----------------------------


def test_crash_step_kills_the_command_once_the_fake_applied_n_requests(served: Served) -> None:
    outcome = served.sync(python_command(BATCH_POSTER, 20), crash_after=3)
    assert outcome.crashed and not outcome.ok
    assert outcome.error == "killed by the crash step after 3 requests"
    # The third batch was stored but its answer never came back: the command printed only two.
    assert [m["messageId"] for m in served.messages()] == ["m-0", "m-1", "m-2"]
    assert outcome.stdout == "sent 1\nsent 2\n"
    assert served.tripwire.fired and served.tripwire.count == 3


def test_crash_after_zero_kills_before_any_request(served: Served) -> None:
    outcome = served.sync(python_command(BATCH_POSTER, 5), crash_after=0)
    assert outcome.crashed
    assert served.messages() == []


def test_a_command_that_ends_before_the_crash_point_is_not_crashed(served: Served) -> None:
    outcome = served.sync(python_command(BATCH_POSTER, 3), crash_after=10)
    assert (outcome.ok, outcome.crashed, outcome.error) == (True, False, None)
    assert served.tripwire.count == 3 and not served.tripwire.fired
    assert len(served.messages()) == 3


def test_crash_counts_both_fakes_and_the_next_reference_sync_repairs(served: Served) -> None:
    served.listrak.seed(lists=[seed_list(LIST, ["a@example.com", "b@example.com", "c@example.com"])])
    # token, the list, two pages of subscribers (cap 2), one of unsubscribers, then the batch:
    # the sixth request is the batch, stored by Segment with its acknowledgement lost.
    crashed = served.sync(REFERENCE, crash_after=6)
    assert crashed.crashed
    assert len(served.messages()) == 3
    repaired = served.sync(REFERENCE)
    assert repaired.ok, repaired.stderr
    assert served.without_trait() == []


# -- the cmd: mutants, each beside the reference in the same scenario ------------------------


@pytest.mark.parametrize(("program", "missing"), [(mutant("first_page_only"), 1), (REFERENCE, 0)], ids=IDS)
def test_first_page_only_mutant_leaves_a_later_page_without_its_trait(
    served: Served, program: str, missing: int
) -> None:
    served.listrak.seed(lists=[seed_list(LIST, ["a@example.com", "b@example.com", "c@example.com"])])
    outcome = served.sync(program)
    assert outcome.ok, outcome.stderr
    assert len(served.without_trait()) == missing


@pytest.mark.parametrize(("program", "refreshes"), [(mutant("no_token_refresh"), False), (REFERENCE, True)], ids=IDS)
def test_no_token_refresh_mutant_gives_up_on_a_401(served: Served, program: str, refreshes: bool) -> None:
    served.listrak.seed(lists=[seed_list(LIST, ["a@example.com"])])
    served.listrak.add_fault(
        {"action": "revoke_tokens", "method": "GET", "path": f".*/List/{LIST}/Contact", "times": 1}
    )
    outcome = served.sync(program)
    assert [f.action for f in served.listrak.backend.faults.fired(served.listrak.client_id)] == ["revoke_tokens"]
    assert outcome.ok is refreshes, outcome.stderr
    assert (served.without_trait() == []) is refreshes
    if not refreshes:
        assert outcome.error is not None and "Listrak answered 401" in outcome.error


@pytest.mark.parametrize(("program", "loses"), [(mutant("swallow_segment_500"), True), (REFERENCE, False)], ids=IDS)
def test_swallow_segment_500_mutant_reports_success_and_loses_the_batch(
    served: Served, program: str, loses: bool
) -> None:
    served.listrak.seed(lists=[seed_list(LIST, ["a@example.com", "b@example.com"])])
    served.segment.add_fault(action="status", status=500, method="POST", path="/v1/batch", times=1)
    first = served.sync(program)
    assert [f.action for f in served.segment.backend.faults.fired(WRITE_KEY)] == ["status"]
    assert first.ok, first.stderr
    # Lost for good: the next run believes the batch was delivered and has nothing to send.
    second = served.sync(program)
    assert second.ok, second.stderr
    assert len(served.without_trait()) == (2 if loses else 0)
    assert len(served.messages()) == (0 if loses else 2)


@pytest.mark.parametrize(("program", "dropped"), [(mutant("content_message_id"), True), (REFERENCE, False)], ids=IDS)
def test_content_message_id_mutant_has_a_resubscribe_dropped_as_a_duplicate(
    served: Served, program: str, dropped: bool
) -> None:
    account = served.listrak
    account.seed(lists=[seed_list(LIST, ["a@example.com"])])
    assert served.sync(program).ok
    account.unsubscribe(LIST, "a@example.com")
    assert served.sync(program).ok
    account.subscribe(LIST, "a@example.com")
    resubscribed = served.sync(program)
    assert resubscribed.ok, resubscribed.stderr
    assert (served.without_trait() == ["a@example.com"]) is dropped
    assert len(served.segment.discards(WRITE_KEY, reason="duplicate")) == (1 if dropped else 0)
