"""Benchmark of the conformance engine: histories per minute against the reference, in-process and
through `cmd:listrak-harness sync`, and the share of wall time the harness itself takes.

The harness's share is the campaign's wall time less the time spent inside the implementation's
syncs (each sync's run less the time the fakes took to answer it: the fakes are the harness's own
work, even in-process). The baseline measured in the same run is Hypothesis drawing the same number
of histories and nothing else: the floor of any campaign.
"""

from __future__ import annotations

import shlex
import sys
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed

from bench.report import Figure
from harness.conform import Campaign, CampaignResult
from harness.impls import parse_impl
from harness.strategies import histories

IN_PROCESS_EXAMPLES = 600
CMD_EXAMPLES = 12
MAX_STEPS = 30
SEED = 11


def _generation_only(examples: int) -> float:
    """Seconds for Hypothesis to draw `examples` histories of up to MAX_STEPS steps, nothing replayed."""

    @hypothesis_seed(SEED)
    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(histories(max_steps=MAX_STEPS))
    def draw(history: object) -> None:
        pass

    began = time.perf_counter()
    draw()
    return time.perf_counter() - began


def _campaign(impl: str, examples: int, *, faults: bool) -> CampaignResult:
    with tempfile.TemporaryDirectory(prefix="bench-conform-") as scratch:
        campaign = Campaign(
            parse_impl(impl),
            examples=examples,
            seed=SEED,
            faults=faults,
            max_steps=MAX_STEPS,
            save_failures=Path(scratch) / "failures",
            database=None,
        )
        result = campaign.run()
    if not result.ok:
        raise RuntimeError(f"the reference failed its own conformance run against {impl}: {result.to_json()}")
    return result


def _per_minute(result: CampaignResult) -> float:
    return result.examples_run / result.seconds * 60


def run() -> list[Figure]:
    figures: list[Figure] = []
    drawing = _generation_only(IN_PROCESS_EXAMPLES)
    floor = IN_PROCESS_EXAMPLES / drawing * 60
    figures.append(Figure("baseline: Hypothesis drawing histories only", floor, "histories/min", ""))
    for faults in (False, True):
        result = _campaign("reference", IN_PROCESS_EXAMPLES, faults=faults)
        label = "with faults" if faults else "no faults"
        rate = _per_minute(result)
        figures.append(
            Figure(
                f"in-process, reference ({label}, {result.examples_run} histories)",
                rate,
                "histories/min",
                "target >= 600",
                rate >= 600,
            )
        )
        figures.append(Figure(f"  of the baseline's rate ({label})", rate / floor * 100, "%", ""))
        share = result.harness_share * 100
        figures.append(Figure(f"  harness share of wall time ({label})", share, "%", "target <= 50 %", share <= 50))
    command = f"{shlex.quote(sys.executable)} -m harness sync --quiet"
    result = _campaign(f"cmd:{command}", CMD_EXAMPLES, faults=False)
    figures.append(
        Figure(
            f"cmd:listrak-harness sync ({result.examples_run} histories, no faults)",
            _per_minute(result),
            "histories/min",
            "",
        )
    )
    share = result.harness_share * 100
    figures.append(Figure("  harness share of wall time (cmd:)", share, "%", "target <= 50 %", share <= 50))
    return figures
