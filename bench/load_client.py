"""A load client run in its own process: POSTs pre-built bodies with keep-alive from N threads.

Usage: python -m bench.load_client URL WORKERS REQUESTS_PER_WORKER MESSAGES_PER_REQUEST
Prints one JSON line: requests, seconds, statuses.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import uuid

import httpx


def identify_batch(tag: str, start: int, count: int) -> bytes:
    """A batch of identify calls shaped like the Listrak sync's, each with its own messageId."""
    batch = []
    for i in range(start, start + count):
        email = f"contact{i}@example.com"
        batch.append(
            {
                "type": "identify",
                "messageId": f"{tag}-{i}",
                "anonymousId": email,
                "traits": {"email": email, "Listrak_list_101": True},
                "context": {"library": {"name": "bench", "version": "1"}},
                "timestamp": "2026-01-01T00:00:00.000Z",
            }
        )
    return json.dumps({"batch": batch, "sentAt": "2026-01-01T00:00:01.000Z"}).encode()


def main(argv: list[str]) -> int:
    url, workers, per_worker, per_request = argv[0], int(argv[1]), int(argv[2]), int(argv[3])
    tag = uuid.uuid4().hex[:8]
    bodies = [
        [identify_batch(f"{tag}-{w}", r * per_request, per_request) for r in range(per_worker)] for w in range(workers)
    ]
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def work(mine: list[bytes]) -> None:
        seen: dict[int, int] = {}
        with httpx.Client(auth=("bench-key", ""), headers={"Content-Type": "application/json"}) as client:
            for body in mine:
                status = client.post(url, content=body).status_code
                seen[status] = seen.get(status, 0) + 1
        with lock:
            for status, n in seen.items():
                statuses[status] = statuses.get(status, 0) + n

    threads = [threading.Thread(target=work, args=(b,)) for b in bodies]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    print(json.dumps({"requests": workers * per_worker, "seconds": seconds, "statuses": statuses}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
