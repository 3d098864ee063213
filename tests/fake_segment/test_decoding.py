"""Body decoding: limits measured after decompression, gzip bombs cut short, JSON errors explained."""

from __future__ import annotations

import gzip
import io
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fake_segment.decoding import BATCH_LIMIT, MESSAGE_LIMIT, decode_json, read_body
from fake_segment.exceptions import InvalidJSON, PayloadTooLarge, UnsupportedEncoding


class CountingStream(io.BytesIO):
    """Records how many bytes were read from it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


@pytest.mark.parametrize("size", [0, 1, MESSAGE_LIMIT])
def test_body_at_or_under_the_limit_is_read_whole(size: int) -> None:
    assert read_body(io.BytesIO(b"x" * size), None, MESSAGE_LIMIT) == b"x" * size


def test_body_one_byte_over_the_limit_is_rejected() -> None:
    with pytest.raises(PayloadTooLarge, match="32KB"):
        read_body(io.BytesIO(b"x" * (MESSAGE_LIMIT + 1)), None, MESSAGE_LIMIT)


def test_huge_body_is_rejected_after_reading_only_the_limit() -> None:
    stream = CountingStream(b"x" * (10 * 1024 * 1024))
    with pytest.raises(PayloadTooLarge):
        read_body(stream, "identity", BATCH_LIMIT)
    assert stream.bytes_read <= BATCH_LIMIT + 1


def test_gzip_body_is_decompressed() -> None:
    assert read_body(io.BytesIO(gzip.compress(b'{"a": 1}')), "gzip", MESSAGE_LIMIT) == b'{"a": 1}'


def test_gzip_limit_is_measured_on_the_decompressed_body() -> None:
    exact = gzip.compress(b"y" * BATCH_LIMIT)
    assert len(read_body(io.BytesIO(exact), "gzip", BATCH_LIMIT)) == BATCH_LIMIT
    with pytest.raises(PayloadTooLarge, match="decompressed"):
        read_body(io.BytesIO(gzip.compress(b"y" * (BATCH_LIMIT + 1))), "gzip", BATCH_LIMIT)


def test_gzip_bomb_stops_at_the_limit() -> None:
    bomb = gzip.compress(b"\0" * (120 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 200 * 1024
    stream = CountingStream(bomb)
    with pytest.raises(PayloadTooLarge):
        read_body(stream, "gzip", BATCH_LIMIT)
    # Decompression stopped long before the end of the compressed stream.
    assert stream.bytes_read < len(bomb)


@pytest.mark.parametrize(
    ("body", "encoding", "message"),
    [
        (b"not gzip at all", "gzip", "corrupt"),
        (gzip.compress(b'{"a": 1}')[:-12], "gzip", "ends before"),
        (b"{}", "br", "not supported"),
    ],
)
def test_undecodable_bodies_are_explained(body: bytes, encoding: str, message: str) -> None:
    with pytest.raises(UnsupportedEncoding, match=message):
        read_body(io.BytesIO(body), encoding, MESSAGE_LIMIT)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "no body"),
        (b"   ", "no body"),
        (b'{"a": ', "Invalid JSON"),
        (b"\xff\xfe\xfa{}", "UTF-8"),
        (b'{"a": "\xc3\x28"}', "UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b"1" * 5000, "Invalid JSON"),
        (b'{"traits": {"age": Infinity}}', "Infinity is not a JSON value"),
        (b'{"traits": {"age": NaN}}', "NaN is not a JSON value"),
    ],
)
def test_bad_json_is_explained(body: bytes, message: str) -> None:
    with pytest.raises(InvalidJSON, match=message):
        decode_json(body)


def test_valid_json_is_parsed() -> None:
    assert decode_json(b'{"type": "identify", "traits": {"x": null}}') == {
        "type": "identify",
        "traits": {"x": None},
    }


# orjson reads what it can; json.loads reads the rest. The values must be the same either way.
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(JSON_VALUES, st.booleans())
def test_every_json_value_reads_as_json_loads_reads_it(value: Any, ascii_only: bool) -> None:
    body = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    assert decode_json(body) == json.loads(body)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'\xef\xbb\xbf{"a": 1}', {"a": 1}),  # a UTF-8 byte-order mark
        ('{"a": "\u00e9"}'.encode("utf-16"), {"a": "\u00e9"}),  # UTF-16, as json.loads detects it
        (b'{"a": "\\ud800"}', {"a": "\ud800"}),  # an escaped lone surrogate
    ],
)
def test_what_orjson_refuses_but_json_accepts_is_still_read(body: bytes, expected: Any) -> None:
    assert decode_json(body) == expected


def test_an_integer_beyond_64_bits_reads_as_a_float() -> None:
    assert decode_json(b'{"n": 18446744073709551616}') == {"n": 18446744073709551616.0}
    assert decode_json(b'{"n": 18446744073709551615}') == {"n": 18446744073709551615}
