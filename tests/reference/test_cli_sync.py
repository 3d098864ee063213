"""`listrak-harness sync` as a real subprocess against the fakes in server mode, configured by
DESIGN.md's `cmd:` environment: dry runs, the summary, exit statuses, bad configuration, and
secrets kept out of everything it prints."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable

import pytest
from reference_support import CLI, CLI_PREFIX, FIELD, IN_PROCESS, LIST, World, contact, essence, seed_list, snapshot

from harness.reference import ListConfig
from harness.reference.state import StateStore


def seeded(make_world: Callable[..., World], mode: str = CLI, **options: object) -> World:
    world = make_world(mode, **options)
    contacts = ["a@x.io", contact("B@X.io", "u-b"), "c@x.io", contact("gone@x.io", state="Unsubscribed")]
    world.lr.seed({"lists": [seed_list(LIST, contacts, name="News", fields=[FIELD])]})
    return world


def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def assert_one_sentence(outcome_stderr: str, *fragments: str) -> None:
    """Bad configuration: exactly one line, `listrak-harness sync: ...`, a sentence, no traceback."""
    lines = outcome_stderr.strip().splitlines()
    assert len(lines) == 1, outcome_stderr
    assert lines[0].startswith(CLI_PREFIX) and lines[0].endswith("."), lines[0]
    assert "Traceback" not in outcome_stderr
    for fragment in fragments:
        assert fragment in lines[0]


# -- dry run -----------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", [IN_PROCESS, CLI])
def test_dry_run_prints_exactly_the_messages_a_real_run_sends_and_changes_nothing(make_world, mode):
    world = seeded(make_world, mode)
    dry = world.sync(dry_run=True)
    assert dry.ok, dry.stderr
    printed = [json.loads(line) for line in dry.dry_run_lines]
    assert len(printed) == 3
    assert not world.state_dir.exists(), "a dry run created the state directory"
    assert world.messages() == []

    assert world.sync().ok
    # With no state yet, the ids are provisional: the first real run makes the state file's epoch.
    assert [essence(m) | {"messageId": None} for m in world.messages()] == [
        essence(m) | {"messageId": None} for m in printed
    ]

    world.lr.unsubscribe(LIST, "a@x.io")
    before = snapshot(world.state_dir)
    dry = world.sync(dry_run=True)
    assert dry.ok, dry.stderr
    [line] = [json.loads(line) for line in dry.dry_run_lines]
    assert line["traits"] == {"email": "a@x.io", world.trait(): None}
    assert snapshot(world.state_dir) == before
    assert len(world.messages()) == 3

    assert world.sync().ok
    assert essence(world.messages()[-1]) == essence(line)


def test_dry_run_summary_says_nothing_was_changed(make_world):
    world = seeded(make_world)
    outcome = world.sync(dry_run=True)
    assert outcome.summary is not None and outcome.summary["dry_run"] is True
    assert "Dry run" in outcome.stderr and "Nothing was changed." in outcome.stderr


# -- summary and exit status -------------------------------------------------------------------
def test_json_summary_on_stdout_counts_what_was_done(make_world):
    world = seeded(make_world)
    outcome = world.sync()
    assert outcome.exit_code == 0
    assert outcome.summary is not None
    assert outcome.summary["ok"] is True
    assert (outcome.summary["changes"], outcome.summary["messages_sent"], outcome.summary["undelivered"]) == (3, 3, 0)
    assert "Every change was delivered." in outcome.stderr


def test_progress_lines_on_stderr_and_quiet_silences_them(make_world):
    world = seeded(make_world)
    loud = world.sync()
    assert "[sync] list 101: 3 subscribed contacts read" in loud.stderr
    assert "[sync] batch 1: 3 messages delivered" in loud.stderr
    world.lr.unsubscribe(LIST, "a@x.io")
    quiet = world.sync("--quiet")
    assert quiet.ok and quiet.stderr == ""


def test_undelivered_changes_exit_1_and_the_summary_says_what_and_why(make_world):
    world = seeded(make_world)
    world.seg.add_fault(action="status", status=503, path="/v1/batch")
    outcome = world.sync("--quiet", retry_deadline=1)
    assert outcome.exit_code == 1
    assert outcome.summary is not None and outcome.summary["undelivered"] == 3
    assert "3 changes were NOT delivered" in outcome.stderr
    assert "HTTP 503" in outcome.stderr
    world.seg.backend.faults.clear()
    assert world.sync().ok
    world.assert_profiles_correct()


def test_retry_after_is_honoured_on_the_wire(make_world):
    world = seeded(make_world)
    world.seg.add_fault(action="status", status=429, headers={"Retry-After": "1"}, path="/v1/batch", times=1)
    outcome = world.sync()
    assert outcome.ok, outcome.stderr
    [refused] = world.seg.backend.faults.fired()
    waited = world.seg.records(world.write_key)[0].received - refused.at.timestamp()
    assert waited >= 1.0
    assert "Retry-After 1s" in outcome.stderr


def test_settings_from_flags_override_the_environment(make_world):
    world = seeded(make_world)
    env = world.env()
    env.update(LISTRAK_SEGMENT_LISTS='[{"listId": 999}]', SEGMENT_WRITE_KEY="", LISTRAK_CLIENT_SECRET="")
    secret_flags = ["--listrak-client-secret", world.lr.client_secret, "--segment-write-key", world.write_key]
    outcome = world.cli("sync", "--json", "--list", f"{LIST}:{FIELD}", *secret_flags, env=env)
    assert outcome.ok, outcome.stderr
    world.assert_profiles_correct()


def test_config_file_supplies_what_the_environment_does_not(make_world, tmp_path):
    world = seeded(make_world)
    config = tmp_path / "sync.toml"
    config.write_text(
        f'revision = "2023-08-03"\nstate_dir = "{tmp_path / "from-file"}"\n'
        f'[listrak]\nclient_id = "{world.lr.client_id}"\nclient_secret = "{world.lr.client_secret}"\n'
        f'auth_url = "{world.lr.auth_url}"\napi_url = "{world.lr.api_url}"\n'
        f'[segment]\nwrite_key = "{world.write_key}"\napi_url = "{world.seg.api_url}"\n'
        f"[[lists]]\nlist_id = {LIST}\nprofile_field_id = {FIELD}\n"
    )
    env = {k: v for k, v in world.env().items() if not k.startswith(("LISTRAK_", "SEGMENT_", "SYNC_"))}
    outcome = world.cli("sync", "--json", "--config", str(config), env=env)
    assert outcome.ok, outcome.stderr
    world.revision = "2023-08-03"
    world.assert_profiles_correct()
    assert (tmp_path / "from-file").is_dir()


# -- bad configuration -------------------------------------------------------------------------
BAD_ENVIRONMENTS = [
    ("unknown-list", {"LISTRAK_SEGMENT_LISTS": '[{"listId": 999}]'}, "List 999"),
    ("unknown-profile-field", {"LISTRAK_SEGMENT_LISTS": '[{"listId": 101, "profileFieldId": 77}]'}, "77"),
    ("missing-client-secret", {"LISTRAK_CLIENT_SECRET": ""}, "LISTRAK_CLIENT_SECRET"),
    ("missing-client-id", {"LISTRAK_CLIENT_ID": ""}, "LISTRAK_CLIENT_ID"),
    ("missing-write-key", {"SEGMENT_WRITE_KEY": ""}, "SEGMENT_WRITE_KEY"),
    ("missing-lists", {"LISTRAK_SEGMENT_LISTS": ""}, "No lists"),
    ("missing-state-dir", {"SYNC_STATE_DIR": ""}, "SYNC_STATE_DIR"),
    ("wrong-client-secret", {"LISTRAK_CLIENT_SECRET": "not-the-secret"}, "rejected the client id and secret"),
    ("lists-not-json", {"LISTRAK_SEGMENT_LISTS": "101,102"}, "LISTRAK_SEGMENT_LISTS is not JSON"),
    ("lists-not-a-list", {"LISTRAK_SEGMENT_LISTS": '{"listId": 101}'}, "LISTRAK_SEGMENT_LISTS must be a list"),
    ("lists-bad-id", {"LISTRAK_SEGMENT_LISTS": '[{"listId": "news"}]'}, "listId must be a positive integer"),
    ("lists-twice", {"LISTRAK_SEGMENT_LISTS": '[{"listId": 101}, {"listId": 101}]'}, "twice"),
    ("unknown-revision", {"LISTRAK_SOURCE_REVISION": "2024-01-01"}, "2024-01-01"),
    ("api-url-without-scheme", {"LISTRAK_API_URL": "localhost:1/email/v1"}, "LISTRAK_API_URL"),
    ("segment-url-not-http", {"SEGMENT_API_URL": "ftp://segment.example/v1"}, "SEGMENT_API_URL"),
]


@pytest.mark.parametrize(("extra", "fragment"), [c[1:] for c in BAD_ENVIRONMENTS], ids=[c[0] for c in BAD_ENVIRONMENTS])
def test_bad_configuration_ends_with_one_sentence_and_exit_2(make_world, extra, fragment):
    world = seeded(make_world)
    outcome = world.cli("sync", env={**world.env(), **extra})
    assert outcome.exit_code == 2, outcome.stderr
    assert_one_sentence(outcome.stderr, fragment)
    assert world.messages() == []


BAD_TOML = [
    ("syntax", 'revision = "2023-07-13', "not valid TOML"),
    ("number-as-text", 'page_size = "many"', "page_size"),
    ("seconds-as-text", 'request_timeout = "soon"', "request_timeout"),
    ("section-not-a-table", 'listrak = "creds"', "[listrak]"),
    ("lists-bad-id", "[[lists]]\nlist_id = 0", "listId must be a positive integer"),
]


@pytest.mark.parametrize(("text", "fragment"), [c[1:] for c in BAD_TOML], ids=[c[0] for c in BAD_TOML])
def test_bad_toml_ends_with_one_sentence_and_exit_2(make_world, tmp_path, text, fragment):
    world = seeded(make_world)
    config = tmp_path / "sync.toml"
    config.write_text(text + "\n")
    outcome = world.cli("sync", "--config", str(config))
    assert outcome.exit_code == 2, outcome.stderr
    assert_one_sentence(outcome.stderr, fragment, str(config))


def test_missing_config_file_ends_with_one_sentence_and_exit_2(make_world, tmp_path):
    world = seeded(make_world)
    outcome = world.cli("sync", "--config", str(tmp_path / "absent.toml"))
    assert outcome.exit_code == 2
    assert_one_sentence(outcome.stderr, "absent.toml")


@pytest.mark.parametrize("unreachable", ["listrak", "listrak-api", "segment"])
def test_unreachable_endpoint_fails_within_15_seconds_with_one_sentence(make_world, unreachable):
    world = seeded(make_world)
    dead = f"http://127.0.0.1:{closed_port()}"
    extra = {
        "listrak": {"LISTRAK_AUTH_URL": dead + "/OAuth2/Token", "LISTRAK_API_URL": dead + "/email/v1"},
        "listrak-api": {"LISTRAK_API_URL": dead + "/email/v1"},
        "segment": {"SEGMENT_API_URL": dead + "/v1"},
    }[unreachable]
    started = time.monotonic()
    outcome = world.cli("sync", "--quiet", env={**world.env(), **extra}, timeout=30)
    assert time.monotonic() - started < 15
    assert outcome.exit_code == 2, outcome.stderr
    assert_one_sentence(outcome.stderr, "Cannot reach", dead)


def test_a_second_sync_on_the_same_state_directory_is_refused_while_one_runs(make_world):
    world = seeded(make_world)
    with StateStore(world.config()):
        outcome = world.cli("sync")
    assert outcome.exit_code == 2
    assert_one_sentence(outcome.stderr, "Another sync is running")


def test_list_removed_from_listrak_says_which(make_world):
    world = seeded(make_world)
    world.lists = (ListConfig(LIST, FIELD), ListConfig(555))
    outcome = world.sync()
    assert outcome.exit_code == 2
    assert_one_sentence(outcome.stderr, "List 555 is not in this Listrak account")
