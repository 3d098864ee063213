"""emailKey and universalEmailKey."""

from __future__ import annotations

import hashlib
import re

from hypothesis import given
from hypothesis import strategies as st

from fake_listrak.keys import decode_email_key, email_key, universal_email_key

_list_ids = st.integers(1, 2**31 - 1)
_indexes = st.integers(0, 2**40 - 1)


@given(_list_ids, _indexes)
def test_an_email_key_is_26_hex_digits_and_decodes_back(list_id: int, index: int) -> None:
    key = email_key(list_id, index)
    assert re.fullmatch(r"[0-9a-f]{26}", key)
    assert decode_email_key(key) == (list_id, index)


@given(st.lists(st.tuples(_list_ids, _indexes), min_size=2, max_size=20, unique=True))
def test_different_contacts_have_different_keys(pairs: list[tuple[int, int]]) -> None:
    assert len({email_key(*pair) for pair in pairs}) == len(pairs)


def test_neighbouring_contacts_have_unrelated_looking_keys() -> None:
    keys = [email_key(101, i) for i in range(50)]
    for position in range(26):
        assert len({k[position] for k in keys}) > 4, position


def test_text_that_is_not_a_key_decodes_to_none() -> None:
    assert decode_email_key("a@example.com") is None
    assert decode_email_key("0" * 25) is None


def test_the_universal_email_key_is_the_sha256_of_the_lower_case_address() -> None:
    assert universal_email_key("A@Example.com") == hashlib.sha256(b"a@example.com").hexdigest()
