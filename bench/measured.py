"""Run a command and report its wall time and peak resident memory (from wait4), as one JSON line.

Usage: python -m bench.measured COMMAND [ARGS...]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time


def main(argv: list[str]) -> int:
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    stdout = process.stdout.read()
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_rss": usage.ru_maxrss * 1024,
                "exit": code,
                "stdout": stdout.decode(errors="replace"),
                "stderr": stderr.decode(errors="replace")[-4000:],
            }
        )
    )
    return 0 if code == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
