"""Helpers for the reference sync's tests: both fakes, a write key and a state directory, and one way
to run the sync three ways (in-process transports, the Python API against loopback servers, and
`listrak-harness sync` as a real subprocess with DESIGN.md's `cmd:` environment), plus an oracle
that says which profiles Segment should hold given what the fake Listrak holds."""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from fake_listrak.fake import FakeListrak
from fake_segment.server import FakeSegment
from harness.reference import ConfigError, ListConfig, Progress, SyncConfig, sync

LIST = 101
LIST2 = 102
FIELD = 5
FIELD2 = 6
SEGMENT_URL = "http://segment.fake/v1"
LISTRAK_AUTH_URL = "http://listrak.fake/OAuth2/Token"
LISTRAK_API_URL = "http://listrak.fake/email/v1"
IN_PROCESS, LOOPBACK, CLI = "in-process", "loopback", "cli"
CLI_PREFIX = "listrak-harness sync: "
ESSENTIAL = ("type", "messageId", "anonymousId", "userId", "traits", "event", "properties")


def field_groups(*field_ids: int) -> list[dict[str, Any]]:
    """A profile field group holding text fields with these ids (seed document form)."""
    fields = [
        {"segmentationFieldId": fid, "segmentationFieldName": f"Field{fid}", "dataType": "Text", "maxLength": 255}
        for fid in field_ids
    ]
    return [{"segmentationFieldGroupName": "Profile", "segmentationFields": fields}]


def contact(address: str, value: str | None = None, *, field_id: int = FIELD, state: str = "Subscribed") -> Any:
    """A seed contact, with a value for one profile field."""
    if value is None and state == "Subscribed":
        return address
    entry: dict[str, Any] = {"emailAddress": address, "subscriptionState": state}
    if value is not None:
        entry["segmentationFieldValues"] = [{"segmentationFieldId": field_id, "value": value}]
    return entry


def seed_list(list_id: int, contacts: Sequence[Any], *, name: str | None = None, fields: Sequence[int] = ()) -> dict:
    """One list of a seed document."""
    doc: dict[str, Any] = {"listId": list_id, "listName": name or f"List {list_id}", "contacts": list(contacts)}
    if fields:
        doc["segmentationFieldGroups"] = field_groups(*fields)
    return doc


class Recorder(httpx.BaseTransport):
    """Wraps a transport: keeps every exchange, and lets a test act after each response."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        after: Callable[[httpx.Request, httpx.Response], None] | None = None,
    ) -> None:
        self.inner = inner
        self.after = after
        self.exchanges: list[tuple[httpx.Request, httpx.Response | None]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = self.inner.handle_request(request)
        except httpx.HTTPError:
            self.exchanges.append((request, None))
            raise
        response.read()
        self.exchanges.append((request, response))
        if self.after is not None:
            self.after(request, response)
        return response

    def paths(self) -> list[str]:
        return [request.url.path for request, _ in self.exchanges]

    def bodies(self, path_suffix: str = "/batch") -> list[dict[str, Any]]:
        """The JSON bodies of the requests to a path (what the sync sent, attempt by attempt)."""
        return [json.loads(r.content) for r, _ in self.exchanges if r.url.path.endswith(path_suffix)]


@dataclass
class Outcome:
    """What one run of the sync did, however it was run."""

    exit_code: int
    stdout: str
    stderr: str
    summary: dict[str, Any] | None
    sleeps: list[float] = field(default_factory=list)
    dry_run_lines: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    @property
    def failures(self) -> str:
        return " ".join(self.summary["failures"]) if self.summary else self.stderr


class World:
    """Both fakes, one integration (write key, lists, revision) and its state directory."""

    def __init__(
        self,
        mode: str,
        state_dir: Path,
        *,
        revision: str = "2023-07-13",
        page_size_cap: int | None = 2,
        listrak: FakeListrak | None = None,
        segment: FakeSegment | None = None,
    ) -> None:
        self.mode = mode
        self.state_dir = state_dir
        self.revision = revision
        self.lr = listrak or FakeListrak(page_size_cap=page_size_cap)
        self.seg = segment or FakeSegment()
        self.write_key = f"wk_secret_{uuid.uuid4().hex}"
        self.lists: tuple[ListConfig, ...] = (ListConfig(LIST, FIELD),)
        self.tokens: list[str] = []
        # Hooks run after each response of a Python API run, and the exchanges of the last such run.
        self.listrak_after: Callable[[httpx.Request, httpx.Response], None] | None = None
        self.segment_after: Callable[[httpx.Request, httpx.Response], None] | None = None
        self.listrak_recorder = Recorder(self.lr.transport())
        self.segment_recorder = Recorder(self.seg.transport())
        self._record_tokens()

    # -- lifecycle ------------------------------------------------------------------------
    def __enter__(self) -> World:
        if self.mode != IN_PROCESS:
            self.lr.start()
            self.seg.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.lr.stop()
        self.seg.stop()

    def _record_tokens(self) -> None:
        # Every token the fake issues, revoked ones included, so tests can prove none is printed.
        store = self.lr.backend.tokens
        issue = store.issue

        def recording_issue(client_id: str, lifetime: int) -> Any:
            token = issue(client_id, lifetime)
            self.tokens.append(token.value)
            return token

        store.issue = recording_issue  # type: ignore[method-assign]

    # -- running the sync -----------------------------------------------------------------
    @property
    def prefix(self) -> str:
        return "Listrak_list_" if self.revision == "2023-07-13" else "listrak_list_"

    def trait(self, list_id: int = LIST) -> str:
        return f"{self.prefix}{list_id}"

    def urls(self) -> dict[str, str]:
        if self.mode == IN_PROCESS:
            return {"auth": LISTRAK_AUTH_URL, "api": LISTRAK_API_URL, "segment": SEGMENT_URL}
        return {"auth": self.lr.auth_url, "api": self.lr.api_url, "segment": self.seg.api_url}

    def config(self, **overrides: Any) -> SyncConfig:
        """The SyncConfig of a Python API run (in-process transports, or the loopback servers)."""
        urls = self.urls()
        settings: dict[str, Any] = {
            "listrak_client_id": self.lr.client_id,
            "listrak_client_secret": self.lr.client_secret,
            "segment_write_key": self.write_key,
            "lists": self.lists,
            "state_dir": self.state_dir,
            "listrak_auth_url": urls["auth"],
            "listrak_api_url": urls["api"],
            "segment_api_url": urls["segment"],
            "revision": self.revision,
            "request_timeout": 5.0,
            "retry_deadline": 5.0,
        }
        in_process = self.mode == IN_PROCESS
        self.listrak_recorder = Recorder(
            self.lr.transport() if in_process else httpx.HTTPTransport(), self.listrak_after
        )
        self.segment_recorder = Recorder(
            self.seg.transport() if in_process else httpx.HTTPTransport(), self.segment_after
        )
        settings["listrak_transport"] = self.listrak_recorder
        settings["segment_transport"] = self.segment_recorder
        settings.update(overrides)
        return SyncConfig(**settings)

    def env(self) -> dict[str, str]:
        """DESIGN.md's `cmd:` environment for this integration, on top of a clean process environment."""
        base = {k: v for k, v in os.environ.items() if not k.startswith(("LISTRAK_", "SEGMENT_", "SYNC_"))}
        lists = [
            {"listId": c.list_id, **({"profileFieldId": c.profile_field_id} if c.profile_field_id else {})}
            for c in self.lists
        ]
        return {
            **base,
            **self.lr.env(),
            "SEGMENT_API_URL": self.seg.api_url,
            "SEGMENT_WRITE_KEY": self.write_key,
            "LISTRAK_SEGMENT_LISTS": json.dumps(lists),
            "LISTRAK_SOURCE_REVISION": self.revision,
            "SYNC_STATE_DIR": str(self.state_dir),
        }

    def sync(self, *args: str, **overrides: Any) -> Outcome:
        """Run the sync once the world's way; every secret is checked absent from what it printed."""
        if self.mode == CLI:
            flags = [*args, *_flags(overrides)]
            outcome = run_cli(["sync", "--json", *flags], self.env())
        else:
            outcome = self._sync_api(**overrides)
        self.assert_no_secrets(outcome.stdout + outcome.stderr)
        return outcome

    def cli(self, *args: str, env: dict[str, str] | None = None, timeout: float = 60.0) -> Outcome:
        """Run `listrak-harness ARGS` (the world's environment by default); nothing secret may be printed."""
        outcome = run_cli(args, self.env() if env is None else env, timeout)
        self.assert_no_secrets(outcome.stdout + outcome.stderr)
        return outcome

    def _sync_api(self, **overrides: Any) -> Outcome:
        sleeps: list[float] = []
        err, out = io.StringIO(), io.StringIO()
        try:
            config = self.config(**overrides)
            report = sync(config, progress=Progress(err), dry_run_out=out, sleep=sleeps.append)
        except ConfigError as exc:
            return Outcome(2, out.getvalue(), f"{CLI_PREFIX}{exc}\n", None, sleeps)
        err.write(report.summary() + "\n")
        lines = out.getvalue().splitlines()
        return Outcome(0 if report.ok else 1, out.getvalue(), err.getvalue(), report.to_dict(), sleeps, lines)

    def secrets(self) -> list[str]:
        return [self.lr.client_secret, self.write_key, *self.tokens]

    def assert_no_secrets(self, text: str) -> None:
        leaked = [s[:12] + "..." for s in self.secrets() if s and s in text]
        assert not leaked, f"secrets printed by the sync: {leaked}\n{text[-2000:]}"

    # -- what Segment holds ---------------------------------------------------------------
    def views(self) -> dict[str, dict[str, Any]]:
        """Segment's per-anonymousId trait views for this write key."""
        return self.seg.backend.trait_views(self.write_key, "anonymousId")

    def messages(self, **filters: Any) -> list[dict[str, Any]]:
        return self.seg.messages(self.write_key, **filters)

    def duplicates(self) -> list[Any]:
        return self.seg.discards(self.write_key, reason="duplicate")

    def profile_problems(self) -> Iterator[str]:
        """Every way Segment's trait views disagree with DESIGN.md's state rules, given the fake Listrak."""
        views = self.views()
        for entry in self.lists:
            trait = self.trait(entry.list_id)
            subscribed = {c.address: c for c in self.lr.contacts(entry.list_id, subscribed=True)}
            for address in subscribed:
                view = views.get(address, {})
                if view.get(trait) is not True:
                    yield f"{address} is subscribed to list {entry.list_id} but has {trait}={view.get(trait, '(none)')}"
                if view.get("email") != address:
                    yield f"{address} is subscribed to list {entry.list_id} but has email={view.get('email')!r}"
            for address, view in views.items():
                if trait in view and address not in subscribed:
                    yield f"{address} is not subscribed to list {entry.list_id} but still has {trait}={view[trait]!r}"

    def user_id_problems(self) -> Iterator[str]:
        """DESIGN.md's `user-id-propagated`: the last identify for a subscribed (address, list) carries the
        list's field value as userId, or none when it has none. (An unsubscribed contact's value may
        change with no message needed; the tests check the userId of a null identify themselves.)"""
        last: dict[tuple[str, str], dict[str, Any]] = {}
        for message in self.messages(type="identify"):
            for trait in message.get("traits", {}):
                last[(message["anonymousId"], trait)] = message
        for entry in self.lists:
            trait = self.trait(entry.list_id)
            for found in self.lr.contacts(entry.list_id, subscribed=True):
                message = last.get((found.address, trait))
                if message is None:
                    continue  # profile_problems reports it
                wanted = found.value(entry.profile_field_id) if entry.profile_field_id else ""
                sent = message.get("userId", "(none)")
                if sent != (wanted or "(none)"):
                    yield f"{found.address}: last identify for {trait} has userId {sent!r}, want {wanted or '(none)'!r}"

    def spec_violations(self) -> list[Any]:
        return [r.violations for r in self.seg.records(self.write_key) if r.violations]

    def assert_profiles_correct(self) -> None:
        problems = [*self.profile_problems(), *self.user_id_problems()]
        assert not problems, "\n".join(problems[:20])
        assert not self.spec_violations()


def _flags(overrides: dict[str, Any]) -> list[str]:
    flags = []
    for name, value in overrides.items():
        flag = "--" + name.replace("_", "-")
        if value is True:
            flags.append(flag)
        elif value is not False and value is not None:
            flags.extend([flag, str(value)])
    return flags


def cli_command() -> list[str]:
    """The console script beside this interpreter, as `cmd:listrak-harness sync` would run it."""
    script = Path(sys.executable).with_name("listrak-harness")
    return [str(script)] if script.exists() else [sys.executable, "-m", "harness"]


def run_cli(args: Sequence[str], env: dict[str, str], timeout: float = 60.0) -> Outcome:
    """Run `listrak-harness ARGS` as a subprocess; the `--json` summary is stdout's last line."""
    done = subprocess.run([*cli_command(), *args], env=env, capture_output=True, text=True, timeout=timeout)
    lines = done.stdout.splitlines()
    summary = None
    if lines and lines[-1].startswith('{"ok"'):
        summary = json.loads(lines.pop())
    return Outcome(done.returncode, done.stdout, done.stderr, summary, dry_run_lines=lines)


def snapshot(directory: Path) -> dict[str, object]:
    """The state directory as data: each SQLite database's rows, and the bytes of every other file.

    A read-only SQLite connection to a WAL database may leave -wal/-shm files behind; the rows they
    hold are read through the database, so the files themselves are not part of the snapshot.
    """
    out: dict[str, object] = {}
    for path in sorted(directory.iterdir()):
        if path.name.endswith(("-wal", "-shm")):
            continue
        if path.suffix == ".sqlite3":
            with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
                out[path.name] = list(db.iterdump())
        else:
            out[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def essence(message: dict[str, Any]) -> dict[str, Any]:
    """What a message says, less the clock fields and the batch context Segment merges into it."""
    out = {k: message[k] for k in ESSENTIAL if k in message}
    traits = (message.get("context") or {}).get("traits")
    if traits is not None:
        out["context.traits"] = traits
    return out
