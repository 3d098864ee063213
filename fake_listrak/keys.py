"""Contact keys: the 26-hex-digit `emailKey` and the SHA-256 `universalEmailKey`.

An `emailKey` is a bijective scramble of (list id, the contact's creation index on that list)
into 104 bits, so it looks random, never changes for a contact (not even when its address
changes), and turns back into the contact without an index of its own.
"""

from __future__ import annotations

import hashlib
import re

__all__ = ["decode_email_key", "email_key", "universal_email_key"]

_BITS = 104
_MASK = (1 << _BITS) - 1
_INDEX_BITS = 40
# Any odd multiplier is invertible modulo 2**104; these were picked to spread nearby ids apart.
_MULTIPLIER = 0x9E3779B97F4A7C15F39CC0605D
_OFFSET = 0x5F356495A1B2C3D4E5F6071829
_INVERSE = pow(_MULTIPLIER, -1, 1 << _BITS)
# Half the width or more, so that applying the xorshift twice undoes it.
_SHIFT = 52
_HEX26 = re.compile(r"^[0-9a-fA-F]{26}$")


def email_key(list_id: int, index: int) -> str:
    """The emailKey of the `index`-th contact created on list `list_id`."""
    x = (((((list_id & 0xFFFFFFFFFFFF) << _INDEX_BITS) | index) * _MULTIPLIER) + _OFFSET) & _MASK
    # Fold the high bits into the low ones (an invertible xorshift) so no digits stay constant.
    x ^= x >> _SHIFT
    return f"{(x * _MULTIPLIER) & _MASK:026x}"


def decode_email_key(text: str) -> tuple[int, int] | None:
    """(list id, creation index) behind an emailKey, or None when `text` is not one."""
    if not _HEX26.match(text):
        return None
    y = (int(text, 16) * _INVERSE) & _MASK
    x = y ^ (y >> _SHIFT)
    plain = ((x - _OFFSET) * _INVERSE) & _MASK
    return plain >> _INDEX_BITS, plain & ((1 << _INDEX_BITS) - 1)


def universal_email_key(address: str) -> str:
    """SHA-256 (hex) of the address in lower case, the same on every list and account."""
    return hashlib.sha256(address.lower().encode("utf-8")).hexdigest()
