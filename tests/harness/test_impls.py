"""Implementation specs and what counts as a sync reporting failure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cmd_support import DESIGN_CMD_VARIABLES

from harness.cmd_impl import CmdImpl
from harness.impls import ImplError, PythonImpl, ReferenceImpl, SyncContext, SyncOutcome, parse_impl


def _context(lists: tuple[dict[str, int], ...] = ({"listId": 7, "profileFieldId": 5}, {"listId": 8})) -> SyncContext:
    return SyncContext(
        listrak_auth_url="http://listrak.fake/OAuth2/Token",
        listrak_api_url="http://listrak.fake/email/v1",
        listrak_client_id="client",
        listrak_client_secret="secret",
        segment_api_url="http://segment.fake/v1",
        segment_write_key="wk",
        lists=lists,
        revision="2023-08-03",
        state_dir=Path("/tmp/state"),
    )


def test_parse_reference_gives_the_reference_sync() -> None:
    impl = parse_impl("reference")
    assert isinstance(impl, ReferenceImpl)
    assert impl.name == "reference"


def test_parse_python_imports_the_function() -> None:
    impl = parse_impl("python:broken_syncs:succeeds")
    assert isinstance(impl, PythonImpl)
    assert impl.name == "python:broken_syncs:succeeds"


def test_parse_cmd_gives_a_shell_command_implementation() -> None:
    impl = parse_impl("cmd:./my-sync --quiet")
    assert isinstance(impl, CmdImpl)
    assert impl.command == "./my-sync --quiet"
    assert impl.name == "cmd:./my-sync --quiet"


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("python:no_such_module_here:f", "cannot import module 'no_such_module_here'"),
        ("python:broken_syncs:missing", "has no attribute 'missing'"),
        ("python:broken_syncs", "expected python:package.module:function"),
        ("python:broken_syncs:NOT_CALLABLE", "expected a callable, saw int"),
        ("cmd:", "expected cmd:COMMAND with a shell command after 'cmd:'"),
        ("cmd:   ", "expected cmd:COMMAND with a shell command after 'cmd:'"),
        ("java:Sync", "expected reference, python:package.module:function or cmd:COMMAND"),
        ("", "expected reference"),
    ],
)
def test_parse_refuses_specs_it_cannot_run_and_says_why(spec: str, words: str) -> None:
    with pytest.raises(ImplError, match=None) as caught:
        parse_impl(spec)
    assert words in str(caught.value)


@pytest.mark.parametrize(
    ("function", "ok", "error"),
    [
        ("succeeds", True, None),
        ("fails", False, "broken_syncs:fails returned False"),
        ("raises", False, "broken_syncs:raises raised RuntimeError: Listrak said no"),
    ],
)
def test_python_impl_reports_failure_on_false_or_exception(function: str, ok: bool, error: str | None) -> None:
    outcome = PythonImpl(f"broken_syncs:{function}").run(_context())
    assert outcome.ok is ok
    assert outcome.error == error
    assert outcome.seconds >= 0


def test_python_impl_reports_failure_for_a_result_whose_ok_is_false(monkeypatch: pytest.MonkeyPatch) -> None:
    class Report:
        ok = False

    impl = PythonImpl("broken_syncs:succeeds")
    monkeypatch.setattr(impl, "function", lambda context: Report())
    outcome = impl.run(_context())
    assert not outcome.ok
    assert outcome.error is not None and "ok is False" in outcome.error


def test_context_env_has_exactly_the_cmd_variables_of_design_md() -> None:
    env = _context().env()
    assert set(env) == DESIGN_CMD_VARIABLES
    assert json.loads(env["LISTRAK_SEGMENT_LISTS"]) == [{"listId": 7, "profileFieldId": 5}, {"listId": 8}]
    assert env["SYNC_STATE_DIR"] == "/tmp/state"


def test_reference_config_carries_the_lists_and_short_deadlines() -> None:
    config = ReferenceImpl(request_timeout=2.0, retry_deadline=3.0).config(_context())
    assert [(c.list_id, c.profile_field_id) for c in config.lists] == [(7, 5), (8, None)]
    assert (config.request_timeout, config.retry_deadline) == (2.0, 3.0)
    assert config.revision == "2023-08-03"


def test_reference_with_no_integrated_list_succeeds_without_running() -> None:
    outcome = ReferenceImpl().run(_context(lists=()))
    assert outcome.ok and outcome.error is None


def test_new_context_and_outcome_fields_default_so_existing_callers_keep_working() -> None:
    context = _context()
    assert (context.crash_after, context.tripwire) == (None, None)
    outcome = SyncOutcome(True)
    assert (outcome.stdout, outcome.stderr, outcome.crashed) == ("", "", False)
