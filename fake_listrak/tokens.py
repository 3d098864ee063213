"""OAuth bearer tokens: issued per client, opaque, expiring on the fake's clock, revocable."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from harness.fakekit.clock import Clock

__all__ = ["Token", "TokenStore"]

# Real tokens are opaque strings of about 400 characters (observed); 300 random bytes give 400.
_TOKEN_BYTES = 300
# Expired tokens are swept when the store grows past this, so a long run does not accumulate them.
_SWEEP_AT = 4096


@dataclass(frozen=True, slots=True)
class Token:
    """An issued access token and whose it is."""

    value: str
    client_id: str
    issued_at: datetime
    expires_at: datetime

    @property
    def expires_in(self) -> int:
        """The lifetime the token was issued with, in whole seconds (the `expires_in` of the answer)."""
        return int((self.expires_at - self.issued_at).total_seconds())


class TokenStore:
    """The live tokens of every client; safe to share between threads."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._tokens: dict[str, Token] = {}
        self._lock = threading.Lock()

    def issue(self, client_id: str, lifetime: int) -> Token:
        """A new token for `client_id`, valid for `lifetime` seconds from now."""
        now = self.clock.now()
        token = Token(secrets.token_urlsafe(_TOKEN_BYTES), client_id, now, now + timedelta(seconds=lifetime))
        with self._lock:
            if len(self._tokens) >= _SWEEP_AT:
                self._tokens = {v: t for v, t in self._tokens.items() if t.expires_at > now}
            self._tokens[token.value] = token
        return token

    def owner(self, value: str) -> str | None:
        """The client a token was issued to, live or expired; None if it is unknown or revoked."""
        token = self._tokens.get(value)
        return None if token is None else token.client_id

    def resolve(self, value: str) -> str | None:
        """The client of a live token; None if it is unknown, revoked or expired."""
        token = self._tokens.get(value)
        if token is None or self.clock.now() >= token.expires_at:
            return None
        return token.client_id

    def revoke(self, client_id: str | None = None) -> int:
        """Revoke every token (or every token of `client_id`); returns how many."""
        with self._lock:
            before = len(self._tokens)
            if client_id is None:
                self._tokens = {}
            else:
                self._tokens = {v: t for v, t in self._tokens.items() if t.client_id != client_id}
            return before - len(self._tokens)

    def tokens(self, client_id: str | None = None) -> list[Token]:
        """The tokens issued and not revoked (expired ones included), oldest first."""
        with self._lock:
            return [t for t in self._tokens.values() if client_id is None or t.client_id == client_id]
