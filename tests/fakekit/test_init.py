"""harness.fakekit: every exported name resolves, and importing one piece does not load the others."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import harness.fakekit as fakekit


@pytest.mark.parametrize("name", fakekit.__all__)
def test_every_exported_name_is_its_submodules_object(name: str) -> None:
    module = importlib.import_module(f"harness.fakekit.{fakekit._SUBMODULE[name]}")
    assert getattr(fakekit, name) is getattr(module, name)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = fakekit.Nope  # type: ignore[attr-defined]


def test_the_clock_alone_loads_neither_the_server_nor_the_fault_engine() -> None:
    probe = (
        "import sys, harness.fakekit.clock; "
        "print(sorted(m for m in ('waitress', 'harness.fakekit.faults', 'harness.fakekit.server') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
