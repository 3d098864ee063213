"""Certify a sync from your own test suite: `assert_conforms(...)` runs a conformance campaign and fails
with the readable findings.

    from harness.testing import assert_conforms

    def test_our_sync_conforms(tmp_path):
        assert_conforms("cmd:python -m our_sync", examples=50, save_failures=tmp_path)

    def test_our_python_sync_conforms():
        assert_conforms(our_sync_function)  # called with a SyncContext at every sync step

The implementation is an IMPL spec (`reference`, `python:module:function`, `cmd:COMMAND`), an
`Implementation`, or a plain callable taking the `SyncContext`. A violation raises
`ConformanceError` (an AssertionError, so every test runner shows it as a failure) whose message is
the report `listrak-harness conform` prints: the coverage table, the minimal failing history, each
finding with the documentation sentence it rests on, and the command that replays it. The pytest
plugin's `conformance` fixture does the same with the failures saved under the test's tmp_path.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .conform import DEFAULT_DATABASE, DEFAULT_FAILURES, Campaign, CampaignResult
from .impls import Implementation, PythonImpl, SyncContext, parse_impl

__all__ = ["ConformanceError", "as_implementation", "assert_conforms"]


class ConformanceError(AssertionError):
    """A campaign found a violation; the message is the whole readable report, `result` the details."""

    def __init__(self, report: str, result: CampaignResult) -> None:
        super().__init__(report)
        self.result = result


def as_implementation(impl: str | Implementation | Callable[[SyncContext], Any]) -> Implementation:
    """The implementation an IMPL spec, an Implementation or a plain callable stands for."""
    if isinstance(impl, str):
        return parse_impl(impl)
    if not isinstance(impl, str) and hasattr(impl, "run") and hasattr(impl, "name"):
        return impl
    if callable(impl):
        return PythonImpl.from_function(impl)
    raise TypeError(f"expected an IMPL spec, an Implementation or a callable, saw {type(impl).__name__}")


def assert_conforms(
    impl: str | Implementation | Callable[[SyncContext], Any],
    *,
    examples: int = 100,
    revision: str | None = None,
    faults: bool = True,
    seed: int | None = None,
    max_steps: int = 30,
    save_failures: str | Path = DEFAULT_FAILURES,
    database: str | Path | None = DEFAULT_DATABASE,
) -> CampaignResult:
    """Run a campaign against `impl`; return its result when no rule is violated, else raise ConformanceError."""
    from .commands.conform import format_result

    campaign = Campaign(
        as_implementation(impl),
        revision=revision,
        examples=examples,
        seed=seed,
        faults=faults,
        max_steps=max_steps,
        save_failures=Path(save_failures),
        database=None if database is None or seed is not None else Path(database),
    )
    result = campaign.run()
    if not result.ok:
        raise ConformanceError(format_result(result), result)
    return result
