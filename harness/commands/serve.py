"""`listrak-harness serve`: both fakes on loopback behind waitress, until Ctrl-C or SIGTERM.

It prints, as `export` lines, every variable a `cmd:` sync implementation reads (DESIGN.md), so
`eval "$(listrak-harness serve ... | grep ^export)"`-style scripting works.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["add_serve_parser", "run_serve"]

DEFAULT_WRITE_KEY = "local-write-key"


def add_serve_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser("serve", help="run both fakes on 127.0.0.1 with a production WSGI server")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--segment-port", type=int, default=8765, help="fake Segment port (0 = any free port)")
    serve.add_argument("--listrak-port", type=int, default=8766, help="fake Listrak port (0 = any free port)")
    serve.add_argument(
        "--write-key",
        action="append",
        dest="write_keys",
        metavar="KEY",
        help="a write key the fake Segment knows (repeat); others get 200 but are discarded. "
        "Without this flag every key is accepted.",
    )
    serve.add_argument("--client-id", help="the fake Listrak's OAuth client id (default: generated)")
    serve.add_argument("--client-secret", help="its client secret (default: generated)")
    serve.add_argument("--seed", metavar="FILE", help="a fake Listrak seed document (JSON) to load at start")
    serve.add_argument("--allow-remote", action="store_true", help="allow binding a non-loopback address")
    serve.add_argument("--retention", type=int, default=100_000, help="messages kept in the log (default 100000)")
    serve.add_argument(
        "--dedupe-scope",
        choices=("global", "write_key"),
        default="global",
        help="messageId dedupe across all write keys, as Segment does (default), or per write key",
    )
    serve.add_argument("--page-size-cap", type=int, help="cap the fake Listrak's page size (exercise paging)")
    serve.add_argument("--threads", type=int, default=8, help="worker threads per server")
    serve.add_argument("--quiet", action="store_true", help="do not log one line per request")


def run_serve(args: argparse.Namespace) -> int:
    """Start the fakes, print where they are and what a `cmd:` sync needs, serve until stopped."""
    # Imported here: the servers are heavy, and `sync` or `rules` should not pay for them.
    from fake_listrak.exceptions import ListrakError
    from fake_listrak.fake import FakeListrak
    from fake_segment.server import FakeSegment
    from harness.fakekit.clock import OffsetClock
    from harness.fakekit.server import NotLoopbackError, ServerThread, check_loopback, serve_forever

    try:
        check_loopback(args.host, args.allow_remote)
    except NotLoopbackError as exc:
        print(f"listrak-harness serve: {exc}", file=sys.stderr)
        return 2
    segment = FakeSegment(write_keys=args.write_keys, retention=args.retention, dedupe_scope=args.dedupe_scope)
    # The wall clock, movable through /_fake/clock: a developer can expire tokens without waiting an hour.
    listrak = FakeListrak(
        client_id=args.client_id,
        client_secret=args.client_secret,
        page_size_cap=args.page_size_cap,
        clock=OffsetClock(),
    )
    seeded: list[int] = []
    if args.seed:
        try:
            seeded = _seed(listrak, args.seed)
        except (OSError, ValueError, ListrakError) as exc:
            print(f"listrak-harness serve: cannot seed from {args.seed}: {exc}", file=sys.stderr)
            return 2
    servers = [
        ServerThread(_logged(segment.app, args.quiet), host=args.host, port=args.segment_port, threads=args.threads),
        ServerThread(_logged(listrak.app, args.quiet), host=args.host, port=args.listrak_port, threads=args.threads),
    ]

    def ready() -> None:
        seg_url, lr_url = servers[0].url, servers[1].url
        write_key = args.write_keys[0] if args.write_keys else DEFAULT_WRITE_KEY
        keys = ", ".join(args.write_keys) if args.write_keys else "any (no --write-key given)"
        lists = json.dumps([{"listId": list_id} for list_id in seeded] or [{"listId": 101}])
        print(f"fake Segment   {seg_url}/v1      admin {seg_url}/_fake/   write keys: {keys}")
        print(f"fake Listrak   {lr_url}/email/v1   admin {lr_url}/_fake/   client id: {listrak.client_id}")
        print("# what a `cmd:` sync reads:")
        print(f"export LISTRAK_AUTH_URL={lr_url}/OAuth2/Token")
        print(f"export LISTRAK_API_URL={lr_url}/email/v1")
        print(f"export LISTRAK_CLIENT_ID={listrak.client_id}")
        print(f"export LISTRAK_CLIENT_SECRET={listrak.client_secret}")
        print(f"export SEGMENT_API_URL={seg_url}/v1")
        print(f"export SEGMENT_WRITE_KEY={write_key}")
        print(f"export LISTRAK_SEGMENT_LISTS='{lists}'")
        print("export LISTRAK_SOURCE_REVISION=2023-07-13")
        print("export SYNC_STATE_DIR=.listrak-harness/state")
        print("Ctrl-C to stop.", flush=True)

    try:
        serve_forever(servers, on_ready=ready)
    except OSError as exc:
        print(f"listrak-harness serve: {exc}", file=sys.stderr)
        return 2
    return 0


def _logged(app: Any, quiet: bool) -> Any:
    from harness.fakekit.wsgi import AccessLogMiddleware

    return app if quiet else AccessLogMiddleware(app, sys.stderr)


def _seed(listrak: Any, path: str) -> list[int]:
    with open(path, encoding="utf-8") as handle:
        document = json.load(handle)
    listrak.seed(document)
    return [entry.list_id for entry in listrak.backend.get_lists(listrak.client_id)]
