"""The fake Listrak as an object you start and stop: a loopback server in a thread over a backend
you can also drive directly, and an in-process httpx transport that needs no socket.

    with FakeListrak() as lr:
        lr.seed({"lists": [{"listId": 101, "contacts": ["a@example.com"]}]})
        token = httpx.post(lr.auth_url, data={"grant_type": "client_credentials",
                                              "client_id": lr.client_id,
                                              "client_secret": lr.client_secret}).json()
        httpx.get(f"{lr.api_url}/List/101/Contact", headers={"Authorization": f"Bearer ..."})

Each `ListrakAccount` is one OAuth client, so one server can serve many tests without them
sharing data: `lr.account()` registers a fresh one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from harness.fakekit.clock import Clock
from harness.fakekit.faults import Fault
from harness.fakekit.served import Served
from harness.fakekit.server import ServerThread

from .app import create_app
from .backend import ListrakBackend
from .models import Change, Contact, Settings, Suppressions, UpsertResult
from .seed import SeedSummary
from .views import API_PREFIX, TOKEN_PATH

__all__ = ["FakeListrak", "ListrakAccount"]


class ListrakAccount:
    """One client (account) of a FakeListrak: its credentials, URLs, and its share of the state."""

    def __init__(self, fake: FakeListrak, client_id: str, client_secret: str) -> None:
        self.fake = fake
        self.client_id = client_id
        self.client_secret = client_secret

    @property
    def backend(self) -> ListrakBackend:
        """The backend the account lives in."""
        return self.fake.backend

    @property
    def url(self) -> str:
        """Base URL of the running server, e.g. `http://127.0.0.1:PORT`."""
        return self.fake.url

    @property
    def auth_url(self) -> str:
        """The token endpoint (what LISTRAK_AUTH_URL holds)."""
        return self.fake.auth_url

    @property
    def api_url(self) -> str:
        """The Email API base, `{url}/email/v1` (what LISTRAK_API_URL holds)."""
        return self.fake.api_url

    def env(self) -> dict[str, str]:
        """The LISTRAK_* variables of DESIGN.md's table for this account."""
        return {
            "LISTRAK_AUTH_URL": self.auth_url,
            "LISTRAK_API_URL": self.api_url,
            "LISTRAK_CLIENT_ID": self.client_id,
            "LISTRAK_CLIENT_SECRET": self.client_secret,
        }

    def token(self) -> str:
        """A fresh access token, issued in-process (no HTTP)."""
        return self.backend.issue_token(self.client_id, self.client_secret).value

    def seed(self, document: Mapping[str, Any] | None = None, **parts: Any) -> SeedSummary:
        """Bulk-load a seed document (see `fake_listrak.seed`), or its parts: `seed(lists=[...])`."""
        return self.backend.seed(self.client_id, dict(document or {}, **parts))

    def reset(self) -> None:
        """Empty this account (lists, contacts, banned and suppressed addresses, settings, tokens,
        faults, history); others keep theirs."""
        self.backend.reset(self.client_id)

    def revoke_tokens(self) -> int:
        """Revoke the account's tokens; returns how many."""
        return self.backend.revoke_tokens(self.client_id)

    def settings(self, **changes: Any) -> Settings:
        """Read, or change (`token_lifetime=`, `page_size_cap=`), the account's settings."""
        if changes:
            return self.backend.update_settings(self.client_id, **changes)
        return self.backend.settings(self.client_id)

    def add_fault(self, spec: Mapping[str, Any]) -> Fault:
        """Arm a fault (a fault spec, as for `POST /_fake/faults`) aimed at this account."""
        engine = self.backend.faults
        return engine.add(engine.parse({**spec, "partition": self.client_id}))

    def clear_faults(self) -> None:
        """Disarm the account's faults."""
        self.backend.faults.clear(self.client_id)

    def history(self, after_seq: int = 0) -> list[Change]:
        """The changes made to the account, oldest first."""
        return self.backend.history(self.client_id, after_seq)

    def subscribe(
        self,
        list_id: int,
        address: str,
        *,
        values: Mapping[int, str] | None = None,
        external_id: str | None = None,
        double_opt_in: bool = False,
    ) -> UpsertResult:
        """Subscribe (or resubscribe) an address to a list; `double_opt_in=True` makes a new contact
        pending until `confirm`, as `sendDoubleOptIn=true` does."""
        return self.backend.subscribe(
            self.client_id, list_id, address, values=values, external_id=external_id, double_opt_in=double_opt_in
        )

    def confirm(self, list_id: int, address: str) -> Contact:
        """A pending contact clicks its double opt-in link: it becomes Subscribed now."""
        return self.backend.confirm(self.client_id, list_id, address)

    def ban(self, *addresses: str) -> Suppressions:
        """Ban addresses in this account: subscribing them is refused with ERROR_BANNED_EMAIL_ADDRESS."""
        return self.backend.add_suppressions(self.client_id, banned=addresses)

    def suppress(self, *addresses: str) -> Suppressions:
        """Suppress addresses in this account: subscribing them is refused with ERROR_SUPPRESSED_EMAIL."""
        return self.backend.add_suppressions(self.client_id, suppressed=addresses)

    def lift(self, *addresses: str) -> Suppressions:
        """Lift the bans and suppressions of addresses."""
        return self.backend.lift_suppressions(self.client_id, banned=addresses, suppressed=addresses)

    def clear_suppressions(self) -> Suppressions:
        """Lift every ban and suppression of this account."""
        return self.backend.clear_suppressions(self.client_id)

    def suppressions(self) -> Suppressions:
        """This account's banned and suppressed addresses."""
        return self.backend.suppressions(self.client_id)

    def unsubscribe(self, list_id: int, address: str) -> UpsertResult:
        """Unsubscribe a subscribed contact."""
        return self.backend.unsubscribe(self.client_id, list_id, address)

    def set_field_values(self, list_id: int, address: str, values: Mapping[int, str]) -> UpsertResult:
        """Set (or, with `""`, clear) profile values of a contact."""
        return self.backend.set_field_values(self.client_id, list_id, address, values)

    def contacts(self, list_id: int, subscribed: bool | None = None) -> list[Contact]:
        """Copies of a list's contacts."""
        return self.backend.contacts(self.client_id, list_id, subscribed)

    def contact(self, list_id: int, address: str) -> Contact | None:
        """A copy of one contact, None if the address is not on the list."""
        return self.backend.contact(self.client_id, list_id, address)

    def state(self) -> dict[str, Any]:
        """The account's state as JSON (what `GET /_fake/state` answers)."""
        return self.backend.dump(self.client_id)

    def __repr__(self) -> str:
        return f"<ListrakAccount {self.client_id}>"


class FakeListrak(Served, ListrakAccount):
    """A fake Listrak on 127.0.0.1 (`with FakeListrak() as lr: lr.url, lr.seed(...)`), acting as its
    default account; `account()` adds more."""

    title = "the fake Listrak"

    def __init__(
        self,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        clock: Clock | None = None,
        token_lifetime: int = 3599,
        page_size_cap: int | None = None,
        fault_seed: int = 0,
        backend: ListrakBackend | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        threads: int = 8,
    ) -> None:
        self._backend = backend or ListrakBackend(
            clock, token_lifetime=token_lifetime, page_size_cap=page_size_cap, fault_seed=fault_seed
        )
        client = self._backend.register_client(client_id, client_secret)
        super().__init__(self, client.client_id, client.client_secret)
        self.app = create_app(self._backend, {"CLIENT_ID": client.client_id})
        self.server = ServerThread(self.app, host=host, port=port, threads=threads)

    @property
    def backend(self) -> ListrakBackend:
        """The backend behind the server and the transport."""
        return self._backend

    @property
    def clock(self) -> Clock:
        """The fake's clock."""
        return self._backend.clock

    def now(self) -> datetime:
        """The fake's current time."""
        return self._backend.now()

    def advance(self, seconds: float) -> datetime:
        """Move the fake's (manual) clock forward."""
        return self._backend.advance_clock(seconds)

    def account(self, client_id: str | None = None, client_secret: str | None = None) -> ListrakAccount:
        """Register another client (random credentials by default) and return its account."""
        client = self._backend.register_client(client_id, client_secret)
        return ListrakAccount(self, client.client_id, client.client_secret)

    @property
    def auth_url(self) -> str:
        return self.url + TOKEN_PATH

    @property
    def api_url(self) -> str:
        return self.url + API_PREFIX

    def reset_all(self) -> None:
        """Empty every account (clients stay registered)."""
        self._backend.reset()

    def __repr__(self) -> str:
        where = self.server.url if self._started else "not serving"
        return f"<FakeListrak {where} client={self.client_id}>"
