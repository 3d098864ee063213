"""The slow tier (run by `make test`): the reference conforms over many generated histories, both
revisions, with and without faults, in-process and as a `cmd:` process killed by crash steps.

Locally the in-process runs draw new histories; in CI (`CI` set) a fixed seed makes a landing repeatable.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

import pytest

from harness.checker import HAZARDS
from harness.cmd_impl import CmdImpl
from harness.conform import Campaign, CampaignResult
from harness.impls import SyncContext, SyncOutcome, parse_impl
from harness.rules import REVISIONS

pytestmark = pytest.mark.slow

SEED = 20261127 if os.environ.get("CI") else None
# 2 revisions x (faults, no faults) x 250 = 1,000 histories in-process.
EXAMPLES = 250
# The cmd: run is short, so it is always seeded: one whose histories do crash the process.
CMD_SEED = 20261127


def _report(result: CampaignResult) -> str:
    from harness.commands.conform import format_result

    return format_result(result)


@pytest.mark.parametrize("faults", [False, True], ids=["clean", "faults"])
@pytest.mark.parametrize("revision", REVISIONS)
def test_the_reference_conforms_over_many_histories(revision: str, faults: bool, tmp_path: Path) -> None:
    campaign = Campaign(
        parse_impl("reference"),
        revision=revision,
        examples=EXAMPLES,
        faults=faults,
        seed=SEED,
        save_failures=tmp_path / "failures",
        database=None,
    )
    result = campaign.run()
    assert result.ok, _report(result)
    assert result.examples_run == EXAMPLES
    idle = set(HAZARDS) | (set() if faults else {"retry-after", "token-refresh"})
    unexercised = [rule for rule, c in result.coverage.items() if c.exercised == 0 and rule not in idle]
    assert unexercised == [], _report(result)


class _CountingCrashes:
    """The reference CLI as a cmd: implementation, counting the syncs a crash step killed."""

    needs_servers = True

    def __init__(self, command: str) -> None:
        self.inner = CmdImpl(command)
        self.name = self.inner.name
        self.crashed = 0

    def run(self, context: SyncContext) -> SyncOutcome:
        outcome = self.inner.run(context)
        self.crashed += outcome.crashed
        return outcome


def test_the_reference_cli_conforms_as_a_cmd_process_through_faults_and_crashes(tmp_path: Path) -> None:
    impl = _CountingCrashes(f"{shlex.quote(sys.executable)} -m harness sync --quiet")
    campaign = Campaign(
        impl, examples=8, faults=True, seed=CMD_SEED, max_steps=20, save_failures=tmp_path / "failures", database=None
    )
    result = campaign.run()
    assert result.ok, _report(result)
    # The histories did kill the process mid-sync, and every later successful sync repaired the profiles.
    assert impl.crashed > 0
    assert result.coverage["no-silent-loss"].exercised > impl.crashed
