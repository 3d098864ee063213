"""Fixtures for the reference sync's tests: worlds of both fakes, run in-process, on loopback, or via the CLI."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from reference_support import IN_PROCESS, World


@pytest.fixture
def make_world(tmp_path: Path) -> Iterator[Callable[..., World]]:
    """Make worlds (`make_world(CLI, revision=...)`); their servers are stopped when the test ends."""
    with ExitStack() as stack:
        made = 0

        def make(mode: str = IN_PROCESS, **options: Any) -> World:
            nonlocal made
            made += 1
            return stack.enter_context(World(mode, tmp_path / f"state-{made}", **options))

        yield make


@pytest.fixture
def world(make_world: Callable[..., World]) -> World:
    """An in-process world: both fakes behind httpx transports, no sockets."""
    return make_world()
