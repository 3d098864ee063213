"""Reading the next page while the caller works on this one.

A scan of a Listrak list is a chain of requests, each needing the cursor of the one before, and
the sync used to spend each round trip idle while Listrak built the page. `prefetched` runs the
page iterator in a background thread, one page ahead: while the sync turns page N into state rows
and stores them, the request for page N+1 is already on the wire. Pages still arrive in order, one
page is the most held in memory beyond the caller's, and whatever the iterator raises (a Listrak
error, a retry giving up) is raised to the caller at the point where that page would have come.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from queue import Empty, Full, Queue
from typing import TypeVar

__all__ = ["prefetched"]

T = TypeVar("T")

_POLL_S = 0.05  # how often a blocked producer looks whether the caller has gone away


def prefetched(items: Iterator[T], *, name: str = "prefetch") -> Iterator[T]:
    """Yield what `items` yields, in order, fetching the next item in a thread while the caller holds this one.

    Leaving the loop early (break, an exception) stops the thread and closes `items` before returning.
    """
    ready: Queue[tuple[str, object]] = Queue(maxsize=1)
    gone = threading.Event()

    def hand_over(kind: str, value: object) -> bool:
        while not gone.is_set():
            try:
                ready.put((kind, value), timeout=_POLL_S)
                return True
            except Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not hand_over("item", item):
                    return
            hand_over("end", None)
        except BaseException as exc:  # the caller raises it where the item would have come
            hand_over("error", exc)
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=produce, name=name, daemon=True)
    worker.start()
    try:
        while True:
            kind, value = ready.get()
            if kind == "item":
                yield value  # type: ignore[misc]
            elif kind == "end":
                return
            else:
                assert isinstance(value, BaseException)
                raise value
    finally:
        gone.set()
        # Unblock a producer waiting to hand over, then wait for it to finish its current item.
        with contextlib.suppress(Empty):
            ready.get_nowait()
        worker.join()
