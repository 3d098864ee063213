"""Domain objects of the fake Listrak: clients, lists, profile fields, contacts and the change history."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from .dates import format_listrak, parse_listrak
from .exceptions import AdminRequestError, InvalidParameter

__all__ = [
    "BOUNCE_HANDLING",
    "DATA_TYPES",
    "METHOD_ADMINISTRATOR",
    "METHOD_CONTACT",
    "METHOD_DOUBLE_OPT_IN",
    "PENDING",
    "SUBSCRIBED",
    "UNSUBSCRIBED",
    "Change",
    "Client",
    "Contact",
    "ContactList",
    "ContactPage",
    "ContactQuery",
    "ContactUpsert",
    "Field",
    "FieldGroup",
    "PackedValues",
    "Settings",
    "Suppressions",
    "UpsertResult",
    "address_list",
    "check_address",
    "is_address",
    "list_attributes",
    "pack_values",
    "unpack_values",
]

SUBSCRIBED = "Subscribed"
UNSUBSCRIBED = "Unsubscribed"
# The fake's choice for a contact awaiting its double opt-in confirmation, never observed: the
# swagger's Contact.subscriptionState is a free string that documents only Subscribed and
# Unsubscribed, and a pending contact is neither (it is in neither listing). A client that takes
# anything but "Subscribed" as "not subscribed" reads it right; one that takes anything but
# "Unsubscribed" as subscribed is caught out, as it would be by a real pending contact.
PENDING = "Pending"
# Observed: every subscribe/unsubscribe made through the API by an integration reads "Administrator".
METHOD_ADMINISTRATOR = "Administrator"
# The fake's choice for `subscribedByContact=true`, which Listrak documents but was never observed.
METHOD_CONTACT = "Contact"
# The fake's choice for a contact that confirmed a double opt-in; the swagger has no enum of subscribe
# methods, so this follows the PascalCase of its other enums.
METHOD_DOUBLE_OPT_IN = "DoubleOptIn"
DATA_TYPES = ("Text", "Numeric", "RadioButton", "CheckBox", "CommentArea", "Date", "ContentBlock")
BOUNCE_HANDLING = ("None", "Standard", "Aggressive")

_NUMBER = re.compile(r"^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)\s*$")
# What Listrak takes for an address: `local@domain`, no spaces or control characters.
_ADDRESS = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+$")


def is_address(text: str) -> bool:
    """True if Listrak would take `text` as an email address."""
    return len(text) <= 254 and _ADDRESS.match(text) is not None


def check_address(address: Any, parameter: str = "emailAddress") -> str:
    """`address` if Listrak would take it as an email address, else InvalidParameter naming `parameter`."""
    if not isinstance(address, str) or not is_address(address):
        raise InvalidParameter(parameter)
    return address


def address_list(raw: Any, where: str, error: type[AdminRequestError] = AdminRequestError) -> list[str]:
    """`raw` if it is a JSON array (or tuple) of email addresses, else `error` naming where the bad one is."""
    if not isinstance(raw, list | tuple):
        raise error(f"{where}: expected a JSON array of email addresses, got {_shown(raw)}")
    for index, item in enumerate(raw):
        if not isinstance(item, str) or not is_address(item):
            raise error(f"{where}[{index}]: expected an email address, got {_shown(item)}")
    return list(raw)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


@dataclass(slots=True)
class Client:
    """An OAuth client: one Listrak account of the fake, with its own lists and contacts."""

    client_id: str
    client_secret: str


@dataclass(slots=True)
class Settings:
    """Per-client knobs: token lifetime in seconds, and a page-size cap that overrides `count`."""

    token_lifetime: int = 3599
    page_size_cap: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The settings as the admin API shows them."""
        return {"tokenLifetime": self.token_lifetime, "pageSizeCap": self.page_size_cap}


@dataclass(slots=True)
class ContactList:
    """A List resource; attributes are the swagger's, in snake case and in its order."""

    list_id: int
    list_name: str
    folder_id: int = 0
    ip_pool_id: int = 0
    bounce_domain_alias: str | None = None
    bounce_handling: str = "None"
    bounce_unsubscribe_count: int = 0
    create_date: str = "0001-01-01T00:00:00"
    enable_browser_link: bool = False
    enable_double_opt_in: bool = False
    enable_dynamic_content: bool = False
    enable_google_analytics: bool = False
    enable_internationalization: bool = False
    enable_list_hygiene: bool = False
    enable_list_removal_header: bool = False
    enable_list_removal_link: bool = False
    enable_listrak_analytics: bool = False
    enable_spam_score_personalization: bool = False
    enable_to_name_personalization: bool = False
    enable_universal_email_key_setting: bool = False
    from_email: str | None = None
    from_name: str | None = None
    google_tracking_domains: list[str] | None = None
    link_domain_alias: str | None = None
    media_domain_alias: str | None = None


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def list_attributes() -> list[tuple[str, str, str]]:
    """(JSON name, attribute, kind) of every List field; kind is `str`, `int`, `bool`, `list` or `str?`."""
    out = []
    for f in fields(ContactList):
        kind = str(f.type).replace(" ", "")
        kinds = {"int": "int", "str": "str", "bool": "bool", "str|None": "str?", "list[str]|None": "list"}
        out.append((_camel(f.name), f.name, kinds[kind]))
    return out


@dataclass(slots=True)
class FieldGroup:
    """A profile field group of one list."""

    group_id: int
    list_id: int
    name: str
    position: int


@dataclass(slots=True)
class Field:
    """A profile ("segmentation") field of one list; `check` enforces its data type and length."""

    field_id: int
    group_id: int
    list_id: int
    name: str
    data_type: str
    max_length: int
    position: int

    def check(self, value: str, parameter: str = "segmentationFieldValues") -> str:
        """`value` as it is stored, or InvalidParameter when the field's type or length refuses it."""
        if value == "":
            return value
        if len(value) > self.max_length:
            raise InvalidParameter(parameter)
        kind = self.data_type
        if kind == "Numeric":
            if not _NUMBER.match(value):
                raise InvalidParameter(parameter)
        elif kind in ("CheckBox", "RadioButton"):
            lowered = value.lower()
            if lowered not in ("on", "off"):
                raise InvalidParameter(parameter)
            return lowered
        elif kind == "Date" and parse_listrak(value) is None:
            raise InvalidParameter(parameter)
        return value


# A contact's profile values packed flat, (field id, value, field id, value, ...): a dict per
# contact would take three times the memory, and a contact has few values.
PackedValues = tuple[int | str, ...]


def pack_values(values: Mapping[int, str]) -> PackedValues | None:
    """Profile values packed for a Contact (empty values dropped; None when none are left)."""
    packed: list[int | str] = []
    for field_id, value in values.items():
        if value:
            packed += (field_id, value)
    return tuple(packed) or None


def unpack_values(packed: PackedValues | None) -> dict[int, str]:
    """Packed profile values as a dict."""
    if not packed:
        return {}
    return {packed[i]: packed[i + 1] for i in range(0, len(packed), 2)}  # type: ignore[misc]


@dataclass(slots=True, eq=False)
class Contact:
    """One address on one list.

    Dates are Listrak-format strings (see `dates`), `key` is the lower-case address that
    identifies the contact on its list, `index` its creation order on the list (behind its
    emailKey) and `seq` the list's change sequence number of its last change (behind paging).
    `values` holds the non-empty profile values, packed (see `pack_values`). `row` is the
    contact rendered as JSON (without field values), kept current by its list's store.
    `pending` marks a contact created with `sendDoubleOptIn=true` that has not confirmed yet:
    it is not `subscribed`, has no subscribe date or method, and is in neither listing.
    """

    address: str
    key: str
    index: int
    seq: int
    subscribed: bool
    subscribe_date: str | None
    resubscribe_date: str | None = None
    subscribe_method: str | None = None
    unsubscribe_date: str | None = None
    unsubscribe_method: str | None = None
    external_id: str | None = None
    values: PackedValues | None = None
    row: bytes = b""
    pending: bool = False

    @property
    def subscription_state(self) -> str:
        """`Subscribed`, `Unsubscribed`, or `Pending` (see PENDING)."""
        if self.pending:
            return PENDING
        return SUBSCRIBED if self.subscribed else UNSUBSCRIBED

    @property
    def lane(self) -> bool | None:
        """The listing the contact is in: True Subscribed, False Unsubscribed, None neither (pending)."""
        return None if self.pending else self.subscribed

    def value(self, field_id: int) -> str:
        """The value of a profile field, `""` when it has none."""
        packed = self.values
        if packed:
            for i in range(0, len(packed), 2):
                if packed[i] == field_id:
                    return packed[i + 1]  # type: ignore[return-value]
        return ""

    def value_map(self) -> dict[int, str]:
        """The contact's non-empty profile values by field id."""
        return unpack_values(self.values)


@dataclass(slots=True)
class Suppressions:
    """An account's banned and suppressed addresses, as given, in the order they were added."""

    banned: list[str] = field(default_factory=list)
    suppressed: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The addresses as the admin API and the state dump show them."""
        return {"banned": list(self.banned), "suppressed": list(self.suppressed)}


@dataclass(slots=True, frozen=True)
class Change:
    """One entry of the history: who changed what, when on the fake's clock.

    `actor` is `api` for a call made with a token of `client_id`, `admin` for the fake's own
    admin API or in-process calls, `seed` for a bulk seed (one entry per seeded list).
    """

    seq: int
    at: datetime
    client_id: str
    actor: str
    action: str
    list_id: int | None = None
    email: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The change as the admin API shows it."""
        return {
            "seq": self.seq,
            "at": format_listrak(self.at),
            "clientId": self.client_id,
            "actor": self.actor,
            "action": self.action,
            "listId": self.list_id,
            "emailAddress": self.email,
            "detail": self.detail,
        }


@dataclass(slots=True)
class ContactUpsert:
    """A create-or-update of one contact: the body and query of `POST /List/{listId}/Contact`.

    `subscription_state` None means "keep the state" for an existing contact and `Subscribed`
    for a new one; `external_id` None leaves it as it is; `values` are (field id, value) pairs;
    `send_double_opt_in` makes a new contact pending instead of subscribed.
    """

    email: str
    subscription_state: str | None = None
    external_id: str | None = None
    values: list[tuple[int, str]] = field(default_factory=list)
    override_unsubscribe: bool = False
    subscribed_by_contact: bool = False
    send_double_opt_in: bool = False
    update_type: str = "Update"
    event_ids: list[int] = field(default_factory=list)
    new_email: str | None = None


@dataclass(slots=True)
class UpsertResult:
    """What an upsert did: `created` (201) or updated (200), and the address it answers with."""

    created: bool
    resource_id: str
    changed: bool = True


@dataclass(slots=True)
class ContactQuery:
    """The query of `GET /List/{listId}/Contact`; dates are Listrak-format strings (see `dates`)."""

    subscribed: bool = True
    cursor: str = "Start"
    count: int = 1000
    start_date: str | None = None
    end_date: str | None = None
    use_original_subscribe_date: bool = True
    external_id: str | None = None
    field_ids: list[int] = field(default_factory=list)


@dataclass(slots=True)
class ContactPage:
    """One page of contacts, already rendered as JSON objects (taken under the backend's lock, so
    every row is a consistent snapshot), and the cursor of the next page (None at the end)."""

    rows: list[bytes]
    next_cursor: str | None
