"""The `listrak-harness` command line: `serve` the fakes, `sync`, `validate` messages, list the `rules`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from harness import __version__
from harness.commands.check import add_check_parser
from harness.commands.conform import add_conform_parser
from harness.commands.replay import add_replay_parser
from harness.commands.rules import add_rules_parser
from harness.commands.serve import add_serve_parser
from harness.commands.sync import add_sync_parser
from harness.rules import REVISIONS

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="listrak-harness",
        description="Fakes of Segment and Listrak, and a conformance harness for the Listrak -> Segment sync.",
    )
    parser.add_argument("--version", action="version", version=f"listrak-harness {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    add_serve_parser(commands)
    add_sync_parser(commands)

    validate = commands.add_parser("validate", help="check an NDJSON file of messages against the contracts")
    validate.add_argument("file", help="NDJSON file, one message per line ('-' for stdin)")
    validate.add_argument(
        "--revision",
        choices=REVISIONS,
        help="check against the Listrak Source contracts of this documentation revision (default: the Segment Spec)",
    )
    add_rules_parser(commands)
    add_conform_parser(commands)
    add_replay_parser(commands)
    add_check_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if args.command == "serve":
        from harness.commands.serve import run_serve

        return run_serve(args)
    if args.command == "sync":
        from harness.commands.sync import run_sync

        return run_sync(args)
    if args.command == "validate":
        from harness.commands.validate import run_validate

        return run_validate(args)
    if args.command == "rules":
        from harness.commands.rules import run_rules

        return run_rules(args)
    if args.command == "conform":
        from harness.commands.conform import run_conform

        return run_conform(args)
    if args.command == "replay":
        from harness.commands.replay import run_replay

        return run_replay(args)
    if args.command == "check":
        from harness.commands.check import run_check

        return run_check(args)
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
