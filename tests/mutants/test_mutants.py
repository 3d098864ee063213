"""The checker catches real bugs: a campaign against each mutant fails, under the rule its bug breaks.

Each row is a mutant of `broken_syncs` (the reference with one realistic bug), the revision it runs
under (None: the campaign draws one per history), and the rule it must break. A campaign of the
default budget (100 examples, faults on) with a fixed seed must fail; the rule must be among the
failing findings of the minimal history it saves; and that history, replayed against the reference,
must break no rule, so that the failure is the mutant's and not a history the reference gets wrong.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.checker import check
from harness.conform import Campaign, failing
from harness.history import History
from harness.impls import parse_impl
from harness.replay import replay

# (mutant, revision, the rule it breaks, seed). Seeds are fixed so that CI is repeatable: for each,
# one of 0..9 whose failure shrinks in few replays (shrinking is most of a campaign's time). Other
# seeds catch every mutant too, but other_list_user_id only when a history puts one address on two
# integrated lists with different values, which the generator does rarely (2 of seeds 0..9 miss it).
MUTANTS = [
    ("omit_removal", None, "unsubscribed-trait-removed", 1),
    ("false_removal", None, "list-trait-value", 1),
    ("string_true", None, "list-trait-value", 8),
    ("empty_user_id", None, "user-id", 8),
    ("other_list_user_id", None, "user-id", 0),
    ("lower_case", None, "anonymous-id-is-email", 8),
    ("no_email", None, "email-trait", 8),
    ("unintegrated_trait", None, "list-trait-scope", 3),
    ("other_spelling", None, "list-trait-name", 8),
    ("id_per_pair", None, "message-id-unique", 1),
    ("track_user_id", "2023-08-03", "user-id", 9),
]


@pytest.mark.parametrize(("mutant", "revision", "rule", "seed"), MUTANTS, ids=[row[0] for row in MUTANTS])
def test_campaign_catches_mutant_under_its_rule(
    mutant: str, revision: str | None, rule: str, seed: int, tmp_path: Path
) -> None:
    spec = f"python:broken_syncs:{mutant}"
    result = Campaign(
        parse_impl(spec), revision=revision, examples=100, seed=seed, database=None, save_failures=tmp_path
    ).run()
    assert not result.ok, f"{spec}: no rule violated in {result.examples_run} histories (seed {seed})"
    [failure] = result.failures
    found = [f"{f.rule}: {f.explanation}" for f in failing(failure.findings)]
    assert rule in {f.rule for f in failing(failure.findings)}, (
        f"{spec}: expected a {rule} finding in the minimal history {failure.path}, saw:\n" + "\n".join(found)
    )
    # Hazards are notes on the documented behaviour itself (a shared userId, a removed list), not faults.
    against_reference = failing(check(replay(History.load(failure.path), parse_impl("reference"))))
    assert against_reference == [], f"the reference fails {failure.path} too:\n" + "\n".join(
        f"{f.rule}: {f.explanation}" for f in against_reference
    )
