"""`listrak-harness sync`: the reference sync against any endpoints (real or fake)."""

from __future__ import annotations

import argparse
import gc
import json
import sys

from harness.reference import ConfigError, ListConfig, Progress, load_config, sync

__all__ = ["add_sync_parser", "run_sync"]


def add_sync_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "sync",
        help="run the reference Listrak -> Segment sync once",
        description="Read every integrated Listrak list and send Segment the identify calls the Listrak "
        "Source documentation promises, changes only. Settings come from flags, then the environment "
        "(LISTRAK_CLIENT_ID, LISTRAK_CLIENT_SECRET, SEGMENT_WRITE_KEY, LISTRAK_SEGMENT_LISTS, "
        "SYNC_STATE_DIR, ...), then --config. Exit 0 only when every change was delivered.",
    )
    parser.add_argument("--config", metavar="FILE", help="TOML file ([listrak], [segment], [[lists]], state_dir)")
    parser.add_argument("--listrak-client-id", metavar="ID")
    parser.add_argument(
        "--listrak-client-secret", metavar="SECRET", help="prefer LISTRAK_CLIENT_SECRET: flags show up in ps"
    )
    parser.add_argument("--segment-write-key", metavar="KEY", help="prefer SEGMENT_WRITE_KEY: flags show up in ps")
    parser.add_argument(
        "--list",
        dest="list_specs",
        action="append",
        metavar="LIST[:FIELD]",
        help="an integrated list id, optionally with the profile field id whose value is the userId (repeat)",
    )
    parser.add_argument("--lists", metavar="JSON", help='lists as JSON: [{"listId": 101, "profileFieldId": 5}]')
    parser.add_argument("--state-dir", metavar="DIR", help="where the sync remembers what it delivered (SQLite)")
    parser.add_argument("--segment-region", choices=("us", "eu"), help="Segment's US or EU endpoint (default us)")
    parser.add_argument("--segment-url", dest="segment_api_url", metavar="URL", help="override the Segment API base")
    parser.add_argument("--listrak-api-url", metavar="URL", help="override https://api.listrak.com/email/v1")
    parser.add_argument("--listrak-auth-url", metavar="URL", help="override https://auth.listrak.com/OAuth2/Token")
    parser.add_argument("--revision", choices=("2023-07-13", "2023-08-03"), help="documentation revision to follow")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print the messages as NDJSON and change nothing (with no state yet, their messageIds are provisional)",
    )
    parser.add_argument("--page-size", type=int, metavar="N", help="contacts per Listrak page (max 5000)")
    parser.add_argument("--request-timeout", type=float, metavar="S", help="seconds for one HTTP exchange")
    parser.add_argument("--retry-deadline", type=float, metavar="S", help="seconds of retries for one call")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON line on stdout")


# The sync process's collector. A page is some 10,000 dicts and lists, alive for milliseconds while it
# is parsed and turned into rows; the default young pass (every 700 allocations) rescans it a dozen
# times (a no-change sync of 150,000 contacts took 1.01-1.10 s with it, 0.83-0.93 s with the collector
# off). Cycles are rare (such a sync leaves about 2,000 cyclic objects, httpx's request bookkeeping; the
# page bodies they held are released at once, see harness.reference.listrak), so a pass every 50,000
# allocations reclaims them just as surely.
SYNC_GC_THRESHOLDS = (50_000, 20, 100)


def run_sync(args: argparse.Namespace) -> int:
    """Exit 0 when every change was delivered, 1 when some were not, 2 for unusable configuration."""
    previous = gc.get_threshold()
    gc.set_threshold(*SYNC_GC_THRESHOLDS)  # for the sync's duration, then as it was (main() may run in-process)
    try:
        return _run_sync(args)
    finally:
        gc.set_threshold(*previous)


def _run_sync(args: argparse.Namespace) -> int:
    try:
        flags = {
            "listrak_client_id": args.listrak_client_id,
            "listrak_client_secret": args.listrak_client_secret,
            "segment_write_key": args.segment_write_key,
            "lists": _lists(args),
            "state_dir": args.state_dir,
            "segment_region": args.segment_region,
            "segment_api_url": args.segment_api_url,
            "listrak_api_url": args.listrak_api_url,
            "listrak_auth_url": args.listrak_auth_url,
            "revision": args.revision,
            "dry_run": args.dry_run,
            "page_size": args.page_size,
            "request_timeout": args.request_timeout,
            "retry_deadline": args.retry_deadline,
        }
        config = load_config(flags, config_file=args.config)
        report = sync(config, progress=Progress(quiet=args.quiet))
    except ConfigError as exc:
        print(f"listrak-harness sync: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.to_dict()), flush=True)
    if not args.quiet or not report.ok:
        print(report.summary(), file=sys.stderr)
    return 0 if report.ok else 1


def _lists(args: argparse.Namespace) -> object:
    if args.list_specs:
        lists = []
        for spec in args.list_specs:
            list_part, _, field_part = spec.partition(":")
            if not list_part.isdigit() or (field_part and not field_part.isdigit()):
                raise ConfigError(f"--list takes LIST or LIST:FIELD with numeric ids, got {spec!r}.")
            lists.append(ListConfig(int(list_part), int(field_part) if field_part else None))
        return tuple(lists)
    return args.lists
