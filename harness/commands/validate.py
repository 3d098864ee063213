"""`listrak-harness validate FILE.ndjson [--revision R]`: contract-check messages alone.

Without a revision, against the Segment Spec; with one, against that revision's Listrak Source contracts.
"""

from __future__ import annotations

import argparse
import sys

from contracts.ndjson import format_text, validate_file, validate_lines


def run_validate(args: argparse.Namespace) -> int:
    """Print one line per finding and a summary; exit 1 when any message fails, 2 when unreadable."""
    try:
        if args.file == "-":
            report = validate_lines(sys.stdin, args.revision)
        else:
            report = validate_file(args.file, args.revision)
    except OSError as exc:
        print(f"listrak-harness validate: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(format_text(report))
    return 0 if report.ok else 1
