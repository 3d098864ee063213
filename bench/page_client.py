"""A paging client run in its own process: follows nextPageCursor through one list's contacts.

Usage: python -m bench.page_client API_URL TOKEN LIST_ID COUNT LIMIT
Prints one JSON line: contacts, pages, seconds, bytes.
"""

from __future__ import annotations

import json
import sys
import time

import httpx


def main(argv: list[str]) -> int:
    api_url, token, list_id, count, limit = argv[0], argv[1], int(argv[2]), int(argv[3]), int(argv[4])
    contacts = pages = size = 0
    cursor: str | None = None
    started = time.perf_counter()
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=120) as client:
        while contacts < limit:
            params: dict[str, object] = {"subscriptionState": "Subscribed", "count": count}
            if cursor:
                params["cursor"] = cursor
            response = client.get(f"{api_url}/List/{list_id}/Contact", params=params)
            response.raise_for_status()
            size += len(response.content)
            body = response.json()
            contacts += len(body["data"])
            pages += 1
            cursor = body.get("nextPageCursor")
            if not cursor:
                break
    seconds = time.perf_counter() - started
    print(json.dumps({"contacts": contacts, "pages": pages, "seconds": seconds, "bytes": size}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
