"""`listrak-harness serve`: the fakes on loopback, behind waitress, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import sys

from harness.fakekit.server import NotLoopbackError, check_loopback, serve_forever


def run_serve(args: argparse.Namespace) -> int:
    """Start the fakes, print where they are and what a `cmd:` sync needs, serve until stopped."""
    from fake_segment.server import FakeSegment

    try:
        check_loopback(args.host, args.allow_remote)
    except NotLoopbackError as exc:
        print(f"listrak-harness serve: {exc}", file=sys.stderr)
        return 2
    segment = FakeSegment(
        write_keys=args.write_keys,
        retention=args.retention,
        dedupe_scope=args.dedupe_scope,
        host=args.host,
        port=args.segment_port,
        threads=args.threads,
        access_log=None if args.quiet else sys.stderr,
    )

    def ready() -> None:
        url = segment.server.url
        keys = ", ".join(args.write_keys) if args.write_keys else "any (no --write-key given)"
        print(f"fake Segment   {url}/v1")
        print(f"  admin        {url}/_fake/   (OpenAPI: {url}/_fake/openapi.json)")
        print(f"  write keys   {keys}")
        print(f"export SEGMENT_API_URL={url}/v1")
        if args.write_keys:
            print(f"export SEGMENT_WRITE_KEY={args.write_keys[0]}")
        print("Ctrl-C to stop.", flush=True)

    try:
        serve_forever([segment.server], on_ready=ready)
    except OSError as exc:
        print(f"listrak-harness serve: {exc}", file=sys.stderr)
        return 2
    return 0
