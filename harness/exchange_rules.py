"""The rules judged on the implementation's HTTP exchanges rather than on the messages Segment kept.

`write-key` and `limits` look at each request to the fake Segment (a request with the wrong key,
or one Segment refuses for its size, leaves no message behind to judge); `retry-after` and
`token-refresh` look at what the implementation did after a 429 or a 401. Each check is a generator
of `Violation`s, which the checker turns into findings with its own citations and sync numbers.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

from fake_listrak.views import TOKEN_PATH

from .exchanges import Exchange, basic_user

__all__ = [
    "BATCH_LIMIT_BYTES",
    "BATCH_LIMIT_MESSAGES",
    "MESSAGE_LIMIT_BYTES",
    "Violation",
    "limits",
    "retry_after",
    "token_refresh",
    "write_key",
]

# Segment's HTTP Tracking API: 32KB a call, 500KB and 2500 messages a batch request.
MESSAGE_LIMIT_BYTES: Final = 32 * 1024
BATCH_LIMIT_BYTES: Final = 500 * 1024
BATCH_LIMIT_MESSAGES: Final = 2500
# Scheduling noise allowed when comparing a wait against Retry-After (the fake stamps its answer
# just before the bytes leave, the client starts waiting once they arrive).
RETRY_AFTER_SLACK_S: Final = 0.01


@dataclass(frozen=True, slots=True)
class Violation:
    """What one exchange rule found: the expected and seen values, and the sentence that explains it."""

    rule: str
    expected: str
    seen: str
    explanation: str
    messages: tuple[int | str, ...] = ()


def _segment_api(exchanges: Sequence[Exchange]) -> Iterator[Exchange]:
    return (e for e in exchanges if e.target == "segment" and e.path.startswith("/v1/"))


def write_key(exchanges: Sequence[Exchange], configured: str, at: str, exercised: Counter[str]) -> Iterator[Violation]:
    """write-key: every request to Segment carries the configured write key as Basic auth."""
    for e in _segment_api(exchanges):
        exercised["write-key"] += 1
        key = basic_user(e.authorization)
        if key == configured:
            continue
        where = f"{at}, request {e.seq} ({e.route})"
        if key is not None:
            yield Violation(
                "write-key",
                f"Basic auth with the write key {configured!r}",
                f"Basic auth with the write key {key!r}",
                f"{where} was sent with the write key {key!r}, not the configured {configured!r}, so Segment files "
                "its messages under another source.",
            )
            continue
        body = e.json()
        in_body = body.get("writeKey") if isinstance(body, dict) else None
        if in_body is not None:
            seen = f"no Basic auth; writeKey {in_body!r} in the body"
            why = "carries the write key only in the body, but a partner source must send it in the header"
        else:
            shown = "no Authorization header" if e.authorization is None else f"Authorization {e.authorization!r}"
            seen = shown
            why = f"has {shown} and no write key, so Segment refuses it (401)"
        yield Violation("write-key", f"Basic auth with the write key {configured!r}", seen, f"{where} {why}.")


def limits(exchanges: Sequence[Exchange], at: str, exercised: Counter[str]) -> Iterator[Violation]:
    """limits: at most 32KB a message, 500KB and 2500 messages a batch request."""
    for e in _segment_api(exchanges):
        exercised["limits"] += 1
        raw = e.decoded_body()
        if len(raw) <= MESSAGE_LIMIT_BYTES:
            continue  # every message it carries is smaller than the whole body
        where = f"{at}, request {e.seq} ({e.route})"
        batch = e.path.startswith("/v1/batch") or e.path.startswith("/v1/import")
        if batch and len(raw) > BATCH_LIMIT_BYTES:
            yield Violation(
                "limits",
                f"a batch of at most {BATCH_LIMIT_BYTES:,} bytes",
                f"{len(raw):,} bytes",
                f"{where} is a batch of {len(raw):,} bytes, over Segment's 500KB limit, so Segment refuses the "
                "whole batch (400).",
            )
            continue
        body = e.json()
        items: list[Any] = body.get("batch", []) if batch and isinstance(body, dict) else [body]
        if not isinstance(items, list):
            continue
        if batch and len(items) > BATCH_LIMIT_MESSAGES:
            yield Violation(
                "limits",
                f"at most {BATCH_LIMIT_MESSAGES} messages a batch",
                f"{len(items):,} messages",
                f"{where} carries {len(items):,} messages, over Segment's limit of {BATCH_LIMIT_MESSAGES} a batch.",
            )
        for item in items:
            # A single call is one message and Segment measures its body as sent (the fake refuses it unparsed);
            # a batch's items are measured compact, as the fake measures them.
            size = _compact_size(item) if batch else len(raw)
            if size > MESSAGE_LIMIT_BYTES:
                mid = item.get("messageId") if isinstance(item, dict) else None
                yield Violation(
                    "limits",
                    f"messages of at most {MESSAGE_LIMIT_BYTES:,} bytes",
                    f"a message of {size:,} bytes",
                    f"{where} carries a message of {size:,} bytes"
                    + (f" (messageId {mid!r})" if isinstance(mid, str) else "")
                    + ", over Segment's 32KB limit, so Segment drops it.",
                    messages=(mid,) if isinstance(mid, str) else (),
                )


def _compact_size(item: Any) -> int:
    return len(json.dumps(item, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def _seconds(text: str | None) -> float | None:
    """Retry-After as seconds; None when it is not a number of seconds (an HTTP-date, `inf`, `nan`) to judge by."""
    try:
        value = float(text) if text is not None else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) and value >= 0 else None


def retry_after(exchanges: Sequence[Exchange], at: str, exercised: Counter[str]) -> Iterator[Violation]:
    """retry-after: after a 429 with `Retry-After: s`, the next request to that service waits at least s."""
    for index, e in enumerate(exchanges):
        wait = _seconds(e.retry_after) if e.status == 429 else None
        if wait is None:
            continue
        exercised["retry-after"] += 1
        following = next((n for n in exchanges[index + 1 :] if n.target == e.target), None)
        if following is None:
            continue
        gap = following.started - e.ended
        if gap + RETRY_AFTER_SLACK_S >= wait:
            continue
        yield Violation(
            "retry-after",
            f"the next request at least {wait:g}s after the 429",
            f"request {following.seq} {gap:.3f}s after it",
            f"{at}, request {e.seq} ({e.route}) got a 429 with Retry-After: {e.retry_after}, but the next request "
            f"to {e.target}, request {following.seq} ({following.route}), came {gap:.3f}s later.",
        )


def _is_token_request(e: Exchange) -> bool:
    return e.target == "listrak" and e.path.split("?", 1)[0].endswith(TOKEN_PATH)


def token_refresh(
    exchanges: Sequence[Exchange], at: str, crashed: bool, exercised: Counter[str]
) -> Iterator[Violation]:
    """token-refresh: a 401 from the Listrak API is followed, in the same sync, by a new token request.

    A 401 to the very request retried with a token fetched for an earlier 401 is excused: Listrak's
    guidance is to fetch a new token once and retry, so a sync may give up then (reporting failure,
    which `no-silent-loss` judges).
    """
    listrak = [e for e in exchanges if e.target == "listrak"]
    for index, e in enumerate(listrak):
        if e.status != 401 or _is_token_request(e):
            continue
        later = listrak[index + 1 :]
        if not later and crashed:
            continue  # the crash step killed the process on this very request
        if index >= 2 and _is_token_request(listrak[index - 1]) and listrak[index - 2].status == 401:
            continue  # already refreshed once for this request
        exercised["token-refresh"] += 1
        if any(_is_token_request(n) for n in later):
            continue
        retried = [n for n in later if n.authorization == e.authorization]
        if retried:
            seen = f"{len(retried)} more request(s) with the rejected token, no token request"
        else:
            seen = "no token request after it"
        yield Violation(
            "token-refresh",
            f"a token request (POST {TOKEN_PATH}) after the 401, then the sync going on",
            seen,
            f"{at}, request {e.seq} ({e.route}) got a 401 (the token expired or was revoked), but the sync "
            f"never asked for a new token afterwards ({seen}).",
        )
