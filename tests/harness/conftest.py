"""Campaign results the report tests share: each is a real campaign, run once per session."""

from __future__ import annotations

import pytest

from harness.conform import Campaign, CampaignResult
from harness.impls import parse_impl


@pytest.fixture(scope="session")
def failing_result(tmp_path_factory: pytest.TempPathFactory) -> CampaignResult:
    """A real campaign against a sync that never sends the null that removes a list trait."""
    campaign = Campaign(
        parse_impl("python:broken_syncs:omit_removal"),
        examples=60,
        seed=1,
        max_steps=30,
        faults=False,
        database=None,
        save_failures=tmp_path_factory.mktemp("failures"),
    )
    result = campaign.run()
    assert not result.ok, "the omit_removal sync is expected to fail the campaign"
    return result


@pytest.fixture(scope="session")
def passing_result(tmp_path_factory: pytest.TempPathFactory) -> CampaignResult:
    """A real campaign of the reference sync, which conforms."""
    campaign = Campaign(
        parse_impl("reference"),
        examples=5,
        seed=3,
        max_steps=30,
        faults=False,
        database=None,
        save_failures=tmp_path_factory.mktemp("none"),
    )
    result = campaign.run()
    assert result.ok
    return result
