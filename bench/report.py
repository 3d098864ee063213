"""Printing benchmark figures: one line per figure, with its target and whether it was met."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Figure:
    """One measured figure and the target it is judged against."""

    name: str
    value: float
    unit: str
    target: str
    met: bool | None = None

    def line(self) -> str:
        verdict = "" if self.met is None else ("  [met]" if self.met else "  [MISSED]")
        return f"  {self.name:<58} {self.value:>14,.2f} {self.unit:<12} {self.target}{verdict}"


def run_module(module: str, *args: str, timeout: float = 900, cpus: set[int] | None = None) -> dict[str, Any]:
    """Run `python -m module args` in a fresh process and parse the JSON line it prints last.

    `cpus`: the CPUs the process may run on (all of this process's when None).
    """
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus is not None else None,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{module} {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def rss_bytes() -> int:
    """Resident memory of this process, from /proc."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def listrak_token(env: Mapping[str, str]) -> str:
    """An access token from the token endpoint named by the `cmd:` variables in `env`."""
    import httpx

    response = httpx.post(
        env["LISTRAK_AUTH_URL"],
        data={
            "grant_type": "client_credentials",
            "client_id": env["LISTRAK_CLIENT_ID"],
            "client_secret": env["LISTRAK_CLIENT_SECRET"],
        },
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token
