"""A `cmd:` mutant of the reference sync that takes a 500 from Segment for a delivered batch.

The bug: the batch is POSTed once, and a 5xx answer is not retried nor reported; the sync records
the batch as delivered and exits 0. The messages are lost for good, since the next run believes
they arrived. Breaks `no-silent-loss`: a sync that reports success must leave every state rule
true.

Run like `listrak-harness sync`, with DESIGN.md's `cmd:` environment:
`cmd:python tests/mutants/cmd/swallow_segment_500.py`.
"""

from __future__ import annotations

import sys

from harness.cli import main
from harness.reference.retry import GaveUp, Retrying
from harness.reference.segment import Batch, SegmentClient

_send = SegmentClient.send


def _send_and_hope(self: SegmentClient, batch: Batch) -> None:
    self._retrying = Retrying(deadline=0.0)  # one attempt: a 5xx is never retried
    try:
        _send(self, batch)
    except GaveUp as exc:
        if not exc.last_failure.startswith("HTTP 5"):
            raise
        # The bug: Segment said 5xx, and the batch counts as delivered.


SegmentClient.send = _send_and_hope  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(main(["sync", *sys.argv[1:]]))
