"""The contacts of one list, indexed by address, by creation order (emailKey) and by change order."""

from __future__ import annotations

from collections.abc import Iterator

from .keys import decode_email_key, email_key
from .models import Contact
from .paging import Lane
from .render import contact_row

__all__ = ["ListStore", "address_key"]


def address_key(address: str) -> str:
    """The identity of an address on a list: its lower case (sharing the string when it already is)."""
    lowered = address.lower()
    return address if lowered == address else lowered


class ListStore:
    """A list's contacts. Contacts are never removed (Listrak keeps unsubscribed ones); a list's
    deletion drops its whole store. A pending contact (see `Contact.pending`) is in no lane."""

    __slots__ = ("by_index", "by_key", "lanes", "list_id", "seq")

    def __init__(self, list_id: int) -> None:
        self.list_id = list_id
        self.by_key: dict[str, Contact] = {}
        self.by_index: list[Contact] = []
        # lanes[False] holds the unsubscribed contacts, lanes[True] the subscribed ones.
        self.lanes = (Lane(), Lane())
        self.seq = 0

    def __len__(self) -> int:
        return len(self.by_index)

    def __iter__(self) -> Iterator[Contact]:
        return iter(self.by_index)

    def count(self, subscribed: bool) -> int:
        """How many contacts are in the given state."""
        return self.lanes[subscribed].live

    def find(self, address: str) -> Contact | None:
        """The contact with this address (case-insensitive), if any."""
        return self.by_key.get(address.lower())

    def find_identifier(self, identifier: str) -> Contact | None:
        """The contact an address or an emailKey of this list names, if any."""
        contact = self.by_key.get(identifier.lower())
        if contact is not None:
            return contact
        decoded = decode_email_key(identifier)
        if decoded is None or decoded[0] != self.list_id or decoded[1] >= len(self.by_index):
            return None
        return self.by_index[decoded[1]]

    def email_key(self, contact: Contact) -> str:
        """The contact's emailKey."""
        return email_key(self.list_id, contact.index)

    def add(self, contact: Contact) -> Contact:
        """Store a new contact (its `key` must be free), giving it its index and the next `seq`."""
        contact.index = len(self.by_index)
        self.seq += 1
        contact.seq = self.seq
        contact.row = contact_row(contact, self.list_id)
        self.by_index.append(contact)
        self.by_key[contact.key] = contact
        if not contact.pending:
            self.lanes[contact.subscribed].append(contact)
        return contact

    def changed(self, contact: Contact, was_lane: bool | None) -> None:
        """Record that `contact` changed (it was in lane `was_lane`, its `Contact.lane` before the
        change): it is rendered again and moves to the end of the order of its current lane."""
        # The new seq first, so that a compaction triggered by `retire` sees the old entry as dead.
        self.seq += 1
        contact.seq = self.seq
        contact.row = contact_row(contact, self.list_id)
        if was_lane is not None:
            self.lanes[was_lane].retire()
        if not contact.pending:
            self.lanes[contact.subscribed].append(contact)

    def rename(self, contact: Contact, address: str) -> None:
        """Give `contact` a new address (the new key must be free); the caller records the change."""
        del self.by_key[contact.key]
        contact.address = address
        contact.key = address_key(address)
        self.by_key[contact.key] = contact
