"""The environment a `cmd:` sync gets, as DESIGN.md's table lists it: one copy for every test that checks it."""

from __future__ import annotations

DESIGN_CMD_VARIABLES = frozenset(
    {
        "LISTRAK_AUTH_URL",
        "LISTRAK_API_URL",
        "LISTRAK_CLIENT_ID",
        "LISTRAK_CLIENT_SECRET",
        "SEGMENT_API_URL",
        "SEGMENT_WRITE_KEY",
        "LISTRAK_SEGMENT_LISTS",
        "LISTRAK_SOURCE_REVISION",
        "SYNC_STATE_DIR",
    }
)
