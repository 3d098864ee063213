"""Bearer tokens: issued per client, expiring on the fake's clock, revocable."""

from __future__ import annotations

from listrak_support import START

from fake_listrak.tokens import TokenStore
from harness.fakekit.clock import ManualClock


def test_a_token_is_opaque_and_long_and_lives_its_lifetime() -> None:
    clock = ManualClock(START)
    store = TokenStore(clock)
    token = store.issue("c", 3599)
    assert len(token.value) == 400 and token.expires_in == 3599
    assert store.resolve(token.value) == "c"
    clock.advance(3599)
    assert store.resolve(token.value) is None
    assert store.owner(token.value) == "c"  # an expired token still says whose it was


def test_revoking_drops_tokens_of_one_client_or_all() -> None:
    store = TokenStore(ManualClock(START))
    a, b = store.issue("a", 60), store.issue("b", 60)
    assert store.revoke("a") == 1
    assert (store.resolve(a.value), store.resolve(b.value)) == (None, "b")
    assert store.revoke() == 1
    assert store.tokens() == []


def test_expired_tokens_are_swept_as_the_store_grows() -> None:
    clock = ManualClock(START)
    store = TokenStore(clock)
    for _ in range(4096):
        store.issue("a", 1)
    clock.advance(2)
    store.issue("a", 1)
    assert len(store.tokens()) == 1
