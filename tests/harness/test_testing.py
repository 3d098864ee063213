"""`assert_conforms`: a campaign from a user's own test suite, passing quietly or failing readably."""

from __future__ import annotations

from pathlib import Path

import pytest
from broken_syncs import omit_removal

from harness.impls import PythonImpl, ReferenceImpl, SyncContext, SyncOutcome
from harness.testing import ConformanceError, as_implementation, assert_conforms


def test_the_reference_conforms_and_the_result_says_what_ran(tmp_path: Path) -> None:
    result = assert_conforms("reference", examples=15, seed=2, save_failures=tmp_path)
    assert result.ok and result.examples_run == 15 and result.implementation == "reference"
    assert not list(tmp_path.iterdir())


def test_a_plain_callable_is_certified_and_its_violation_is_the_readable_report(tmp_path: Path) -> None:
    with pytest.raises(ConformanceError) as caught:
        assert_conforms(omit_removal, examples=60, seed=1, max_steps=30, faults=False, save_failures=tmp_path)
    report = str(caught.value)
    [saved] = tmp_path.iterdir()
    assert "FAILED: unsubscribed-trait-removed violated" in report
    assert f"FAILURE: minimal history saved as {saved}" in report
    assert f"replay it: listrak-harness replay {saved} --impl python:broken_syncs:omit_removal" in report
    assert "The trait will be removed if the email address is not subscribed to the list." in " ".join(report.split())
    assert caught.value.result.failures[0].path == saved
    assert isinstance(caught.value, AssertionError)


def test_implementations_come_from_specs_objects_and_callables() -> None:
    reference = ReferenceImpl()
    assert as_implementation(reference) is reference
    assert as_implementation("reference").name == "reference"

    def our_sync(context: SyncContext) -> SyncOutcome:
        return SyncOutcome(True)

    wrapped = as_implementation(our_sync)
    assert isinstance(wrapped, PythonImpl) and wrapped.function is our_sync
    assert (
        wrapped.name
        == f"python:{__name__}:test_implementations_come_from_specs_objects_and_callables.<locals>.our_sync"
    )
    with pytest.raises(TypeError, match="expected an IMPL spec, an Implementation or a callable, saw int"):
        as_implementation(5)  # type: ignore[arg-type]
