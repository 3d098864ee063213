"""The fake Listrak's state and operations, with no web framework: what the Flask views and the
in-process harness both call.

State is partitioned by OAuth client id: each registered client is an account with its own
lists, profile fields, contacts, settings and faults, so parallel tests can share one server
without sharing data. Methods are named after the API operations they back (`get_lists`,
`upsert_contact`, ...), take the client id first, and raise the typed errors of `exceptions`.
Every change is recorded in the history with who made it and when on the fake's clock.
Besides its lists, an account holds its banned and suppressed addresses, which no list may
subscribe (see `upsert_contact`).
One re-entrant lock serialises everything; the operations are short and the GIL would
serialise them anyway.
"""

from __future__ import annotations

import copy
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from operator import attrgetter
from typing import Any

from harness.fakekit.clock import Clock, SystemClock
from harness.fakekit.faults import BUILTIN_ACTIONS, FaultEngine

from . import render
from .dates import format_listrak
from .exceptions import (
    AdminRequestError,
    BannedEmailAddress,
    BannedNewEmailAddress,
    ChangeAddressContactUnsubscribed,
    ChangeAddressWithEvents,
    ChangeAddressWithSegmentationData,
    ClockNotSettable,
    ContactNotPending,
    InvalidCredentials,
    InvalidParameter,
    NotSubscribedEmailAddress,
    PendingEmailAddress,
    PendingNewEmailAddress,
    ResourceNotFound,
    SeedError,
    SubscribedNewEmailAddress,
    SuppressedEmail,
    SuppressedNewEmail,
    TooManySegmentationFields,
    Unauthorized,
    UnknownClient,
    UnsubscribedEmailAddress,
    UnsubscribedNewEmailAddress,
    UnsubscribeWithEvents,
    UnsubscribeWithSegmentationData,
    UpdateUnsubscribeWithEvents,
)
from .models import (
    METHOD_ADMINISTRATOR,
    METHOD_CONTACT,
    METHOD_DOUBLE_OPT_IN,
    SUBSCRIBED,
    UNSUBSCRIBED,
    Change,
    Client,
    Contact,
    ContactList,
    ContactPage,
    ContactQuery,
    ContactUpsert,
    Field,
    FieldGroup,
    Settings,
    Suppressions,
    UpsertResult,
    address_list,
    check_address,
    pack_values,
    unpack_values,
)
from .paging import decode_cursor, encode_cursor
from .seed import ListPlan, SeedPlan, SeedSummary, build_contacts, parse_seed
from .store import ListStore, address_key
from .tokens import Token, TokenStore

__all__ = ["FAULT_ACTIONS", "MAX_PAGE_SIZE", "MAX_SEGMENTATION_FIELDS", "ListrakBackend", "check_address"]

MAX_PAGE_SIZE = 5000
MAX_SEGMENTATION_FIELDS = 30
# `revoke_tokens` revokes the partition's tokens, then lets the request go on (to its 401).
FAULT_ACTIONS = BUILTIN_ACTIONS | {"revoke_tokens"}
UPDATE_TYPES = ("Update", "Append", "Overwrite")

_NOT_GIVEN: Any = object()


class _Interner:
    """Shares equal strings (field values, dates) between contacts, up to a bounded table."""

    __slots__ = ("cap", "table")

    def __init__(self, cap: int = 1 << 16) -> None:
        self.table: dict[str, str] = {}
        self.cap = cap

    def __call__(self, text: str) -> str:
        found = self.table.get(text)
        if found is not None:
            return found
        if len(self.table) < self.cap:
            self.table[text] = text
        return text


@dataclass(slots=True)
class _ListState:
    info: ContactList
    groups: dict[int, FieldGroup] = field(default_factory=dict)
    fields: dict[int, Field] = field(default_factory=dict)
    contacts: ListStore = field(init=False)

    def __post_init__(self) -> None:
        self.contacts = ListStore(self.info.list_id)


@dataclass(slots=True)
class _Account:
    client: Client
    settings: Settings | None = None
    lists: dict[int, _ListState] = field(default_factory=dict)
    next_list_id: int = 1
    next_group_id: int = 1
    next_field_id: int = 1
    next_import_id: int = 1
    # Lower-case address -> the address as given; insertion-ordered, so dumps keep the order.
    banned: dict[str, str] = field(default_factory=dict)
    suppressed: dict[str, str] = field(default_factory=dict)

    def take_id(self, kind: str, wanted: int | None, taken: Callable[[int], bool]) -> int:
        """`wanted` if given (the caller checked it is free), else the next free id of `kind`."""
        attr = f"next_{kind}_id"
        if wanted is not None:
            setattr(self, attr, max(getattr(self, attr), wanted + 1))
            return wanted
        candidate = getattr(self, attr)
        while taken(candidate):
            candidate += 1
        setattr(self, attr, candidate + 1)
        return candidate


class ListrakBackend:
    """Every account of the fake Listrak, its tokens, clock, settings, faults and history."""

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        token_lifetime: int = 3599,
        page_size_cap: int | None = None,
        fault_seed: int = 0,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.defaults = Settings(token_lifetime=token_lifetime, page_size_cap=page_size_cap)
        self._initial_defaults = replace(self.defaults)
        self.tokens = TokenStore(self.clock)
        self.faults = FaultEngine(self.clock, seed=fault_seed, actions=FAULT_ACTIONS)
        self._lock = threading.RLock()
        self._accounts: dict[str, _Account] = {}
        self._history: list[Change] = []
        self._history_seq = 0
        self._intern = _Interner()

    # -- clients and tokens ---------------------------------------------------------------
    def register_client(self, client_id: str | None = None, client_secret: str | None = None) -> Client:
        """Register (or re-key) a client; its account starts empty. Ids and secrets default to random."""
        for name, value in (("clientId", client_id), ("clientSecret", client_secret)):
            if value is not None and (not isinstance(value, str) or not value or len(value) > 256):
                raise AdminRequestError(f"{name} must be a non-empty string of at most 256 characters; got {value!r}")
        client_id = client_id or "fake-" + secrets.token_hex(8)
        client_secret = client_secret or secrets.token_urlsafe(24)
        with self._lock:
            account = self._accounts.get(client_id)
            if account is None:
                account = self._accounts[client_id] = _Account(Client(client_id, client_secret))
            else:
                account.client = Client(client_id, client_secret)
            self._record(client_id, "admin", "client.register")
            return account.client

    def unregister_client(self, client_id: str) -> None:
        """Forget a client: its account, tokens, faults and history go."""
        with self._lock:
            self._get_account(client_id)
            del self._accounts[client_id]
            self._forget(client_id)

    def clients(self) -> list[Client]:
        """The registered clients."""
        with self._lock:
            return [a.client for a in self._accounts.values()]

    def issue_token(self, client_id: str | None, client_secret: str | None) -> Token:
        """`POST /OAuth2/Token`: a token for valid client credentials, else InvalidCredentials."""
        with self._lock:
            account = self._accounts.get(client_id or "")
            if (
                account is None
                or client_secret is None
                or not secrets.compare_digest(account.client.client_secret.encode(), client_secret.encode())
            ):
                raise InvalidCredentials()
            lifetime = self._settings(account).token_lifetime
        return self.tokens.issue(account.client.client_id, lifetime)

    def authenticate(self, token: str | None) -> str:
        """The client id a bearer token stands for; Unauthorized if it is missing, unknown or expired."""
        client_id = self.tokens.resolve(token) if token else None
        if client_id is None or client_id not in self._accounts:
            raise Unauthorized()
        return client_id

    def revoke_tokens(self, client_id: str | None = None) -> int:
        """Revoke every token (of one client, or of all); returns how many were live or expired."""
        count = self.tokens.revoke(client_id)
        self._record(client_id or "*", "admin", "tokens.revoke", count=count)
        return count

    # -- settings and clock ---------------------------------------------------------------
    def settings(self, client_id: str | None = None) -> Settings:
        """The settings in force for a client (its own, else the defaults), or the defaults."""
        with self._lock:
            if client_id is None:
                return replace(self.defaults)
            return replace(self._settings(self._get_account(client_id)))

    def update_settings(
        self,
        client_id: str | None = None,
        *,
        token_lifetime: int | None = _NOT_GIVEN,
        page_size_cap: int | None = _NOT_GIVEN,
    ) -> Settings:
        """Change the defaults, or one client's settings; `page_size_cap=None` removes the cap."""
        if token_lifetime is not _NOT_GIVEN and (
            isinstance(token_lifetime, bool) or not isinstance(token_lifetime, int) or token_lifetime < 1
        ):
            raise AdminRequestError(f"tokenLifetime must be a whole number of seconds >= 1; got {token_lifetime!r}")
        if (
            page_size_cap is not _NOT_GIVEN
            and page_size_cap is not None
            and (isinstance(page_size_cap, bool) or not isinstance(page_size_cap, int) or page_size_cap < 1)
        ):
            raise AdminRequestError(f"pageSizeCap must be null or a whole number >= 1; got {page_size_cap!r}")
        with self._lock:
            if client_id is None:
                target = self.defaults
            else:
                account = self._get_account(client_id)
                if account.settings is None:
                    account.settings = replace(self.defaults)
                target = account.settings
            if token_lifetime is not _NOT_GIVEN:
                target.token_lifetime = token_lifetime
            if page_size_cap is not _NOT_GIVEN:
                target.page_size_cap = page_size_cap
            self._record(client_id or "*", "admin", "settings.update", **target.to_json())
            return replace(target)

    def now(self) -> datetime:
        """The fake's current time."""
        return self.clock.now()

    def set_clock(self, when: datetime) -> datetime:
        """Jump the clock (a ManualClock) to `when`; ClockNotSettable on the system clock."""
        setter = getattr(self.clock, "set", None)
        if setter is None:
            raise ClockNotSettable()
        setter(when)
        return self.clock.now()

    def advance_clock(self, seconds: float) -> datetime:
        """Move the clock (a ManualClock) forward; ClockNotSettable on the system clock."""
        advance = getattr(self.clock, "advance", None)
        if advance is None:
            raise ClockNotSettable()
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds >= 0:
            raise AdminRequestError(f"seconds must be a number >= 0; got {seconds!r}")
        advance(seconds)
        return self.clock.now()

    # -- lists ----------------------------------------------------------------------------
    def get_lists(self, client_id: str) -> list[ContactList]:
        """`GET /List`: every list of the account, by id."""
        with self._lock:
            account = self._get_account(client_id)
            return [replace(s.info) for _, s in sorted(account.lists.items())]

    def get_list(self, client_id: str, list_id: int) -> ContactList:
        """`GET /List/{listId}`."""
        with self._lock:
            return replace(self._list(client_id, list_id).info)

    def create_list(self, client_id: str, new: ContactList, *, actor: str = "api") -> ContactList:
        """`POST /List`: a new list from `new` (its id and create date are assigned)."""
        with self._lock:
            account = self._get_account(client_id)
            return replace(self._create_list(account, new, None, actor).info)

    def update_list(self, client_id: str, list_id: int, new: ContactList, *, actor: str = "api") -> ContactList:
        """`PUT /List/{listId}`: replace the list's writable fields with `new`'s."""
        with self._lock:
            state = self._list(client_id, list_id)
            state.info = replace(new, list_id=list_id, create_date=state.info.create_date)
            self._record(client_id, actor, "list.update", list_id, name=new.list_name)
            return replace(state.info)

    def delete_list(self, client_id: str, list_id: int, *, actor: str = "api") -> None:
        """`DELETE /List/{listId}`: the list goes, with its fields and contacts."""
        with self._lock:
            self._list(client_id, list_id)
            del self._get_account(client_id).lists[list_id]
            self._record(client_id, actor, "list.delete", list_id)

    # -- profile field groups and fields --------------------------------------------------
    def get_field_groups(self, client_id: str, list_id: int) -> list[FieldGroup]:
        """`GET /List/{listId}/SegmentationFieldGroup`."""
        with self._lock:
            state = self._list(client_id, list_id)
            return [replace(g) for _, g in sorted(state.groups.items())]

    def get_field_group(self, client_id: str, list_id: int, group_id: int) -> FieldGroup:
        """`GET /List/{listId}/SegmentationFieldGroup/{segmentationFieldGroupId}`."""
        with self._lock:
            return replace(self._group(client_id, list_id, group_id))

    def create_field_group(self, client_id: str, list_id: int, group: FieldGroup, *, actor: str = "api") -> FieldGroup:
        """`POST /List/{listId}/SegmentationFieldGroup` (the id is assigned)."""
        with self._lock:
            account = self._get_account(client_id)
            state = self._list(client_id, list_id)
            return replace(self._create_group(account, state, group, None, actor))

    def update_field_group(
        self, client_id: str, list_id: int, group_id: int, group: FieldGroup, *, actor: str = "api"
    ) -> FieldGroup:
        """`PUT /List/{listId}/SegmentationFieldGroup/{segmentationFieldGroupId}`."""
        with self._lock:
            current = self._group(client_id, list_id, group_id)
            current.name = group.name
            current.position = group.position
            self._record(client_id, actor, "group.update", list_id, groupId=group_id, name=group.name)
            return replace(current)

    def delete_field_group(self, client_id: str, list_id: int, group_id: int, *, actor: str = "api") -> None:
        """`DELETE /List/{listId}/SegmentationFieldGroup/{segmentationFieldGroupId}`, with its fields."""
        with self._lock:
            self._group(client_id, list_id, group_id)
            state = self._list(client_id, list_id)
            for field_id in [f.field_id for f in state.fields.values() if f.group_id == group_id]:
                self._drop_field(state, field_id)
            del state.groups[group_id]
            self._record(client_id, actor, "group.delete", list_id, groupId=group_id)

    def get_fields(self, client_id: str, list_id: int, group_id: int) -> list[Field]:
        """`GET /List/{listId}/SegmentationFieldGroup/{segmentationFieldGroupId}/SegmentationField`."""
        with self._lock:
            self._group(client_id, list_id, group_id)
            state = self._list(client_id, list_id)
            return [replace(f) for _, f in sorted(state.fields.items()) if f.group_id == group_id]

    def get_field(self, client_id: str, list_id: int, group_id: int, field_id: int) -> Field:
        """`GET .../SegmentationField/{segmentationFieldId}`."""
        with self._lock:
            return replace(self._field(client_id, list_id, group_id, field_id))

    def create_field(self, client_id: str, list_id: int, group_id: int, new: Field, *, actor: str = "api") -> Field:
        """`POST .../SegmentationField` (the id is assigned)."""
        with self._lock:
            account = self._get_account(client_id)
            self._group(client_id, list_id, group_id)
            state = self._list(client_id, list_id)
            return replace(self._create_field(account, state, group_id, new, None, actor))

    def update_field(
        self, client_id: str, list_id: int, group_id: int, field_id: int, new: Field, *, actor: str = "api"
    ) -> Field:
        """`PUT .../SegmentationField/{segmentationFieldId}`; stored values are not re-checked."""
        with self._lock:
            current = self._field(client_id, list_id, group_id, field_id)
            current.name = new.name
            current.data_type = new.data_type
            current.max_length = new.max_length
            current.position = new.position
            self._record(client_id, actor, "field.update", list_id, fieldId=field_id, name=new.name)
            return replace(current)

    def delete_field(self, client_id: str, list_id: int, group_id: int, field_id: int, *, actor: str = "api") -> None:
        """`DELETE .../SegmentationField/{segmentationFieldId}`: the field and its values go.

        Dropping a field's values is a change of the list's schema, not of its contacts: their
        place in the paging order does not move.
        """
        with self._lock:
            self._field(client_id, list_id, group_id, field_id)
            self._drop_field(self._list(client_id, list_id), field_id)
            self._record(client_id, actor, "field.delete", list_id, fieldId=field_id)

    # -- contacts -------------------------------------------------------------------------
    def get_contacts(self, client_id: str, list_id: int, query: ContactQuery) -> ContactPage:
        """`GET /List/{listId}/Contact`: one page, in change order (see `paging` for the guarantee)."""
        if len(query.field_ids) > MAX_SEGMENTATION_FIELDS:
            raise TooManySegmentationFields(len(query.field_ids), MAX_SEGMENTATION_FIELDS)
        if not 1 <= query.count <= MAX_PAGE_SIZE:
            raise InvalidParameter("count")
        with self._lock:
            account = self._get_account(client_id)
            state = self._list(client_id, list_id)
            fields_ = self._requested_fields(state, query.field_ids)
            after = decode_cursor(query.cursor, list_id, query.subscribed)
            count = query.count
            cap = self._settings(account).page_size_cap
            if cap is not None:
                count = min(count, cap)
            lane = state.contacts.lanes[query.subscribed]
            found, next_after = lane.scan(after, count, _contact_filter(query))
            rows = render.contact_rows(found, fields_)
        cursor = None if next_after is None else encode_cursor(list_id, query.subscribed, next_after)
        return ContactPage(rows, cursor)

    def get_contact(self, client_id: str, list_id: int, identifier: str, field_ids: Iterable[int] = ()) -> bytes:
        """`GET /List/{listId}/Contact/{contactIdentifier}` (address or emailKey), as JSON text."""
        field_ids = list(field_ids)
        if len(field_ids) > MAX_SEGMENTATION_FIELDS:
            raise TooManySegmentationFields(len(field_ids), MAX_SEGMENTATION_FIELDS)
        with self._lock:
            state = self._list(client_id, list_id)
            fields_ = self._requested_fields(state, field_ids)
            contact = state.contacts.find_identifier(identifier)
            if contact is None:
                raise ResourceNotFound("listId", "contactIdentifier")
            return render.contact_rows([contact], fields_)[0]

    def contact(self, client_id: str, list_id: int, address: str) -> Contact | None:
        """A copy of the contact with this address (case-insensitive), None if there is none."""
        with self._lock:
            found = self._list(client_id, list_id).contacts.find(address)
            return None if found is None else _snapshot(found)

    def contacts(self, client_id: str, list_id: int, subscribed: bool | None = None) -> list[Contact]:
        """Copies of a list's contacts (all, or those of one listing), in creation order.

        A pending contact is in neither listing, so only `subscribed=None` includes it.
        """
        with self._lock:
            store = self._list(client_id, list_id).contacts
            return [_snapshot(c) for c in store if subscribed is None or c.lane == subscribed]

    def email_key(self, client_id: str, list_id: int, address: str) -> str:
        """The emailKey of a contact; ResourceNotFound if the address is not on the list."""
        with self._lock:
            store = self._list(client_id, list_id).contacts
            found = store.find(address)
            if found is None:
                raise ResourceNotFound("listId", "contactIdentifier")
            return store.email_key(found)

    def upsert_contact(
        self, client_id: str, list_id: int, upsert: ContactUpsert, *, actor: str = "api"
    ) -> UpsertResult:
        """`POST /List/{listId}/Contact`: create (201) or update (200) one contact, as Listrak does.

        A new contact is subscribed (an `Unsubscribed` state for it is an error), or, with
        `send_double_opt_in`, pending until `confirm` (no subscribe date or method until then).
        On an existing one, `Unsubscribed` unsubscribes it (keeping its subscribe date; a pending
        contact is not a subscriber to unsubscribe), `Subscribed` on an unsubscribed contact needs
        `override_unsubscribe` and resubscribes it (method Administrator, unsubscribe fields
        cleared, `resubscribeDate` set, original subscribe date kept; double opt-in is for new
        contacts only), `Subscribed` on a pending one is refused; otherwise its external id and
        profile values are updated per `update_type`, whatever its state.

        Only *subscribing* is refused for a banned or suppressed address: creating a contact
        (pending or not) and resubscribing one; the account-level refusal comes before the list's
        own (so a banned, unsubscribed contact gets the banned error). Updates of a contact that
        is already on the list, including an upsert of a subscribed contact with `Subscribed`,
        go on as before the address was banned or suppressed, and banning changes no contact.
        """
        address = check_address(upsert.email)
        if upsert.subscription_state not in (None, SUBSCRIBED, UNSUBSCRIBED):
            raise InvalidParameter("subscriptionState")
        if upsert.update_type not in UPDATE_TYPES:
            raise InvalidParameter("updateType")
        with self._lock:
            account = self._get_account(client_id)
            state = self._list(client_id, list_id)
            store = state.contacts
            values = self._checked_values(state, upsert.values)
            contact = store.find(address)
            if upsert.new_email is not None:
                return self._change_address(account, state, contact, upsert, actor)
            now = self._now_text()
            method = METHOD_CONTACT if upsert.subscribed_by_contact else METHOD_ADMINISTRATOR
            external = self._external_id(upsert.external_id)
            if contact is None:
                if upsert.subscription_state == UNSUBSCRIBED:
                    raise NotSubscribedEmailAddress()
                _refuse_subscribing(account, address)
                self._check_events(state, upsert.event_ids)
                if upsert.send_double_opt_in:
                    contact = Contact(address, address_key(address), 0, 0, False, None, pending=True)
                    action = "contact.pending"
                else:
                    contact = Contact(address, address_key(address), 0, 0, True, now, subscribe_method=method)
                    action = "contact.subscribe"
                if external:
                    contact.external_id = external
                _apply_values(contact, values, "Overwrite", state.fields, self._intern)
                store.add(contact)
                self._record(client_id, actor, action, list_id, contact.address, **_detail(upsert))
                return UpsertResult(True, contact.address)
            was = contact.lane
            if upsert.subscription_state == UNSUBSCRIBED:
                if values:
                    raise UnsubscribeWithSegmentationData()
                if upsert.event_ids:
                    raise UnsubscribeWithEvents()
                if contact.pending:
                    raise NotSubscribedEmailAddress()
                if not was:
                    raise UnsubscribedEmailAddress()
                contact.subscribed = False
                contact.unsubscribe_date = now
                contact.unsubscribe_method = METHOD_ADMINISTRATOR
                if external is not None:
                    contact.external_id = external or None
                action = "contact.unsubscribe"
            elif upsert.subscription_state == SUBSCRIBED and not contact.subscribed:
                _refuse_subscribing(account, contact.address)
                if contact.pending:
                    raise PendingEmailAddress()
                if not upsert.override_unsubscribe:
                    raise UnsubscribedEmailAddress()
                self._check_events(state, upsert.event_ids)
                contact.subscribed = True
                contact.resubscribe_date = now
                contact.subscribe_method = method
                contact.unsubscribe_date = None
                contact.unsubscribe_method = None
                if external is not None:
                    contact.external_id = external or None
                _apply_values(contact, values, upsert.update_type, state.fields, self._intern)
                action = "contact.resubscribe"
            else:
                if upsert.event_ids and was is False:
                    raise UpdateUnsubscribeWithEvents()
                self._check_events(state, upsert.event_ids)
                changed = False
                if external is not None and (external or None) != contact.external_id:
                    contact.external_id = external or None
                    changed = True
                changed |= _apply_values(contact, values, upsert.update_type, state.fields, self._intern)
                if not changed:
                    return UpsertResult(False, contact.address, changed=False)
                action = "contact.update"
            store.changed(contact, was)
            self._record(client_id, actor, action, list_id, contact.address, **_detail(upsert))
            return UpsertResult(False, contact.address)

    def update_contact_fields(
        self,
        client_id: str,
        list_id: int,
        items: list[tuple[str, list[tuple[int, str]]]],
        *,
        actor: str = "api",
    ) -> str:
        """`POST /List/{listId}/Contact/SegmentationField`: set profile values of many contacts.

        Listrak starts list imports; the fake applies them at once and answers an import id.
        Addresses that are not on the list are skipped, as an update-only import would.
        Everything is checked before anything is applied.
        """
        with self._lock:
            account = self._get_account(client_id)
            state = self._list(client_id, list_id)
            checked = [(check_address(address), self._checked_values(state, values)) for address, values in items]
            updated = 0
            for address, values in checked:
                contact = state.contacts.find(address)
                if contact is None:
                    continue
                if _apply_values(contact, values, "Update", state.fields, self._intern):
                    state.contacts.changed(contact, contact.lane)
                    updated += 1
                    self._record(
                        client_id, actor, "contact.update", list_id, contact.address,
                        segmentationFieldValues=[{"segmentationFieldId": f, "value": v} for f, v in values],
                    )  # fmt: skip
            import_id = account.next_import_id
            account.next_import_id += 1
            self._record(client_id, actor, "contact.fields.import", list_id, importId=import_id, updated=updated)
            return str(import_id)

    # -- in-process helpers for the harness (recorded as actor "admin") -------------------
    def subscribe(
        self,
        client_id: str,
        list_id: int,
        address: str,
        *,
        values: Mapping[int, str] | None = None,
        external_id: str | None = None,
        double_opt_in: bool = False,
    ) -> UpsertResult:
        """Subscribe an address (creating it, or resubscribing it with the override); with
        `double_opt_in`, a new contact is pending until `confirm`."""
        upsert = ContactUpsert(
            address,
            SUBSCRIBED,
            external_id,
            list((values or {}).items()),
            override_unsubscribe=True,
            send_double_opt_in=double_opt_in,
        )
        return self.upsert_contact(client_id, list_id, upsert, actor="admin")

    def confirm(self, client_id: str, list_id: int, address: str, *, actor: str = "admin") -> Contact:
        """The contact clicked the link of its double opt-in email: a pending contact becomes Subscribed.

        Its subscribe date is now on the fake's clock and its method DoubleOptIn; like any change,
        it moves to the end of the Subscribed listing. ContactNotPending for a contact that is not
        pending; an address banned or suppressed since is refused as any subscribing is.
        """
        with self._lock:
            account = self._get_account(client_id)
            state = self._list(client_id, list_id)
            contact = state.contacts.find(address)
            if contact is None:
                raise ResourceNotFound("listId", "contactIdentifier")
            if not contact.pending:
                raise ContactNotPending(contact.address, list_id, contact.subscription_state)
            _refuse_subscribing(account, contact.address)
            contact.pending = False
            contact.subscribed = True
            contact.subscribe_date = self._now_text()
            contact.subscribe_method = METHOD_DOUBLE_OPT_IN
            state.contacts.changed(contact, None)
            self._record(client_id, actor, "contact.confirm", list_id, contact.address)
            return _snapshot(contact)

    def unsubscribe(self, client_id: str, list_id: int, address: str) -> UpsertResult:
        """Unsubscribe a subscribed contact, as an administrator would."""
        return self.upsert_contact(client_id, list_id, ContactUpsert(address, UNSUBSCRIBED), actor="admin")

    def set_field_values(self, client_id: str, list_id: int, address: str, values: Mapping[int, str]) -> UpsertResult:
        """Set profile values of an existing contact (`""` clears one); its state is kept."""
        with self._lock:
            if self._list(client_id, list_id).contacts.find(address) is None:
                raise ResourceNotFound("listId", "contactIdentifier")
            upsert = ContactUpsert(address, None, None, list(values.items()))
            return self.upsert_contact(client_id, list_id, upsert, actor="admin")

    # -- banned and suppressed addresses (account-level) ----------------------------------
    def suppressions(self, client_id: str) -> Suppressions:
        """The account's banned and suppressed addresses."""
        with self._lock:
            return _suppressions(self._get_account(client_id))

    def add_suppressions(
        self, client_id: str, banned: Sequence[str] = (), suppressed: Sequence[str] = (), *, actor: str = "admin"
    ) -> Suppressions:
        """Ban and/or suppress addresses (arrays of addresses; case-insensitive, added once).

        Existing contacts keep their state; only subscribing the addresses is refused from now on.
        """
        banned = address_list(banned, "banned")
        suppressed = address_list(suppressed, "suppressed")
        with self._lock:
            account = self._get_account(client_id)
            added = _add_addresses(account, banned, suppressed)
            if added:
                self._record(client_id, actor, "suppression.add", **added)
            return _suppressions(account)

    def lift_suppressions(
        self, client_id: str, banned: Sequence[str] = (), suppressed: Sequence[str] = (), *, actor: str = "admin"
    ) -> Suppressions:
        """Lift bans and/or suppressions of the given addresses (those not held are ignored)."""
        banned = address_list(banned, "banned")
        suppressed = address_list(suppressed, "suppressed")
        with self._lock:
            account = self._get_account(client_id)
            lifted: dict[str, Any] = {}
            for kind, held, addresses in (
                ("banned", account.banned, banned),
                ("suppressed", account.suppressed, suppressed),
            ):
                gone = [held.pop(key) for key in dict.fromkeys(a.lower() for a in addresses) if key in held]
                if gone:
                    lifted[kind] = gone
            if lifted:
                self._record(client_id, actor, "suppression.lift", **lifted)
            return _suppressions(account)

    def clear_suppressions(self, client_id: str, *, actor: str = "admin") -> Suppressions:
        """Lift every ban and suppression of the account."""
        with self._lock:
            held = _suppressions(self._get_account(client_id))
            return self.lift_suppressions(client_id, held.banned, held.suppressed, actor=actor)

    # -- seeding, dump, history, reset ----------------------------------------------------
    def seed(self, client_id: str, document: Any) -> SeedSummary:
        """Load lists, profile fields and contacts from one seed document (see `seed`) in bulk.

        The whole document is checked before anything is loaded, so a bad one changes nothing.
        A contact already on a list is overwritten with its seeded state (and moves to the end
        of the paging order). The history gets one `seed` entry per list, not one per contact,
        and one `suppression.add` entry for the document's banned and suppressed addresses,
        which are added to the account's (seeded contacts are state, not subscribing: a banned
        address may be seeded as subscribed, as a dump of such an account has it).
        """
        started = time.perf_counter()
        plan = parse_seed(document)
        with self._lock:
            account = self._get_account(client_id)
            self._check_plan(account, plan)
            now = self._now_text()
            built = []
            for list_plan in plan.lists:
                existing = account.lists.get(list_plan.list_id) if list_plan.list_id is not None else None
                known = dict(existing.fields) if existing is not None else {}
                for group_plan in list_plan.groups:
                    for field_plan in group_plan.fields:
                        if field_plan.field_id is not None and field_plan.field_id not in known:
                            known[field_plan.field_id] = replace(field_plan.field, field_id=field_plan.field_id)
                built.append(build_contacts(list_plan, known, now, self._intern))
            summary = SeedSummary(client_id)
            for list_plan, contacts in zip(plan.lists, built, strict=True):
                state = self._seed_structure(account, list_plan)
                created, updated = self._load_contacts(state, contacts)
                summary.add(state.info.list_id, created, updated)
                self._record(client_id, "seed", "seed", state.info.list_id, created=created, updated=updated)
            added = _add_addresses(account, plan.banned, plan.suppressed)
            if added:
                self._record(client_id, "seed", "suppression.add", **added)
        summary.seconds = time.perf_counter() - started
        return summary

    def dump(self, client_id: str, list_id: int | None = None) -> dict[str, Any]:
        """The account's whole state as JSON (lists with groups, fields and every contact; the
        banned and suppressed addresses), in the seed document's shape."""
        with self._lock:
            account = self._get_account(client_id)
            lists = []
            for lid, state in sorted(account.lists.items()):
                if list_id is not None and lid != list_id:
                    continue
                all_fields = [f for _, f in sorted(state.fields.items())]
                groups = []
                for gid, group in sorted(state.groups.items()):
                    groups.append(
                        {
                            **render.group_json(group),
                            "segmentationFields": [render.field_json(f) for f in all_fields if f.group_id == gid],
                        }
                    )
                contacts = []
                for contact in state.contacts:
                    shown = [f for f in all_fields if contact.value(f.field_id)]
                    contacts.append(render.contact_dict(contact, lid, shown))
                lists.append({**render.list_json(state.info), "segmentationFieldGroups": groups, "contacts": contacts})
            return {
                "clientId": client_id,
                "settings": self._settings(account).to_json(),
                "now": format_listrak(self.clock.now()),
                "lists": lists,
                **_suppressions(account).to_json(),
            }

    def history(self, client_id: str | None = None, after_seq: int = 0) -> list[Change]:
        """The changes applied (all clients', or one's), oldest first, after the given sequence number."""
        with self._lock:
            return [
                c for c in self._history if c.seq > after_seq and (client_id is None or c.client_id in (client_id, "*"))
            ]

    def reset(self, client_id: str | None = None) -> None:
        """Empty one account (or all): lists, contacts, banned and suppressed addresses, settings,
        tokens, faults and history go; registered clients stay, and the default settings go back
        to those the backend was made with."""
        with self._lock:
            if client_id is None:
                for account in self._accounts.values():
                    self._empty(account)
                self.tokens.revoke()
                self.faults.reset()
                self._history = []
                self._intern = _Interner()
                self.defaults = replace(self._initial_defaults)
                return
            self._empty(self._get_account(client_id))
            self._forget(client_id)

    def counts(self) -> dict[str, int]:
        """How much the fake holds, for the health endpoint."""
        with self._lock:
            lists = [s for a in self._accounts.values() for s in a.lists.values()]
            return {
                "clients": len(self._accounts),
                "lists": len(lists),
                "contacts": sum(len(s.contacts) for s in lists),
            }

    # -- internals ------------------------------------------------------------------------
    def _now_text(self) -> str:
        return self._intern(format_listrak(self.clock.now()))

    def _record(
        self,
        client_id: str,
        actor: str,
        action: str,
        list_id: int | None = None,
        email: str | None = None,
        **detail: Any,
    ) -> None:
        with self._lock:
            self._history_seq += 1
            self._history.append(
                Change(self._history_seq, self.clock.now(), client_id, actor, action, list_id, email, detail)
            )

    def _forget(self, client_id: str) -> None:
        self.tokens.revoke(client_id)
        self.faults.reset(client_id)
        self._history = [c for c in self._history if c.client_id != client_id]

    @staticmethod
    def _empty(account: _Account) -> None:
        account.lists = {}
        account.banned = {}
        account.suppressed = {}
        account.settings = None
        account.next_list_id = account.next_group_id = account.next_field_id = account.next_import_id = 1

    def _settings(self, account: _Account) -> Settings:
        return account.settings or self.defaults

    def _get_account(self, client_id: str) -> _Account:
        account = self._accounts.get(client_id)
        if account is None:
            raise UnknownClient(client_id)
        return account

    def _list(self, client_id: str, list_id: int) -> _ListState:
        state = self._get_account(client_id).lists.get(list_id)
        if state is None:
            raise ResourceNotFound("listId")
        return state

    def _group(self, client_id: str, list_id: int, group_id: int) -> FieldGroup:
        group = self._list(client_id, list_id).groups.get(group_id)
        if group is None:
            raise ResourceNotFound("listId", "segmentationFieldGroupId")
        return group

    def _field(self, client_id: str, list_id: int, group_id: int, field_id: int) -> Field:
        state = self._list(client_id, list_id)
        found = state.fields.get(field_id)
        if group_id not in state.groups or found is None or found.group_id != group_id:
            raise ResourceNotFound("listId", "segmentationFieldGroupId", "segmentationFieldId")
        return found

    def _create_list(self, account: _Account, new: ContactList, list_id: int | None, actor: str) -> _ListState:
        list_id = account.take_id("list", list_id, lambda i: i in account.lists)
        info = replace(new, list_id=list_id, create_date=format_listrak(self.clock.now()))
        state = account.lists[list_id] = _ListState(info)
        self._record(account.client.client_id, actor, "list.create", list_id, name=info.list_name)
        return state

    def _create_group(
        self, account: _Account, state: _ListState, group: FieldGroup, group_id: int | None, actor: str
    ) -> FieldGroup:
        taken = {g for s in account.lists.values() for g in s.groups}
        group_id = account.take_id("group", group_id, taken.__contains__)
        created = state.groups[group_id] = replace(group, group_id=group_id, list_id=state.info.list_id)
        self._record(
            account.client.client_id,
            actor,
            "group.create",
            state.info.list_id,
            groupId=group_id,
            name=group.name,
        )
        return created

    def _create_field(
        self,
        account: _Account,
        state: _ListState,
        group_id: int,
        new: Field,
        field_id: int | None,
        actor: str,
    ) -> Field:
        taken = {f for s in account.lists.values() for f in s.fields}
        field_id = account.take_id("field", field_id, taken.__contains__)
        created = state.fields[field_id] = replace(
            new, field_id=field_id, group_id=group_id, list_id=state.info.list_id
        )
        self._record(
            account.client.client_id,
            actor,
            "field.create",
            state.info.list_id,
            fieldId=field_id,
            groupId=group_id,
            name=new.name,
            dataType=new.data_type,
        )
        return created

    @staticmethod
    def _drop_field(state: _ListState, field_id: int) -> None:
        del state.fields[field_id]
        for contact in state.contacts:
            if contact.values and field_id in contact.values[::2]:
                values = unpack_values(contact.values)
                del values[field_id]
                contact.values = pack_values(values)

    @staticmethod
    def _requested_fields(state: _ListState, field_ids: list[int]) -> list[Field]:
        out = []
        seen = set()
        for field_id in field_ids:
            found = state.fields.get(field_id)
            if found is None:
                raise InvalidParameter("segmentationFieldIds")
            if field_id not in seen:
                seen.add(field_id)
                out.append(found)
        return out

    def _checked_values(self, state: _ListState, values: list[tuple[int, str]]) -> list[tuple[int, str]]:
        out = []
        for field_id, value in values:
            found = state.fields.get(field_id)
            if found is None:
                raise InvalidParameter("segmentationFieldId")
            out.append((field_id, self._intern(found.check(value))))
        return out

    @staticmethod
    def _check_events(state: _ListState, event_ids: list[int]) -> None:
        # The fake emulates no events, so any event id names one the list does not have.
        if event_ids:
            raise InvalidParameter("eventIds")

    @staticmethod
    def _external_id(value: str | None) -> str | None:
        if value is not None and len(value) > 256:
            raise InvalidParameter("externalContactID")
        return value

    def _change_address(
        self, account: _Account, state: _ListState, contact: Contact | None, upsert: ContactUpsert, actor: str
    ) -> UpsertResult:
        if contact is None:
            raise ResourceNotFound("listId", "emailAddress")
        if upsert.values:
            raise ChangeAddressWithSegmentationData()
        if upsert.event_ids:
            raise ChangeAddressWithEvents()
        if contact.pending:
            raise PendingEmailAddress()
        if not contact.subscribed:
            raise ChangeAddressContactUnsubscribed()
        new_address = check_address(upsert.new_email, "newEmailAddress")
        other = state.contacts.find(new_address)
        if other is not contact:
            _refuse_subscribing(account, new_address, new_address=True)
            if other is not None:
                if other.pending:
                    raise PendingNewEmailAddress()
                raise SubscribedNewEmailAddress() if other.subscribed else UnsubscribedNewEmailAddress()
        old = contact.address
        if new_address == old:
            return UpsertResult(False, old, changed=False)
        state.contacts.rename(contact, new_address)
        state.contacts.changed(contact, contact.lane)
        client_id = account.client.client_id
        self._record(client_id, actor, "contact.address", state.info.list_id, new_address, previous=old)
        return UpsertResult(False, new_address)

    def _check_plan(self, account: _Account, plan: SeedPlan) -> None:
        """Refuse ids that collide with another list's groups or fields, before loading anything.

        Another list is one of the account's, or another list of the same document.
        """
        group_owner: dict[int, int | str] = {g: lid for lid, s in account.lists.items() for g in s.groups}
        field_owner: dict[int, int | str] = {f: lid for lid, s in account.lists.items() for f in s.fields}
        for index, list_plan in enumerate(plan.lists):
            # A list without an id is named by its place in the document until it gets one.
            me: int | str = list_plan.list_id if list_plan.list_id is not None else f"lists[{index}]"
            for g_index, group_plan in enumerate(list_plan.groups):
                where = f"lists[{index}].segmentationFieldGroups[{g_index}]"
                if group_plan.group_id is not None:
                    owner = group_owner.setdefault(group_plan.group_id, me)
                    if owner != me:
                        raise SeedError(
                            f"{where}.segmentationFieldGroupId: group {group_plan.group_id} already belongs to "
                            f"{_owner_name(owner)}; group ids are unique in an account"
                        )
                for f_index, field_plan in enumerate(group_plan.fields):
                    if field_plan.field_id is None:
                        continue
                    owner = field_owner.setdefault(field_plan.field_id, me)
                    if owner != me:
                        raise SeedError(
                            f"{where}.segmentationFields[{f_index}].segmentationFieldId: field "
                            f"{field_plan.field_id} already belongs to {_owner_name(owner)}; field ids are unique "
                            "in an account"
                        )

    def _seed_structure(self, account: _Account, plan: ListPlan) -> _ListState:
        state = account.lists.get(plan.list_id) if plan.list_id is not None else None
        if state is None:
            state = self._create_list(account, plan.info, plan.list_id, "seed")
            if not state.info.list_name:
                state.info.list_name = f"List {state.info.list_id}"
        for group_plan in plan.groups:
            group = state.groups.get(group_plan.group_id) if group_plan.group_id is not None else None
            if group is None:
                group = self._create_group(account, state, group_plan.group, group_plan.group_id, "seed")
            for field_plan in group_plan.fields:
                if field_plan.field_id is None or field_plan.field_id not in state.fields:
                    self._create_field(account, state, group.group_id, field_plan.field, field_plan.field_id, "seed")
        return state

    @staticmethod
    def _load_contacts(state: _ListState, contacts: list[Contact]) -> tuple[int, int]:
        store = state.contacts
        by_key = store.by_key
        add = store.add
        created = updated = 0
        for contact in contacts:
            existing = by_key.get(contact.key)
            if existing is None:
                add(contact)
                created += 1
                continue
            was = existing.lane
            for name in _SEEDED_ATTRIBUTES:
                setattr(existing, name, getattr(contact, name))
            store.changed(existing, was)
            updated += 1
        return created, updated


_SEEDED_ATTRIBUTES = tuple(f.name for f in fields(Contact) if f.name not in ("address", "key", "index", "seq", "row"))


def _owner_name(owner: int | str) -> str:
    """`list 7` for a list of the account, `lists[2] of the document` for one the seed creates."""
    return f"list {owner}" if isinstance(owner, int) else f"{owner} of the document"


def _snapshot(contact: Contact) -> Contact:
    return copy.copy(contact)


def _refuse_subscribing(account: _Account, address: str, *, new_address: bool = False) -> None:
    """Raise the documented error if the account banned or suppressed `address` (a ban first).

    `new_address` picks the `_NEW_` codes, for an address a contact is being changed to.
    """
    key = address.lower()
    if key in account.banned:
        raise BannedNewEmailAddress() if new_address else BannedEmailAddress()
    if key in account.suppressed:
        raise SuppressedNewEmail() if new_address else SuppressedEmail()


def _suppressions(account: _Account) -> Suppressions:
    return Suppressions(list(account.banned.values()), list(account.suppressed.values()))


def _add_addresses(account: _Account, banned: list[str], suppressed: list[str]) -> dict[str, Any]:
    """Add checked addresses to the account's; returns those that were new, by kind."""
    added: dict[str, Any] = {}
    for kind, held, addresses in (("banned", account.banned, banned), ("suppressed", account.suppressed, suppressed)):
        for address in addresses:
            key = address.lower()
            if key not in held:
                held[key] = address
                added.setdefault(kind, []).append(address)
    return added


def _detail(upsert: ContactUpsert) -> dict[str, Any]:
    detail: dict[str, Any] = {}
    if upsert.values:
        detail["segmentationFieldValues"] = [{"segmentationFieldId": f, "value": v} for f, v in upsert.values]
        detail["updateType"] = upsert.update_type
    if upsert.external_id is not None:
        detail["externalContactID"] = upsert.external_id
    if upsert.subscribed_by_contact:
        detail["subscribedByContact"] = True
    return detail


def _apply_values(
    contact: Contact,
    values: list[tuple[int, str]],
    update_type: str,
    fields_: Mapping[int, Field],
    intern: Callable[[str], str],
) -> bool:
    """Apply profile values per Listrak's update type; True if the contact's values changed.

    `Update` sets the given fields (`""` clears one) and keeps the others; `Append` adds the
    given text to each field's current value (checked again against the field); `Overwrite`
    replaces all of the contact's values with the given ones.
    """
    before = unpack_values(contact.values)
    after = {} if update_type == "Overwrite" else dict(before)
    for field_id, value in values:
        if update_type == "Append" and value:
            value = intern(fields_[field_id].check(after.get(field_id, "") + value))
        if value:
            after[field_id] = value
        else:
            after.pop(field_id, None)
    if after == before:
        return False
    contact.values = pack_values(after)
    return True


def _contact_filter(query: ContactQuery) -> Callable[[Contact], bool] | None:
    """The predicate for a page's date and external-id filters (None when there are none)."""
    start, end, external = query.start_date, query.end_date, query.external_id
    if start is None and end is None and external is None:
        return None
    if not query.subscribed:
        date_of: Callable[[Contact], str | None] = attrgetter("unsubscribe_date")
        end_inclusive = True
    elif query.use_original_subscribe_date:
        date_of = attrgetter("subscribe_date")
        end_inclusive = True
    else:

        def date_of(c: Contact) -> str | None:
            return c.resubscribe_date or c.subscribe_date

        # Listrak documents the end date as exclusive in this one case.
        end_inclusive = False
    dated = start is not None or end is not None

    def accept(c: Contact) -> bool:
        if external is not None and c.external_id != external:
            return False
        if not dated:
            return True
        when = date_of(c)
        if when is None:
            return False
        if start is not None and when < start:
            return False
        if end is not None:
            return when <= end if end_inclusive else when < end
        return True

    return accept
