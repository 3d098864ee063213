"""Where the harness keeps its files between runs, relative to the directory it runs in."""

from __future__ import annotations

from pathlib import Path

__all__ = ["DEFAULT_DATABASE", "DEFAULT_FAILURES"]

# Minimal failing histories, one JSON file each, for `listrak-harness replay`.
DEFAULT_FAILURES = Path(".listrak-harness/failures")
# Hypothesis's example database: known failures are tried first on the next run.
DEFAULT_DATABASE = Path(".listrak-harness/examples")
