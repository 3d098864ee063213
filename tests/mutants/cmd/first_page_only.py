"""A `cmd:` mutant of the reference sync that reads only the first page of each list's contacts.

The bug: the careless loop that never follows `nextPageCursor`. Every contact past the first page
is invisible, so a subscriber there never gets its list trait and an unsubscribe there is never
sent. Breaks `subscribed-has-trait` and `unsubscribed-trait-removed` as soon as a list holds more
contacts than a page (the harness lowers the fake Listrak's page cap to 2 to get there).

Run like `listrak-harness sync`, with DESIGN.md's `cmd:` environment:
`cmd:python tests/mutants/cmd/first_page_only.py`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

from harness.cli import main
from harness.reference.listrak import ListrakClient

_every_page = ListrakClient.contacts


def _first_page(self: ListrakClient, list_id: int, state: str, field_id: int | None) -> Iterator[list[dict[str, Any]]]:
    for page in _every_page(self, list_id, state, field_id):
        yield page
        return  # the bug: the next page is never asked for


ListrakClient.contacts = _first_page  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(main(["sync", *sys.argv[1:]]))
