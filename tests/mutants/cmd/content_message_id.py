"""A `cmd:` mutant of the reference sync whose messageId is a hash of the message's content alone.

The bug: `messageId = hash(anonymousId, userId, traits)`, which looks idempotent but forgets that
Segment drops a repeated messageId for 24 hours. A resubscribe after an unsubscribe sends the same
content as the first subscribe, hence its messageId, and Segment discards it as a duplicate: the
address is subscribed again, but its list trait stays removed. Breaks `subscribed-has-trait`.

Run like `listrak-harness sync`, with DESIGN.md's `cmd:` environment:
`cmd:python tests/mutants/cmd/content_message_id.py`.
"""

from __future__ import annotations

import hashlib
import json
import sys
from typing import Any

from harness.cli import main
from harness.reference import engine

_identify = engine.identify


def _identify_by_content(
    address: str, trait: str, subscribed: bool, user_id: str | None, msg_id: str, timestamp: str
) -> dict[str, Any]:
    message = _identify(address, trait, subscribed, user_id, msg_id, timestamp)
    # The bug: the same content always gets the same id, however many changes lie between.
    content = json.dumps([message["anonymousId"], message.get("userId"), message["traits"]], sort_keys=True)
    message["messageId"] = "lrk-" + hashlib.sha256(content.encode()).hexdigest()[:40]
    return message


engine.identify = _identify_by_content

if __name__ == "__main__":
    sys.exit(main(["sync", *sys.argv[1:]]))
