"""The `listrak-harness` command line: `serve` the fakes, `sync`, `validate` messages."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from harness import __version__

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="listrak-harness",
        description="Fakes of Segment and Listrak, and a conformance harness for the Listrak -> Segment sync.",
    )
    parser.add_argument("--version", action="version", version=f"listrak-harness {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the fakes on 127.0.0.1 with a production WSGI server")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--segment-port", type=int, default=8765, help="fake Segment port (0 = any free port)")
    serve.add_argument(
        "--write-key",
        action="append",
        dest="write_keys",
        metavar="KEY",
        help="a write key the fake Segment knows (repeat); others get 200 but are discarded. "
        "Without this flag every key is accepted.",
    )
    serve.add_argument("--allow-remote", action="store_true", help="allow binding a non-loopback address")
    serve.add_argument("--retention", type=int, default=100_000, help="messages kept in the log (default 100000)")
    serve.add_argument(
        "--dedupe-scope",
        choices=("global", "write_key"),
        default="global",
        help="messageId dedupe across all write keys, as Segment does (default), or per write key",
    )
    serve.add_argument("--threads", type=int, default=16, help="server worker threads")
    serve.add_argument("--quiet", action="store_true", help="do not log one line per request")

    from harness.commands.sync import add_sync_parser

    add_sync_parser(commands)

    validate = commands.add_parser("validate", help="check an NDJSON file of messages against the contracts")
    validate.add_argument("file", help="NDJSON file, one message per line ('-' for stdin)")
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
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
