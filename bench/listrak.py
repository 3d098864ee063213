"""Benchmarks of the fake Listrak: seeding a million contacts, paging them in server mode against
a baseline that returns a pre-serialised page of the same size, and memory per contact.

Run through `python -m bench` (all) or `python -m bench.listrak` (this part; it runs in its own
process so the memory figure is this part's alone).
"""

from __future__ import annotations

import gc
import json
import statistics
import sys
import time
from collections.abc import Iterable
from typing import Any

import httpx

from bench.report import Figure, rss_bytes, run_module
from fake_listrak.fake import FakeListrak
from harness.fakekit.collector import serving_collector
from harness.fakekit.server import ServerThread

CONTACTS = 1_000_000
PAGE = 5000
LIST_ID = 101
ROUNDS = 3


def _seed_document() -> dict[str, Any]:
    return {
        "lists": [
            {
                "listId": LIST_ID,
                "listName": "Bench",
                "generate": {
                    "count": CONTACTS,
                    "emailAddress": "contact{n}@example.com",
                    "subscriptionState": "Subscribed",
                    "subscribeDate": "2024-01-01T00:00:00",
                },
            }
        ]
    }


class PreSerialisedPage:
    """Baseline WSGI app: answers every contact-page request with the same pre-built bytes."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(self.body)))])
        return [self.body]


def run_in_process() -> dict[str, Any]:
    """Seed, page and measure; runs inside the `bench.listrak` process, under `serve`'s collector policy."""
    with serving_collector():
        return _measure()


def _measure() -> dict[str, Any]:
    gc.collect()
    before = rss_bytes()
    fake = FakeListrak()
    started = time.perf_counter()
    fake.seed(_seed_document())
    seed_seconds = time.perf_counter() - started
    gc.collect()
    per_contact = (rss_bytes() - before) / CONTACTS
    token = fake.token()
    fake_rates, base_rates, page_bytes = [], [], 0
    with fake:
        first = httpx.get(
            f"{fake.api_url}/List/{LIST_ID}/Contact",
            params={"count": PAGE},
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        first.raise_for_status()
        # The baseline page: the same bytes, with a cursor so the client keeps paging.
        template = first.content
        page_bytes = len(template)
        with ServerThread(PreSerialisedPage(template), health_path="/List/0/Contact") as baseline:
            for _ in range(ROUNDS):
                result = run_module("bench.page_client", fake.api_url, token, str(LIST_ID), str(PAGE), str(CONTACTS))
                if result["contacts"] != CONTACTS:
                    raise RuntimeError(f"paging returned {result['contacts']} of {CONTACTS} contacts")
                fake_rates.append(result["contacts"] / result["seconds"])
                result = run_module("bench.page_client", baseline.url, token, str(LIST_ID), str(PAGE), str(CONTACTS))
                base_rates.append(result["contacts"] / result["seconds"])
    return {
        "seed_seconds": seed_seconds,
        "bytes_per_contact": per_contact,
        "fake_rate": statistics.median(fake_rates),
        "base_rate": statistics.median(base_rates),
        "page_bytes": page_bytes,
    }


def run() -> list[Figure]:
    result = run_module("bench.listrak", "measure", timeout=1800)
    ratio = result["fake_rate"] / result["base_rate"]
    return [
        Figure(
            f"seed {CONTACTS:,} contacts on one list",
            result["seed_seconds"],
            "s",
            "target <= 20 s",
            result["seed_seconds"] <= 20,
        ),
        Figure(
            f"resident memory per contact at {CONTACTS:,}",
            result["bytes_per_contact"],
            "bytes",
            "target <= 1,024",
            result["bytes_per_contact"] <= 1024,
        ),
        Figure(
            f"paging, baseline (pre-serialised {result['page_bytes']:,}-byte page)",
            result["base_rate"],
            "contacts/s",
            "",
        ),
        Figure("paging, fake Listrak (count=5000)", result["fake_rate"], "contacts/s", ""),
        Figure("paging, fake / baseline", ratio * 100, "%", "target >= 50 %", ratio >= 0.5),
    ]


if __name__ == "__main__":
    if sys.argv[1:] == ["measure"]:
        print(json.dumps(run_in_process()))
    else:
        for figure in run():
            print(figure.line())
