"""The subprocess path: four broken syncs run as `cmd:` programs (each the reference CLI with one
behaviour patched, see tests/mutants/cmd/), each caught by `conform` with the rule it breaks within
the default budget of 100 examples, faults on, fakes served on loopback.

Shrinking is off: every sync is a process, and the point here is the verdict, which `replay` and the
in-process mutants already show shrinks well. Each seed is one that catches its mutant early, so the
module stays near a minute; each mutant was also seen caught with other seeds (the lead's closing
note gives the figures).
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

from harness.checker import check, failing
from harness.commands.conform import format_result
from harness.conform import Campaign
from harness.history import History
from harness.impls import parse_impl
from harness.replay import replay

pytestmark = pytest.mark.slow

PROGRAMS = Path(__file__).parent / "cmd"

# (program, the rule it breaks, a seed that finds it early)
CASES = [
    pytest.param("first_page_only", "subscribed-has-trait", 1, id="only-the-first-page-read"),
    pytest.param("no_token_refresh", "token-refresh", 1, id="no-token-refresh-on-401"),
    pytest.param("swallow_segment_500", "no-silent-loss", 1, id="segment-500-swallowed-exit-0"),
    pytest.param("content_message_id", "subscribed-has-trait", 2, id="message-id-from-content-alone"),
]


@pytest.mark.parametrize(("program", "rule", "seed"), CASES)
def test_a_cmd_mutant_fails_conform_with_the_rule_it_breaks(program: str, rule: str, seed: int, tmp_path: Path) -> None:
    impl = parse_impl(f"cmd:{shlex.quote(sys.executable)} {shlex.quote(str(PROGRAMS / f'{program}.py'))}")
    result = Campaign(impl, seed=seed, shrink=False, save_failures=tmp_path, database=None).run()
    assert not result.ok, format_result(result)
    assert result.examples_run <= 100
    [failure] = result.failures
    assert rule in {f.rule for f in failing(failure.findings)}, format_result(result)
    # The saved history is one the reference conforms to: the finding is the mutant's, not the history's.
    reference = replay(History.load(failure.path), parse_impl(f"cmd:{shlex.quote(sys.executable)} -m harness sync"))
    assert failing(check(reference)) == []
