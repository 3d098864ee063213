"""`listrak-harness validate FILE.ndjson`: contract-check messages alone."""

from __future__ import annotations

import argparse
import sys

from contracts.ndjson import format_text, validate_file, validate_lines


def run_validate(args: argparse.Namespace) -> int:
    """Print one line per finding and a summary; exit 1 when any message fails, 2 when unreadable."""
    try:
        report = validate_lines(sys.stdin) if args.file == "-" else validate_file(args.file)
    except OSError as exc:
        print(f"listrak-harness validate: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(format_text(report))
    return 0 if report.ok else 1
