"""The floor for a sync run, in its own process: page every contact of the integrated lists, then
post pre-built batches holding as many messages as the sync will send. Nothing a sync could skip,
and pages read with the sync's own JSON reader (orjson).

Reads the `cmd:` environment (LISTRAK_*, SEGMENT_*). Usage: python -m bench.sync_floor MESSAGES
(MESSAGES 0: page only). Prints one JSON line: contacts, page_seconds, post_seconds, seconds.
"""

from __future__ import annotations

import json
import os
import sys
import time

import httpx
import orjson

from bench.report import listrak_token


def main(argv: list[str]) -> int:
    messages = int(argv[0])
    env = os.environ
    lists = [entry["listId"] for entry in json.loads(env["LISTRAK_SEGMENT_LISTS"])]
    bodies = []
    for start in range(0, messages, 2500):
        batch = [
            {
                "type": "identify",
                "messageId": f"floor-{n}",
                "anonymousId": f"contact{n}@example.com",
                "traits": {"email": f"contact{n}@example.com", "Listrak_list_101": True},
                "timestamp": "2026-01-01T00:00:00.000Z",
            }
            for n in range(start, min(start + 2500, messages))
        ]
        bodies.append(json.dumps({"batch": batch, "sentAt": "2026-01-01T00:00:00.000Z"}, separators=(",", ":")))
    started = time.perf_counter()
    token = listrak_token(env)
    contacts = 0
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=120) as client:
        for list_id in lists:
            for state in ("Subscribed", "Unsubscribed"):
                cursor = None
                while True:
                    params: dict[str, object] = {"subscriptionState": state, "count": 5000}
                    if list_id == 101:
                        params["segmentationFieldIds"] = "5"
                    if cursor:
                        params["cursor"] = cursor
                    page = client.get(f"{env['LISTRAK_API_URL']}/List/{list_id}/Contact", params=params)
                    body = orjson.loads(page.content)  # as the sync reads a page
                    contacts += len(body["data"])
                    cursor = body.get("nextPageCursor")
                    if not cursor:
                        break
    paged = time.perf_counter()
    with httpx.Client(auth=("floor-key", ""), headers={"Content-Type": "application/json"}, timeout=120) as client:
        for body_text in bodies:
            client.post(env["SEGMENT_API_URL"] + "/batch", content=body_text).raise_for_status()
    done = time.perf_counter()
    print(
        json.dumps(
            {
                "contacts": contacts,
                "page_seconds": paged - started,
                "post_seconds": done - paged,
                "seconds": done - started,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
