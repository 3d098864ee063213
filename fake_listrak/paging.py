"""Contacts in change order, and the opaque cursor that pages through them.

Each list numbers its changes: creating a contact, and every later change to it (subscription
state, dates, external id, profile values, address), gives the contact the list's next *change
sequence number* (`seq`). A list keeps one *lane* per subscription state: the contacts in that
state, in ascending `seq`. A change appends the contact to the lane of its new state and leaves
its old entry behind as a tombstone (an entry whose `seq` is no longer the contact's), which
scans skip and compaction removes; compaction keeps every live entry's `seq`, so cursors stay
valid across it.

`GET /List/{listId}/Contact` scans one lane from a cursor. The cursor encodes the list, the lane
and a sequence number `after`: the page holds the first `count` live, matching entries with
`seq > after`, and the next cursor is set just below the `seq` of the next matching entry
(`null` when there is none).

The guarantee, for a scan that starts at `Start` and follows `nextPageCursor` to `null`:

- every contact that is in the lane's state and matches the filters for the whole scan, and
  does not change during it, is returned **exactly once**: its `seq`, and so its place in the
  order, does not move, and every page starts strictly after the previous page's last entry;
- a contact that changes during the scan is moved to the end of the order: it is returned in
  its new state when the scan reaches it there (possibly a second time, if the scan had
  already returned it), and not at all if it left the lane's state;
- a contact created during the scan is returned once, at the end, if it matches.

Pages are therefore never short of a stable contact and never repeat one, whatever inserts
and state changes happen concurrently; a scan ends once it catches up with the changes.
"""

from __future__ import annotations

import base64
import binascii
import struct
import zlib
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterator

from .exceptions import InvalidParameter
from .models import Contact

__all__ = ["START", "Lane", "decode_cursor", "encode_cursor"]

START = "Start"
_CURSOR = struct.Struct(">IBQ")
# Mixed into the checksum so that a cursor is not a bare CRC any client could forge by accident.
_SALT = b"fake-listrak/cursor@1"


class Lane:
    """The contacts of one subscription state on one list, in ascending change sequence."""

    __slots__ = ("contacts", "live", "seqs")

    def __init__(self) -> None:
        self.contacts: list[Contact] = []
        self.seqs = array("q")
        self.live = 0

    def append(self, contact: Contact) -> None:
        """Add `contact` at the end; its `seq` must be above every `seq` already here."""
        self.contacts.append(contact)
        self.seqs.append(contact.seq)
        self.live += 1

    def retire(self) -> None:
        """One entry became a tombstone; compact when tombstones outnumber live entries."""
        self.live -= 1
        if len(self.seqs) > 2 * self.live + 64:
            self.compact()

    def compact(self) -> None:
        """Drop tombstones, keeping the order and every live entry's sequence number."""
        keep = [c for c, s in zip(self.contacts, self.seqs, strict=True) if c.seq == s]
        self.contacts = keep
        self.seqs = array("q", [c.seq for c in keep])
        self.live = len(keep)

    def __iter__(self) -> Iterator[Contact]:
        """The live entries, in change order."""
        for c, s in zip(self.contacts, self.seqs, strict=True):
            if c.seq == s:
                yield c

    def scan(
        self, after: int, count: int, accept: Callable[[Contact], bool] | None = None
    ) -> tuple[list[Contact], int | None]:
        """Up to `count` live entries with `seq > after` that `accept`, and the `after` of the next page.

        The next `after` is None when no matching entry follows the page.
        """
        contacts = self.contacts
        seqs = self.seqs
        n = len(seqs)
        i = bisect_right(seqs, after)
        out: list[Contact] = []
        append = out.append
        if accept is None:
            while i < n:
                c = contacts[i]
                s = seqs[i]
                if c.seq == s:
                    if len(out) == count:
                        return out, s - 1
                    append(c)
                i += 1
            return out, None
        while i < n:
            c = contacts[i]
            s = seqs[i]
            if c.seq == s and accept(c):
                if len(out) == count:
                    return out, s - 1
                append(c)
            i += 1
        return out, None


def encode_cursor(list_id: int, subscribed: bool, after: int) -> str:
    """The opaque cursor for the page of list `list_id`'s lane that starts after `after`."""
    raw = _CURSOR.pack(list_id, subscribed, after)
    raw += struct.pack(">I", zlib.crc32(_SALT + raw))
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(text: str, list_id: int, subscribed: bool) -> int:
    """The `after` of a cursor; InvalidParameter when it is not one of this list's and state's cursors."""
    if text.lower() == START.lower():
        return 0
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise InvalidParameter("cursor") from None
    if len(raw) != _CURSOR.size + 4:
        raise InvalidParameter("cursor")
    body, (check,) = raw[:-4], struct.unpack(">I", raw[-4:])
    if zlib.crc32(_SALT + body) != check:
        raise InvalidParameter("cursor")
    cursor_list, cursor_state, after = _CURSOR.unpack(body)
    if cursor_list != list_id or bool(cursor_state) != subscribed:
        raise InvalidParameter("cursor")
    return int(after)
