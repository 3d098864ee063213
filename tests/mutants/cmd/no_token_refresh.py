"""A `cmd:` mutant of the reference sync that fetches one Listrak token and never refreshes it.

The bug: the token from the first `POST /OAuth2/Token` is cached for the whole run. When Listrak
answers 401 (the token expired or was revoked) the sync asks again with the same token, gets a
second 401 and gives up, exiting non-zero. Breaks `token-refresh`: "an expired Listrak token (401)
is refreshed and the sync goes on".

Run like `listrak-harness sync`, with DESIGN.md's `cmd:` environment:
`cmd:python tests/mutants/cmd/no_token_refresh.py`.
"""

from __future__ import annotations

import sys

from harness.cli import main
from harness.reference.listrak import ListrakClient


def _first_token_forever(self: ListrakClient) -> str:
    # The bug: whatever happened to it, the first token is the only one ever used.
    cached = vars(self)
    if "first_token" not in cached:
        cached["first_token"] = self._fetch_token()
    token: str = cached["first_token"]
    return token


ListrakClient._bearer = _first_token_forever  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(main(["sync", *sys.argv[1:]]))
