"""Benchmark of the reference sync: 100,000 contacts on two lists, both fakes in server mode (one
`listrak-harness serve` process), the sync as a real `listrak-harness sync` process.

Figures: the floor (page everything, post pre-built batches of as many messages), the backfill,
a sync with nothing changed, and a sync after 1 % of the contacts changed — wall time, messages,
peak RSS of the sync process.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.report import Figure, listrak_token
from harness.commands.sync import SYNC_GC_THRESHOLDS

ADDRESSES = 100_000
ROUNDS = 3
# Half the addresses on both lists: list 101 holds 1..75,000 (with a profile field), 102 25,001..100,000.
LISTS = [{"listId": 101, "profileFieldId": 5}, {"listId": 102}]


def _seed(path: Path) -> None:
    field_group = {
        "segmentationFieldGroupName": "Profile",
        "segmentationFields": [
            {"segmentationFieldId": 5, "segmentationFieldName": "CustomerId", "dataType": "Text", "maxLength": 50}
        ],
    }
    path.write_text(
        json.dumps(
            {
                "lists": [
                    {
                        "listId": 101,
                        "listName": "Newsletter",
                        "segmentationFieldGroups": [field_group],
                        "generate": {
                            "count": 75_000,
                            "start": 1,
                            "emailAddress": "contact{n}@example.com",
                            "segmentationFieldValues": [{"segmentationFieldId": 5, "value": "cust-{n}"}],
                        },
                    },
                    {
                        "listId": 102,
                        "listName": "Offers",
                        "generate": {"count": 75_000, "start": 25_001, "emailAddress": "contact{n}@example.com"},
                    },
                ]
            }
        )
    )


def _serve(seed: Path) -> tuple[subprocess.Popen[str], dict[str, str]]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "harness",
            "serve",
            "--segment-port",
            "0",
            "--listrak-port",
            "0",
            "--quiet",
            "--seed",
            str(seed),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    exports: dict[str, str] = {}
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"serve exited: {process.stderr.read() if process.stderr else ''}")
        if line.startswith("export "):
            name, _, value = shlex.split(line)[1].partition("=")
            exports[name] = value
        if "Ctrl-C" in line:
            return process, exports
    raise RuntimeError("serve did not come up within 120 s")


def _run(argv: list[str], env: dict[str, str]) -> str:
    """Run a process to completion; returns its stdout, raises when it fails."""
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout


def _sync(env: dict[str, str]) -> tuple[float, int, dict[str, Any]]:
    """One `listrak-harness sync` run: wall seconds, peak RSS bytes, and its JSON summary."""
    argv = [sys.executable, "-m", "bench.measured", sys.executable, "-m", "harness", "sync", "--quiet", "--json"]
    measured = json.loads(_run(argv, env).strip().splitlines()[-1])
    report = json.loads(measured["stdout"].strip().splitlines()[-1])
    if not report["ok"]:
        raise RuntimeError(f"the sync failed: {report['failures']}")
    return measured["seconds"], measured["peak_rss"], report


def _change_one_percent(exports: dict[str, str], round_no: int = 0) -> int:
    """Unsubscribe 500 contacts of list 101 and change the profile value of 500 others (a different
    1,000 for each round)."""
    token = listrak_token(exports)
    changed = 0
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        url = exports["LISTRAK_API_URL"] + "/List/101/Contact"
        for n in range(1, 1001):
            if n % 2:
                body: dict[str, Any] = {
                    "emailAddress": f"contact{n * 50 + 2 * round_no}@example.com",
                    "subscriptionState": "Unsubscribed",
                }
            else:
                body = {
                    "emailAddress": f"contact{n * 50 + 1 + 2 * round_no}@example.com",
                    "segmentationFieldValues": [{"segmentationFieldId": 5, "value": f"changed-{round_no}-{n}"}],
                }
            client.post(url, json=body).raise_for_status()
            changed += 1
    return changed


def _paging(env: dict[str, str], *, sync_gc: bool = False) -> float:
    """The time to page every contact, measured as the sync is: a whole process, start to end.

    `sync_gc`: with the collector thresholds `listrak-harness sync` sets for itself, to show how much of
    the sync's lead over a plain paging loop is that setting.
    """
    if sync_gc:
        thresholds = ", ".join(str(n) for n in SYNC_GC_THRESHOLDS)
        code = (
            f"import gc, runpy, sys; gc.set_threshold({thresholds}); sys.argv = ['sync_floor', '0']; "
            "runpy.run_module('bench.sync_floor', run_name='__main__')"
        )
        argv = [sys.executable, "-m", "bench.measured", sys.executable, "-c", code]
    else:
        argv = [sys.executable, "-m", "bench.measured", sys.executable, "-m", "bench.sync_floor", "0"]
    return float(json.loads(_run(argv, env).strip().splitlines()[-1])["seconds"])


def run() -> list[Figure]:
    with tempfile.TemporaryDirectory() as work:
        seed = Path(work) / "seed.json"
        _seed(seed)
        server, exports = _serve(seed)
        try:
            env = {
                **os.environ,
                **exports,
                "LISTRAK_SEGMENT_LISTS": json.dumps(LISTS),
                "SYNC_STATE_DIR": str(Path(work) / "state"),
                "SEGMENT_WRITE_KEY": "bench-sync",
            }
            expected = 150_000
            floor = json.loads(_run([sys.executable, "-m", "bench.sync_floor", str(expected)], env))
            backfill_s, backfill_rss, backfill = _sync(env)
            nochange_s, nochange_rss, nochange = _sync(env)
            # Three rounds of (1 % change, sync) and of paging, alternating; medians, as one run of
            # either is at the mercy of the other process on two cores.
            onepct_runs, paging_runs, tuned_runs, onepct_rss = [], [], [], 0
            for round_no in range(ROUNDS):
                changed = _change_one_percent(exports, round_no)
                seconds, rss, onepct = _sync(env)
                onepct_runs.append(seconds)
                onepct_rss = max(onepct_rss, rss)
                paging_runs.append(_paging(env))
                tuned_runs.append(_paging(env, sync_gc=True))
        finally:
            server.send_signal(signal.SIGTERM)
            server.communicate(timeout=30)
    peak = max(backfill_rss, nochange_rss, onepct_rss)
    onepct_s, paging_s = statistics.median(onepct_runs), statistics.median(paging_runs)
    tuned_s = statistics.median(tuned_runs)
    spread = ", ".join(f"{a:.2f}/{b:.2f}" for a, b in zip(onepct_runs, paging_runs, strict=True))
    return [
        Figure(f"floor: page {floor['contacts']:,} contacts + post {expected:,} messages", floor["seconds"], "s", ""),
        Figure("  of which paging every contact", floor["page_seconds"], "s", ""),
        Figure(f"backfill sync ({backfill['messages_sent']:,} messages)", backfill_s, "s", ""),
        Figure(
            "backfill / floor", backfill_s / floor["seconds"], "x", "target <= 2.0", backfill_s / floor["seconds"] <= 2
        ),
        Figure(
            f"no-change sync ({nochange_s:.2f} s)",
            nochange["messages_sent"],
            "messages",
            "target 0",
            nochange["messages_sent"] == 0,
        ),
        Figure(f"sync after {changed:,} changes ({onepct['messages_sent']:,} messages), median", onepct_s, "s", ""),
        Figure("a process that only pages every contact, median", paging_s, "s", ""),
        Figure(f"  rounds (1 % sync / paging, s): {spread}", ROUNDS, "rounds", ""),
        Figure(
            "1 % sync / that paging process (both whole processes)",
            onepct_s / paging_s,
            "x",
            "target <= 1.3",
            onepct_s / paging_s <= 1.3,
        ),
        Figure("  paging process with the sync's collector thresholds, median", tuned_s, "s", ""),
        Figure("  1 % sync / that process (for comparison)", onepct_s / tuned_s, "x", ""),
        Figure(
            "peak RSS of the sync process (max of the three runs)",
            peak / 2**20,
            "MB",
            "target <= 300",
            peak <= 300 * 2**20,
        ),
    ]


if __name__ == "__main__":
    for figure in run():
        print(figure.line())
