"""A Listrak Email API v1 client for the sync: a cached token refreshed once on a 401, retries on
transient failures, and contacts streamed page by page."""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import orjson

from harness.reference.config import ConfigError, SyncConfig
from harness.reference.retry import Retrying

__all__ = ["ListrakClient", "ListrakError"]

# Refresh a little before Listrak says the token expires, so a page request never races it.
TOKEN_MARGIN_S = 60.0
# Until Listrak has answered once, failing to connect is more likely a wrong URL than an outage.
FIRST_CONTACT_DEADLINE_S = 10.0


class ListrakError(Exception):
    """Listrak answered a way the sync cannot go on from (not a transient failure)."""


class ListrakClient:
    """The few Listrak calls a sync makes."""

    def __init__(self, config: SyncConfig, retrying: Retrying, *, tls: ssl.SSLContext | None = None) -> None:
        """`tls`: a TLS context to share with the run's other client (building one costs ~17 ms); None builds one."""
        self._config = config
        self._retrying = retrying
        self._http = httpx.Client(
            transport=config.listrak_transport, timeout=config.request_timeout, verify=True if tls is None else tls
        )
        self._token: str | None = None
        self._token_expires = 0.0
        self._reached = False
        self.requests = 0
        self.token_refreshes = 0

    def close(self) -> None:
        self._http.close()

    def get_list(self, list_id: int) -> dict[str, Any]:
        """The list resource; a clear ConfigError when the account has no such list."""
        body = self._get(f"/List/{list_id}", {}, missing=f"List {list_id} is not in this Listrak account")
        data: dict[str, Any] = body.get("data") or {}
        return data

    def contacts(self, list_id: int, state: str, field_id: int | None) -> Iterator[list[dict[str, Any]]]:
        """Every contact of a list in one subscription state, one page at a time."""
        params: dict[str, Any] = {"subscriptionState": state, "count": self._config.page_size}
        if field_id is not None:
            params["segmentationFieldIds"] = str(field_id)
        cursor: str | None = None
        while True:
            if cursor is not None:
                params["cursor"] = cursor
            body = self._get(
                f"/List/{list_id}/Contact",
                params,
                missing=f"List {list_id} is not in this Listrak account",
                # The only parameter Listrak can refuse here is the configured profile field.
                invalid=None if field_id is None else f"Listrak refused profile field {field_id} of list {list_id}",
            )
            data = body.get("data")
            if not isinstance(data, list):
                raise ListrakError(f"Listrak's contact page for list {list_id} has no data array.")
            yield data
            cursor = body.get("nextPageCursor")
            if not cursor:
                return

    # -- plumbing -------------------------------------------------------------------------
    def _get(self, path: str, params: dict[str, Any], *, missing: str, invalid: str | None = None) -> dict[str, Any]:
        url = self._config.listrak_api_url.rstrip("/") + path
        refreshed = False
        while True:
            # The token endpoint answering says nothing about the API URL: until it answers, fail fast.
            first_contact = None if self.requests else FIRST_CONTACT_DEADLINE_S
            sender = self._sender(url, params, self._bearer())
            response = self._retrying.call(f"GET {path}", sender, connect_deadline=first_contact)
            self.requests += 1
            if response.status_code == 401 and not refreshed:
                # An expired or revoked token: fetch a new one once, then try again.
                self._token = None
                refreshed = True
                continue
            if response.status_code == 404:
                raise ConfigError(f"{missing} (Listrak answered 404 to GET {path}).")
            if response.status_code == 400 and invalid is not None:
                raise ConfigError(f"{invalid}: Listrak answered 400 to GET {path} ({_detail(response).rstrip('.')}).")
            if response.status_code != 200:
                raise ListrakError(f"Listrak answered {response.status_code} to GET {path}: {_detail(response)}")
            body = _json(response, f"GET {path}")
            _release(response)
            return body

    def _sender(self, url: str, params: dict[str, Any], token: str) -> Callable[[], httpx.Response]:
        headers = {"Authorization": f"Bearer {token}"}
        return lambda: self._http.get(url, params=params, headers=headers)

    def _bearer(self) -> str:
        if self._token is None or time.monotonic() >= self._token_expires:
            self._token = self._fetch_token()
        return self._token

    def _fetch_token(self) -> str:
        config = self._config
        form = {
            "grant_type": "client_credentials",
            "client_id": config.listrak_client_id,
            "client_secret": config.listrak_client_secret,
        }
        try:
            response = self._retrying.call(
                "POST OAuth2/Token",
                lambda: self._http.post(config.listrak_auth_url, data=form),
                connect_deadline=None if self._reached else FIRST_CONTACT_DEADLINE_S,
            )
        except httpx.UnsupportedProtocol:
            raise ConfigError(f"The Listrak token URL {config.listrak_auth_url!r} is not an http(s) URL.") from None
        self._reached = True
        if response.status_code in (400, 401):
            raise ConfigError(
                "Listrak rejected the client id and secret "
                f"(HTTP {response.status_code} from {config.listrak_auth_url}: {_detail(response)})."
            )
        if response.status_code != 200:
            raise ListrakError(f"Listrak's token endpoint answered {response.status_code}: {_detail(response)}")
        body = _json(response, "POST OAuth2/Token")
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise ListrakError("Listrak's token endpoint answered 200 without an access_token.")
        lifetime = body.get("expires_in")
        seconds = float(lifetime) if isinstance(lifetime, int | float) else 3599.0
        self._token_expires = time.monotonic() + max(0.0, seconds - TOKEN_MARGIN_S)
        if self.requests or self.token_refreshes:
            self.token_refreshes += 1
        return token


def _release(response: httpx.Response) -> None:
    """Let the page's body go now rather than at the next collection.

    httpx binds a response and its stream to each other (the stream sets `response.elapsed` when it
    closes), so every response is a reference cycle holding its body, a few MB for a page of contacts,
    until the cyclic collector runs; the sync runs that collector rarely (see harness.commands.sync).
    """
    response.stream = httpx.ByteStream(b"")


def _json(response: httpx.Response, what: str) -> dict[str, Any]:
    try:
        body = orjson.loads(response.content)  # a page of 5,000 contacts in half json's time
    except orjson.JSONDecodeError:
        try:  # what orjson refuses and json reads: a byte-order mark, a lone surrogate escape
            body = response.json()
        except ValueError:
            raise ListrakError(f"Listrak answered {what} with a body that is not JSON.") from None
    if not isinstance(body, dict):
        raise ListrakError(f"Listrak answered {what} with JSON that is not an object.")
    return body


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or "(empty body)"
    if isinstance(body, dict):
        return str(body.get("message") or body.get("error") or body)[:200]
    return str(body)[:200]
