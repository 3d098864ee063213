"""`make bench`: every benchmark, printing figures and ratios against baselines measured in the same run."""

from __future__ import annotations

import platform
import sys
import time

from bench import conform, listrak, segment, sync


def main() -> int:
    print(
        f"listrak-harness benchmarks — Python {platform.python_version()}, {platform.machine()}, "
        f"{time.strftime('%Y-%m-%d %H:%M')}"
    )
    missed = 0
    sections = (
        ("fake Segment", segment.run),
        ("fake Listrak", listrak.run),
        ("reference sync", sync.run),
        ("conformance engine", conform.run),
    )
    chosen = set(sys.argv[1:])
    for title, section in sections:
        if chosen and section.__module__.rpartition(".")[2] not in chosen:
            continue
        print(f"\n{title}")
        for figure in section():
            print(figure.line(), flush=True)
            missed += figure.met is False
    print(f"\n{missed} target(s) missed." if missed else "\nEvery target met.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
