"""The `listrak-harness` command line: `serve` the fakes, `sync`, `validate` messages, list the `rules`."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

from harness import __version__
from harness.rules import REVISIONS

__all__ = ["main"]


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole CLI, or with `only` one command's parser: `sync` runs from cron and as every step of a cmd:
    campaign, and need not load the conformance commands' modules to parse its flags."""
    parser = argparse.ArgumentParser(
        prog="listrak-harness",
        description="Fakes of Segment and Listrak, and a conformance harness for the Listrak -> Segment sync.",
    )
    parser.add_argument("--version", action="version", version=f"listrak-harness {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS if only is None else (only,):
        _ADD_PARSER[name](commands)
    return parser


def _add_validate_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    validate = commands.add_parser("validate", help="check an NDJSON file of messages against the contracts")
    validate.add_argument("file", help="NDJSON file, one message per line ('-' for stdin)")
    validate.add_argument(
        "--revision",
        choices=REVISIONS,
        help="check against the Listrak Source contracts of this documentation revision (default: the Segment Spec)",
    )


def _lazy(module: str, function: str) -> Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]:
    def add(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
        getattr(importlib.import_module(module), function)(commands)

    return add


_ADD_PARSER: dict[str, Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = {
    "serve": _lazy("harness.commands.serve", "add_serve_parser"),
    "sync": _lazy("harness.commands.sync", "add_sync_parser"),
    "validate": _add_validate_parser,
    "rules": _lazy("harness.commands.rules", "add_rules_parser"),
    "conform": _lazy("harness.commands.conform", "add_conform_parser"),
    "replay": _lazy("harness.commands.replay", "add_replay_parser"),
    "check": _lazy("harness.commands.check", "add_check_parser"),
}
COMMANDS = tuple(_ADD_PARSER)  # in the order `--help` lists them


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(only=arguments[0] if arguments and arguments[0] in COMMANDS else None)
    args = parser.parse_args(arguments)
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
