"""Turning a request body into JSON within Segment's limits, without trusting the client.

The limits are measured on the decompressed body, and decompression stops one byte past the
limit, so a gzip bomb costs at most the limit in memory and time.
"""

from __future__ import annotations

import json
import zlib
from typing import IO, Any

import orjson

from fake_segment.exceptions import InvalidJSON, PayloadTooLarge, UnsupportedEncoding

__all__ = ["BATCH_LIMIT", "MESSAGE_LIMIT", "decode_json", "read_body"]

MESSAGE_LIMIT = 32 * 1024
BATCH_LIMIT = 500 * 1024
_CHUNK = 64 * 1024


def read_body(stream: IO[bytes], encoding: str | None, limit: int) -> bytes:
    """Read and decompress a body, raising PayloadTooLarge as soon as it passes `limit` bytes."""
    encoding = (encoding or "identity").strip().lower()
    if encoding in ("identity", ""):
        data = _read_upto(stream, limit + 1)
        if len(data) > limit:
            raise PayloadTooLarge(_too_large(limit))
        return data
    if encoding in ("gzip", "x-gzip"):
        return _gunzip(stream, limit)
    raise UnsupportedEncoding(f"Content-Encoding {encoding!r} is not supported: expected gzip or no encoding.")


def _read_upto(stream: IO[bytes], size: int) -> bytes:
    # A WSGI stream may return short reads; keep reading until `size` bytes or the end.
    parts = []
    remaining = size
    while remaining > 0:
        chunk = stream.read(min(remaining, _CHUNK * 8))
        if not chunk:
            break
        parts.append(chunk)
        remaining -= len(chunk)
    return b"".join(parts)


def _gunzip(stream: IO[bytes], limit: int) -> bytes:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = bytearray()
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            break
        try:
            out += inflater.decompress(chunk, limit + 1 - len(out))
            # Output held back by max_length sits in unconsumed_tail; pull it a bounded piece at a time.
            while inflater.unconsumed_tail and len(out) <= limit:
                out += inflater.decompress(inflater.unconsumed_tail, limit + 1 - len(out))
        except zlib.error as exc:
            raise UnsupportedEncoding(f"The gzip body is corrupt: {exc}.") from None
        if len(out) > limit:
            raise PayloadTooLarge(_too_large(limit, decompressed=True))
        if inflater.eof:
            break
    if not inflater.eof and out:
        raise UnsupportedEncoding("The gzip body ends before its end-of-stream marker.")
    return bytes(out)


def _too_large(limit: int, *, decompressed: bool = False) -> str:
    what = "decompressed body" if decompressed else "body"
    return f"Exceed payload limit: the {what} is over {limit // 1024}KB ({limit} bytes), Segment's limit here."


def decode_json(body: bytes) -> Any:
    """Parse JSON, turning every way it can fail into InvalidJSON with a clear sentence.

    orjson reads the body when it can: the same values as json.loads, in less time, with one
    documented difference: an integer beyond 64 bits becomes a float (Segment's pages do not say
    what Segment keeps of one). Whatever orjson refuses goes through json.loads, which accepts what
    it accepts beyond orjson (a byte-order mark, UTF-16, lone surrogates) and words the errors.
    """
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        pass
    if not body.strip():
        raise InvalidJSON("The request has no body: expected a JSON object.")
    try:
        # What json.loads does with bytes, minus building a decoder for every request.
        return _DECODER.decode(body.decode(json.detect_encoding(body), "surrogatepass"))
    except UnicodeDecodeError as exc:
        raise InvalidJSON(f"The body is not valid UTF-8 (byte {exc.start}): expected UTF-8 JSON.") from None
    except json.JSONDecodeError as exc:
        raise InvalidJSON(
            f"Invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno} (char {exc.pos})."
        ) from None
    except RecursionError:
        raise InvalidJSON("Invalid JSON: nested too deeply to be a Segment message.") from None
    except _NotJSON as exc:
        raise InvalidJSON(f"Invalid JSON: {exc} is not a JSON value.") from None
    except ValueError as exc:  # e.g. numbers with more digits than Python accepts
        raise InvalidJSON(f"Invalid JSON: {exc}.") from None


class _NotJSON(ValueError):
    pass


def _not_json(constant: str) -> Any:
    # Python's decoder accepts NaN and Infinity; JSON, and Segment, do not.
    raise _NotJSON(constant)


_DECODER = json.JSONDecoder(parse_constant=_not_json)
