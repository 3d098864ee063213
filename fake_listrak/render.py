"""Response bodies in Listrak's shapes and key order (the swagger's definitions).

Contacts are rendered straight to JSON text with C-accelerated string escaping: a page of 5000
contacts is the fake's hot path, and building dicts for `json.dumps` would cost twice as much.
`contact_dict` is the readable twin the tests hold the fast path to.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from json.encoder import encode_basestring_ascii
from typing import Any

from .keys import email_key, universal_email_key
from .models import PENDING, Contact, ContactList, ContactPage, Field, FieldGroup, list_attributes

__all__ = [
    "collection",
    "contact_dict",
    "contact_row",
    "contact_rows",
    "created",
    "deleted",
    "dumps",
    "field_json",
    "group_json",
    "list_json",
    "page_body",
    "resource",
    "resource_row",
    "updated",
]

_LIST_ATTRIBUTES = list_attributes()
_ROW = (
    '{"emailAddress":%s,"emailKey":"%s","universalEmailKey":"%s","subscriptionState":"%s",'
    '"subscribeDate":%s,"resubscribeDate":%s,"subscribeMethod":%s,"unsubscribeDate":%s,'
    '"unsubscribeMethod":%s,"externalContactID":%s,"segmentationFieldValues":[]}'
)
_STATE = ("Unsubscribed", "Subscribed")


def dumps(payload: Any) -> bytes:
    """Compact JSON, as Listrak sends it."""
    return json.dumps(payload, separators=(",", ":")).encode("ascii")


def list_json(item: ContactList) -> dict[str, Any]:
    """A List resource."""
    return {name: getattr(item, attr) for name, attr, _ in _LIST_ATTRIBUTES}


def group_json(group: FieldGroup) -> dict[str, Any]:
    """A SegmentationFieldGroup resource."""
    return {
        "segmentationFieldGroupId": group.group_id,
        "segmentationFieldGroupName": group.name,
        "position": group.position,
    }


def field_json(item: Field) -> dict[str, Any]:
    """A SegmentationField resource."""
    return {
        "segmentationFieldId": item.field_id,
        "segmentationFieldName": item.name,
        "segmentationFieldGroupId": item.group_id,
        "dataType": item.data_type,
        "maxLength": item.max_length,
        "position": item.position,
    }


def collection(items: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The `Collection[...]` envelope."""
    return {"status": 200, "data": list(items)}


def resource(item: dict[str, Any]) -> dict[str, Any]:
    """The `Resource[...]` envelope."""
    return {"status": 200, "data": item}


def created(resource_id: str | int) -> dict[str, Any]:
    """`ResourceCreated` (201)."""
    return {"status": 201, "resourceId": str(resource_id)}


def updated(resource_id: str | int) -> dict[str, Any]:
    """`ResourceUpdated` (200)."""
    return {"status": 200, "resourceId": str(resource_id)}


def deleted() -> dict[str, Any]:
    """`ResourceDeleted` (200)."""
    return {"status": 200}


def contact_dict(contact: Contact, list_id: int, fields: Sequence[Field]) -> dict[str, Any]:
    """A Contact resource with the values of `fields` (every one of them, `""` when it has none)."""
    return {
        "emailAddress": contact.address,
        "emailKey": email_key(list_id, contact.index),
        "universalEmailKey": universal_email_key(contact.address),
        "subscriptionState": contact.subscription_state,
        "subscribeDate": contact.subscribe_date,
        "resubscribeDate": contact.resubscribe_date,
        "subscribeMethod": contact.subscribe_method,
        "unsubscribeDate": contact.unsubscribe_date,
        "unsubscribeMethod": contact.unsubscribe_method,
        "externalContactID": contact.external_id,
        "segmentationFieldValues": [
            {
                "segmentationFieldGroupId": f.group_id,
                "segmentationFieldId": f.field_id,
                "value": contact.value(f.field_id),
            }
            for f in fields
        ],
    }


def contact_row(contact: Contact, list_id: int) -> bytes:
    """The contact as the JSON text of `contact_dict` with no field values (same keys, order, values).

    Stores keep this in `Contact.row`, re-rendered whenever the contact changes, so a page is
    a join of ready rows.
    """
    enc = encode_basestring_ascii
    sd = contact.subscribe_date
    rd = contact.resubscribe_date
    sm = contact.subscribe_method
    ud = contact.unsubscribe_date
    um = contact.unsubscribe_method
    ext = contact.external_id
    text = _ROW % (
        enc(contact.address),
        email_key(list_id, contact.index),
        hashlib.sha256(contact.key.encode("utf-8")).hexdigest(),
        PENDING if contact.pending else _STATE[contact.subscribed],
        "null" if sd is None else '"' + sd + '"',
        "null" if rd is None else '"' + rd + '"',
        "null" if sm is None else enc(sm),
        "null" if ud is None else '"' + ud + '"',
        "null" if um is None else enc(um),
        "null" if ext is None else enc(ext),
    )
    return text.encode("ascii")


def contact_rows(contacts: Iterable[Contact], fields: Sequence[Field]) -> list[bytes]:
    """The contacts' rows, with the values of `fields` spliced in when there are any."""
    if not fields:
        return [c.row for c in contacts]
    enc = encode_basestring_ascii
    heads = [
        (f.field_id, f'{{"segmentationFieldGroupId":{f.group_id},"segmentationFieldId":{f.field_id},"value":')
        for f in fields
    ]
    out = []
    for c in contacts:
        values = c.value_map() if c.values else {}
        text = ",".join(head + enc(values.get(fid, "")) + "}" for fid, head in heads)
        out.append(c.row[:-2] + text.encode("ascii") + b"]}")
    return out


def page_body(page: ContactPage) -> bytes:
    """The `CollectionPaged[Contact]` envelope around a page's rows."""
    cursor = b"null" if page.next_cursor is None else b'"' + page.next_cursor.encode("ascii") + b'"'
    return b"".join((b'{"status":200,"nextPageCursor":', cursor, b',"data":[', b",".join(page.rows), b"]}"))


def resource_row(row: bytes) -> bytes:
    """The `Resource[Contact]` envelope around one rendered contact."""
    return b'{"status":200,"data":' + row + b"}"
