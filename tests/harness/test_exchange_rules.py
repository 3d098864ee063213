"""The exchange rules on hand-built exchanges: write-key, limits, retry-after, token-refresh, and what they count."""

from __future__ import annotations

import base64
import gzip
import json
from collections import Counter
from typing import Any

import pytest

from fake_listrak.views import TOKEN_PATH
from harness import exchange_rules
from harness.exchange_rules import (
    BATCH_LIMIT_BYTES,
    BATCH_LIMIT_MESSAGES,
    MESSAGE_LIMIT_BYTES,
    RETRY_AFTER_SLACK_S,
    Violation,
    limits,
    retry_after,
    token_refresh,
    write_key,
)
from harness.exchanges import Exchange

KEY = "wk-rules"
AT = "At sync 2 (step 5)"
CONTACTS = "/email/v1/List/7/Contact"


def basic(key: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:".encode()).decode()


def segment(
    seq: int,
    *,
    path: str = "/v1/batch",
    authorization: str | None = None,
    body: Any = None,
    raw: bytes | None = None,
    encoding: str | None = None,
    status: int = 200,
    started: float | None = None,
    ended: float | None = None,
    retry: str | None = None,
) -> Exchange:
    """A request to the fake Segment; `body` is sent as JSON unless `raw` bytes are given."""
    data = raw if raw is not None else json.dumps(body if body is not None else {"batch": []}).encode()
    start = float(seq) if started is None else started
    return Exchange(
        seq,
        "segment",
        "POST",
        path,
        start,
        start + 0.01 if ended is None else ended,
        status,
        basic(KEY) if authorization is None else authorization or None,
        encoding,
        data,
        retry,
    )


def listrak(
    seq: int,
    path: str = CONTACTS,
    *,
    status: int = 200,
    token: str | None = "t1",
    started: float | None = None,
    ended: float | None = None,
    retry: str | None = None,
) -> Exchange:
    """A request to the fake Listrak: a GET with a bearer token, or (path TOKEN_PATH) a token request."""
    if path == TOKEN_PATH:
        method, authorization = "POST", None
    else:
        method, authorization = "GET", f"Bearer {token}" if token is not None else None
    start = float(seq) if started is None else started
    return Exchange(
        seq,
        "listrak",
        method,
        path,
        start,
        start + 0.01 if ended is None else ended,
        status,
        authorization,
        None,
        b"",
        retry,
    )


def token(seq: int, *, status: int = 200) -> Exchange:
    return listrak(seq, TOKEN_PATH, status=status)


def identify(n: int, pad: int = 0, **fields: Any) -> dict[str, Any]:
    return {
        "type": "identify",
        "messageId": f"m-{n}",
        "anonymousId": f"a{n}@x.io",
        "traits": {"email": f"a{n}@x.io", **({"pad": "x" * pad} if pad else {})},
        **fields,
    }


def compact(item: Any) -> int:
    return len(json.dumps(item, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def sized(n: int, size: int) -> dict[str, Any]:
    """An identify whose compact JSON is exactly `size` bytes."""
    message = identify(n, pad=1)
    message["traits"]["pad"] = "x" * (size - compact(message) + 1)
    assert compact(message) == size
    return message


# -- write-key -----------------------------------------------------------------------------------
def _write_key(*exchanges: Exchange) -> tuple[list[Violation], Counter[str]]:
    exercised: Counter[str] = Counter()
    return list(write_key(exchanges, KEY, AT, exercised)), exercised


def test_write_key_is_silent_on_the_configured_key_and_counts_each_segment_request() -> None:
    found, exercised = _write_key(segment(1), segment(2, path="/v1/identify"), segment(3, authorization=basic(KEY)))
    assert found == [] and exercised["write-key"] == 3


def test_write_key_judges_only_the_segment_tracking_api() -> None:
    # Listrak's bearer tokens, and anything outside /v1/, are not Segment requests.
    found, exercised = _write_key(listrak(1), segment(2, path="/health", authorization=""))
    assert found == [] and exercised["write-key"] == 0


def test_a_wrong_write_key_is_named() -> None:
    ((v,), exercised) = _write_key(segment(4, authorization=basic("wk-other")))
    assert (v.rule, v.expected, v.seen) == (
        "write-key",
        f"Basic auth with the write key {KEY!r}",
        "Basic auth with the write key 'wk-other'",
    )
    assert v.explanation == (
        f"{AT}, request 4 (POST /v1/batch) was sent with the write key 'wk-other', not the configured {KEY!r}, "
        "so Segment files its messages under another source."
    )
    assert exercised["write-key"] == 1


@pytest.mark.parametrize("encoding", [None, "gzip"])
def test_a_write_key_only_in_the_body_is_a_violation(encoding: str | None) -> None:
    data = json.dumps({"writeKey": KEY, "batch": []}).encode()
    raw = gzip.compress(data) if encoding else data
    ((v,), _) = _write_key(segment(1, authorization="", raw=raw, encoding=encoding))
    assert v.seen == f"no Basic auth; writeKey {KEY!r} in the body"
    assert v.explanation == (
        f"{AT}, request 1 (POST /v1/batch) carries the write key only in the body, but a partner source must send it "
        "in the header."
    )


def test_no_write_key_at_all_is_a_violation() -> None:
    ((v,), _) = _write_key(segment(1, authorization="", body={"batch": []}))
    assert v.seen == "no Authorization header"
    assert v.explanation == (
        f"{AT}, request 1 (POST /v1/batch) has no Authorization header and no write key, so Segment refuses it (401)."
    )


def test_a_bearer_header_is_no_write_key() -> None:
    ((v,), _) = _write_key(segment(1, authorization="Bearer abc"))
    assert v.seen == "Authorization 'Bearer abc'"
    assert "has Authorization 'Bearer abc' and no write key" in v.explanation


def test_a_bearer_header_with_the_key_in_the_body_is_the_body_case() -> None:
    ((v,), _) = _write_key(segment(1, authorization="Bearer abc", body={"writeKey": KEY}))
    assert v.seen == f"no Basic auth; writeKey {KEY!r} in the body"


def test_each_request_with_a_wrong_key_is_one_violation() -> None:
    found, exercised = _write_key(segment(1), segment(2, authorization=basic("x")), segment(3, authorization=""))
    assert [v.seen for v in found] == ["Basic auth with the write key 'x'", "no Authorization header"]
    assert exercised["write-key"] == 3


# -- limits --------------------------------------------------------------------------------------
def _limits(*exchanges: Exchange) -> tuple[list[Violation], Counter[str]]:
    exercised: Counter[str] = Counter()
    return list(limits(exchanges, AT, exercised)), exercised


def test_a_body_within_32kb_is_passed_without_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_parsing(self: Exchange) -> Any:
        raise AssertionError("a body of at most 32KB holds no message over the limit: no need to parse it")

    monkeypatch.setattr(Exchange, "json", no_parsing)
    body = {"batch": [identify(1, pad=MESSAGE_LIMIT_BYTES - 300)]}
    assert len(json.dumps(body)) <= MESSAGE_LIMIT_BYTES
    found, exercised = _limits(segment(1, body=body), segment(2, path="/v1/identify", body=identify(2)))
    assert found == [] and exercised["limits"] == 2


def test_a_batch_over_500kb_is_one_violation_whatever_it_holds() -> None:
    body = {"batch": [identify(n, pad=1000) for n in range(520)]}
    size = len(json.dumps(body).encode())
    assert size > BATCH_LIMIT_BYTES
    ((v,), exercised) = _limits(segment(3, body=body))
    assert (v.expected, v.seen) == (f"a batch of at most {BATCH_LIMIT_BYTES:,} bytes", f"{size:,} bytes")
    assert v.explanation == (
        f"{AT}, request 3 (POST /v1/batch) is a batch of {size:,} bytes, over Segment's 500KB limit, so Segment "
        "refuses the whole batch (400)."
    )
    assert v.messages == () and exercised["limits"] == 1


def test_limits_measure_the_decompressed_body() -> None:
    data = json.dumps({"batch": [identify(n, pad=1000) for n in range(520)]}).encode()
    compressed = gzip.compress(data)
    assert len(compressed) < MESSAGE_LIMIT_BYTES
    ((v,), _) = _limits(segment(1, raw=compressed, encoding="gzip"))
    assert v.seen == f"{len(data):,} bytes"


@pytest.mark.parametrize("path", ["/v1/batch", "/v1/import"])
def test_more_than_2500_messages_in_a_batch_is_a_violation(path: str) -> None:
    body = {"batch": [identify(n) for n in range(BATCH_LIMIT_MESSAGES + 1)]}
    assert MESSAGE_LIMIT_BYTES < len(json.dumps(body)) < BATCH_LIMIT_BYTES
    ((v,), _) = _limits(segment(1, path=path, body=body))
    assert (v.expected, v.seen) == ("at most 2500 messages a batch", "2,501 messages")
    assert v.explanation == (
        f"{AT}, request 1 (POST {path}) carries 2,501 messages, over Segment's limit of 2500 a batch."
    )


def test_2500_messages_in_a_batch_are_within_the_limit() -> None:
    body = {"batch": [identify(n) for n in range(BATCH_LIMIT_MESSAGES)]}
    assert len(json.dumps(body)) > MESSAGE_LIMIT_BYTES
    assert _limits(segment(1, body=body))[0] == []


def test_one_message_over_32kb_in_a_batch_is_named_by_its_message_id() -> None:
    big = sized(2, MESSAGE_LIMIT_BYTES + 1)
    ((v,), _) = _limits(segment(7, body={"batch": [identify(1), big, sized(3, MESSAGE_LIMIT_BYTES)]}))
    assert (v.expected, v.seen) == (f"messages of at most {MESSAGE_LIMIT_BYTES:,} bytes", "a message of 32,769 bytes")
    assert v.messages == ("m-2",)
    assert v.explanation == (
        f"{AT}, request 7 (POST /v1/batch) carries a message of 32,769 bytes (messageId 'm-2'), over Segment's "
        "32KB limit, so Segment drops it."
    )


def test_a_message_over_32kb_without_a_message_id_names_none() -> None:
    big = sized(2, MESSAGE_LIMIT_BYTES + 10)
    del big["messageId"]
    big["traits"]["pad"] += "x" * 20
    ((v,), _) = _limits(segment(1, body={"batch": [big]}))
    assert v.messages == () and "messageId" not in v.explanation


def test_a_single_identify_over_32kb_is_a_violation() -> None:
    message = sized(1, MESSAGE_LIMIT_BYTES + 100)
    ((v,), _) = _limits(segment(2, path="/v1/identify", body=message))
    assert v.messages == ("m-1",)
    assert f"{AT}, request 2 (POST /v1/identify) carries a message of" in v.explanation


def test_a_single_call_is_measured_as_sent() -> None:
    # Segment refuses a single call whose body is over 32KB before it reads the JSON, so the
    # indentation counts although the same message sent compact would fit.
    message = sized(1, MESSAGE_LIMIT_BYTES - 200)
    raw = json.dumps(message, indent=100).encode()
    assert len(raw) > MESSAGE_LIMIT_BYTES
    ((v,), _) = _limits(segment(2, path="/v1/identify", raw=raw))
    assert v.seen == f"a message of {len(raw):,} bytes" and v.messages == ("m-1",)


def test_a_batch_item_is_measured_compact_as_segment_measures_it() -> None:
    message = sized(1, MESSAGE_LIMIT_BYTES - 200)
    raw = json.dumps({"batch": [message]}, indent=100).encode()
    assert len(raw) > MESSAGE_LIMIT_BYTES
    assert _limits(segment(1, raw=raw))[0] == []


def test_limits_judge_only_segment_tracking_requests() -> None:
    big = Exchange(1, "listrak", "POST", "/email/v1/List/7/Contact", 0.0, 0.0, 200, None, None, b"x" * 600_000)
    found, exercised = _limits(big)
    assert found == [] and exercised["limits"] == 0


# -- retry-after ---------------------------------------------------------------------------------
def _retry(*exchanges: Exchange) -> tuple[list[Violation], Counter[str]]:
    exercised: Counter[str] = Counter()
    return list(retry_after(exchanges, AT, exercised)), exercised


def _throttled(retry: str | None = "2", status: int = 429) -> Exchange:
    return segment(1, status=status, started=9.0, ended=10.0, retry=retry)


@pytest.mark.parametrize(
    ("gap", "violates"),
    [
        (2 - RETRY_AFTER_SLACK_S - 0.005, True),
        (2 - RETRY_AFTER_SLACK_S / 2, False),  # scheduling noise is allowed
        (2.0, False),
        (2.5, False),
    ],
    ids=["under", "within-slack", "at", "over"],
)
def test_the_next_request_must_wait_retry_after(gap: float, violates: bool) -> None:
    found, exercised = _retry(_throttled(), segment(2, started=10.0 + gap))
    assert exercised["retry-after"] == 1
    assert bool(found) is violates
    if violates:
        (v,) = found
        assert (v.expected, v.seen) == ("the next request at least 2s after the 429", f"request 2 {gap:.3f}s after it")
        assert v.explanation == (
            f"{AT}, request 1 (POST /v1/batch) got a 429 with Retry-After: 2, but the next request to segment, "
            f"request 2 (POST /v1/batch), came {gap:.3f}s later."
        )


def test_the_wait_counts_from_the_429s_answer_not_its_arrival() -> None:
    # Arrived at 9.0, answered at 10.0: a request at 11.5 came 2.5s after the arrival but only 1.5s after the 429.
    found, _ = _retry(_throttled(), segment(2, started=11.5))
    assert [v.seen for v in found] == ["request 2 1.500s after it"]


@pytest.mark.parametrize("retry", [None, "soon", "Wed, 21 Oct 2015 07:28:00 GMT", "-1", "nan", "inf"], ids=repr)
def test_a_429_without_a_number_of_seconds_is_not_judged(retry: str | None) -> None:
    found, exercised = _retry(_throttled(retry), segment(2, started=10.0))
    assert found == [] and exercised["retry-after"] == 0


def test_a_fractional_retry_after_is_judged() -> None:
    found, _ = _retry(_throttled("0.5"), segment(2, started=10.2))
    assert [v.expected for v in found] == ["the next request at least 0.5s after the 429"]


def test_only_a_429_is_judged() -> None:
    found, exercised = _retry(_throttled(status=503), segment(2, started=10.0))
    assert found == [] and exercised["retry-after"] == 0


def test_a_request_to_the_other_fake_does_not_count_as_the_next_one() -> None:
    found, exercised = _retry(_throttled(), listrak(2, started=10.1), segment(3, started=12.0))
    assert found == [] and exercised["retry-after"] == 1
    found, _ = _retry(_throttled(), listrak(2, started=12.5), segment(3, started=10.5))
    assert [v.seen for v in found] == ["request 3 0.500s after it"]


def test_a_429_with_no_request_after_it_is_counted_and_passes() -> None:
    found, exercised = _retry(segment(1), _throttled(), listrak(3, started=10.1))
    assert found == [] and exercised["retry-after"] == 1


def test_a_listrak_429_is_judged_against_the_next_listrak_request() -> None:
    throttled = listrak(1, status=429, ended=10.0, retry="3")
    found, _ = _retry(throttled, segment(2, started=10.1), listrak(3, started=11.0))
    (v,) = found
    assert "but the next request to listrak, request 3 (GET /email/v1/List/7/Contact), came 1.000s later" in (
        v.explanation
    )


def test_each_429_is_judged_against_its_own_next_request() -> None:
    first = segment(1, status=429, ended=10.0, retry="1")
    second = segment(2, status=429, started=11.0, ended=11.1, retry="1")
    found, exercised = _retry(first, second, segment(3, started=11.2))
    assert exercised["retry-after"] == 2
    assert [v.seen for v in found] == ["request 3 0.100s after it"]


# -- token-refresh -------------------------------------------------------------------------------
def _refresh(*exchanges: Exchange, crashed: bool = False) -> tuple[list[Violation], Counter[str]]:
    exercised: Counter[str] = Counter()
    return list(token_refresh(exchanges, AT, crashed, exercised)), exercised


def test_a_401_followed_by_a_token_request_is_fine() -> None:
    found, exercised = _refresh(token(1), listrak(2, status=401), token(3), listrak(4, token="t2"))
    assert found == [] and exercised["token-refresh"] == 1


def test_a_401_with_no_token_request_after_it_is_a_violation() -> None:
    found, exercised = _refresh(token(1), listrak(2, status=401), segment(3))
    (v,) = found
    assert (v.rule, v.seen) == ("token-refresh", "no token request after it")
    assert v.expected == f"a token request (POST {TOKEN_PATH}) after the 401, then the sync going on"
    assert v.explanation == (
        f"{AT}, request 2 (GET {CONTACTS}) got a 401 (the token expired or was revoked), but the sync never asked "
        "for a new token afterwards (no token request after it)."
    )
    assert exercised["token-refresh"] == 1


def test_retrying_with_the_rejected_token_says_how_often() -> None:
    found, _ = _refresh(token(1), listrak(2, status=401), listrak(3, status=401), listrak(4, "/email/v1/List/7"))
    # Each 401 is its own: the first was retried twice with its token, the second once.
    assert [v.seen for v in found] == [
        "2 more request(s) with the rejected token, no token request",
        "1 more request(s) with the rejected token, no token request",
    ]


def test_requests_with_another_token_are_no_refresh() -> None:
    (v,), _ = _refresh(listrak(1, status=401), listrak(2, token="made-up"))
    assert v.seen == "no token request after it"


def test_a_second_401_right_after_refreshing_is_excused() -> None:
    # Listrak's guidance: fetch a new token once and retry; a sync may give up if that is refused too.
    found, exercised = _refresh(token(1), listrak(2, status=401), token(3), listrak(4, status=401, token="t2"))
    assert found == [] and exercised["token-refresh"] == 1


def test_a_401_after_a_token_request_that_followed_a_success_is_judged() -> None:
    # The token was not fetched for an earlier 401, so this 401 still needs its own refresh.
    found, exercised = _refresh(listrak(1), token(2), listrak(3, status=401, token="t2"))
    assert [v.seen for v in found] == ["no token request after it"] and exercised["token-refresh"] == 1


def test_a_401_on_the_token_endpoint_is_not_judged() -> None:
    found, exercised = _refresh(token(1, status=401))
    assert found == [] and exercised["token-refresh"] == 0


def test_a_401_with_a_query_on_the_token_endpoint_is_not_judged() -> None:
    found, _ = _refresh(listrak(1, f"{TOKEN_PATH}?grant_type=client_credentials", status=401, token=None))
    assert found == []


def test_a_crash_on_the_401_itself_is_excused() -> None:
    found, exercised = _refresh(token(1), listrak(2, status=401), crashed=True)
    assert found == [] and exercised["token-refresh"] == 0
    found, _ = _refresh(token(1), listrak(2, status=401), crashed=False)
    assert [v.seen for v in found] == ["no token request after it"]


def test_a_crash_later_in_the_sync_does_not_excuse_an_earlier_401() -> None:
    found, _ = _refresh(listrak(1, status=401), listrak(2), crashed=True)
    assert [v.seen for v in found] == ["1 more request(s) with the rejected token, no token request"]


def test_a_segment_401_is_not_a_token_refresh_matter() -> None:
    found, exercised = _refresh(segment(1, status=401))
    assert found == [] and exercised["token-refresh"] == 0


def test_the_rules_are_generators_that_yield_violations() -> None:
    # The checker chains them; nothing is computed before it asks.
    generator = exchange_rules.write_key([segment(1, authorization="")], KEY, AT, Counter())
    assert next(generator).rule == "write-key"
    with pytest.raises(StopIteration):
        next(generator)
