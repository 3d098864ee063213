"""pytest fixtures for the fakes and for certifying a sync, registered under `pytest11`.

`fake_segment` gives each test its own write key on one session-wide server, and `fake_listrak`
its own OAuth client (a Listrak account), so tests never see each other's data and need no global
reset. Override `fake_segment_options` / `fake_listrak_options` (session scope) to configure them.

`conformance(impl, **options)` runs a conformance campaign (`harness.testing.assert_conforms`)
against `cmd:...`, `python:...` or a callable, saves minimal failing histories under the test's
tmp_path, and fails the test with the readable findings.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from fake_listrak.fake import FakeListrak, ListrakAccount
    from fake_segment.server import FakeSegment, WriteKeyView
    from harness.conform import CampaignResult

__all__ = [
    "conformance",
    "fake_listrak",
    "fake_listrak_options",
    "fake_listrak_server",
    "fake_segment",
    "fake_segment_options",
    "fake_segment_server",
]


@pytest.fixture(scope="session")
def fake_segment_options() -> dict[str, Any]:
    """Keyword arguments for the session's FakeSegment; override in your conftest.py."""
    # Dedupe per write key: one test's messageIds can never drop another test's messages.
    return {"dedupe_scope": "write_key"}


@pytest.fixture(scope="session")
def fake_segment_server(fake_segment_options: dict[str, Any]) -> Iterator[FakeSegment]:
    """One fake Segment on 127.0.0.1 for the whole session."""
    from fake_segment.server import FakeSegment

    with FakeSegment(**fake_segment_options) as server:
        yield server


@pytest.fixture
def fake_segment(fake_segment_server: FakeSegment) -> Iterator[WriteKeyView]:
    """This test's own write key on the session's fake Segment (`.write_key`, `.api_url`, `.messages()`)."""
    view = fake_segment_server.for_write_key(f"wk_test_{uuid.uuid4().hex[:12]}")
    yield view
    view.reset()


@pytest.fixture(scope="session")
def fake_listrak_options() -> dict[str, Any]:
    """Keyword arguments for the session's FakeListrak; override in your conftest.py."""
    return {}


@pytest.fixture(scope="session")
def fake_listrak_server(fake_listrak_options: dict[str, Any]) -> Iterator[FakeListrak]:
    """One fake Listrak on 127.0.0.1 for the whole session."""
    from fake_listrak.fake import FakeListrak

    with FakeListrak(**fake_listrak_options) as server:
        yield server


@pytest.fixture
def fake_listrak(fake_listrak_server: FakeListrak) -> Iterator[ListrakAccount]:
    """This test's own Listrak account (OAuth client) on the session's fake Listrak."""
    account = fake_listrak_server.account()
    yield account
    fake_listrak_server.backend.reset(account.client_id)
    fake_listrak_server.backend.unregister_client(account.client_id)


@pytest.fixture
def conformance(tmp_path: Path) -> Callable[..., CampaignResult]:
    """`conformance(impl, examples=100, revision=None, faults=True, seed=None)`: certify a sync or fail the test.

    Failures are saved under this test's tmp_path (pass `save_failures=` to keep them elsewhere), and
    the test fails with the report `listrak-harness conform` prints, without a Python traceback.
    """
    from harness.testing import ConformanceError, assert_conforms

    def certify(impl: Any, **options: Any) -> CampaignResult:
        options.setdefault("save_failures", tmp_path / "failures")
        options.setdefault("database", tmp_path / "examples")
        try:
            return assert_conforms(impl, **options)
        except ConformanceError as exc:
            pytest.fail(str(exc), pytrace=False)

    return certify
