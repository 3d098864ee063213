"""Response bodies: the fast contact rows say exactly what the readable renderer says."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from fake_listrak.models import Contact, ContactList, ContactPage, Field, pack_values
from fake_listrak.render import contact_dict, contact_row, contact_rows, list_json, page_body, resource_row
from fake_listrak.store import address_key

FIELDS = [Field(5, 7, 1, "a", "Text", 50, 1), Field(6, 7, 1, "b", "Text", 50, 2)]
_text = st.text(min_size=1, max_size=15)
_dates = st.none() | st.sampled_from(["2024-01-01T00:00:00", "2024-01-01T00:00:00.5"])


@st.composite
def contacts(draw: st.DrawFn) -> Contact:
    address = draw(_text) + "@" + draw(_text)
    return Contact(
        address,
        address_key(address),
        draw(st.integers(0, 10**9)),
        1,
        draw(st.booleans()),
        draw(_dates),
        draw(_dates),
        draw(st.none() | st.sampled_from(["Administrator", "Contact"])),
        draw(_dates),
        draw(st.none() | st.just("Administrator")),
        draw(st.none() | _text),
        pack_values(draw(st.dictionaries(st.sampled_from([5, 6, 8]), _text, max_size=3))),
        pending=draw(st.booleans()),
    )


@given(contacts(), st.lists(st.sampled_from(FIELDS), max_size=2, unique_by=lambda f: f.field_id))
def test_fast_rows_equal_the_readable_contact(contact: Contact, fields: list[Field]) -> None:
    contact.row = contact_row(contact, 101)
    (row,) = contact_rows([contact], fields)
    assert json.loads(row) == contact_dict(contact, 101, fields)
    assert list(json.loads(row)) == list(contact_dict(contact, 101, fields))  # the same key order
    row.decode("ascii")


def test_a_page_is_the_paged_envelope() -> None:
    body = json.loads(page_body(ContactPage([b'{"a":1}', b'{"b":2}'], "CUR")))
    assert body == {"status": 200, "nextPageCursor": "CUR", "data": [{"a": 1}, {"b": 2}]}
    assert json.loads(page_body(ContactPage([], None))) == {"status": 200, "nextPageCursor": None, "data": []}


def test_one_contact_is_the_resource_envelope() -> None:
    assert json.loads(resource_row(b'{"a":1}')) == {"status": 200, "data": {"a": 1}}


def test_a_list_renders_every_swagger_field() -> None:
    rendered = list_json(ContactList(3, "News"))
    assert rendered["listId"] == 3 and rendered["googleTrackingDomains"] is None and len(rendered) == 25
