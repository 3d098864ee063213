"""Reading requests as Listrak (an ASP.NET service) binds them, and the parameter each bad value is blamed on."""

from __future__ import annotations

from typing import Any

import pytest

from fake_listrak.exceptions import InvalidParameter, MalformedRequestBody
from fake_listrak.models import ContactQuery
from fake_listrak.parsing import (
    QueryArgs,
    parse_body,
    parse_contact_query,
    parse_contact_upsert,
    parse_field,
    parse_field_ids,
    parse_field_updates,
    parse_group,
    parse_id,
    parse_list,
)


def _args(**values: str) -> QueryArgs:
    return QueryArgs(values.items())


def _blamed(call: Any, *args: Any) -> str:
    with pytest.raises(InvalidParameter) as caught:
        call(*args)
    return caught.value.parameter


# -- the query ---------------------------------------------------------------------------------
def test_query_names_match_in_any_case_the_first_value_wins_and_empty_is_absent() -> None:
    args = QueryArgs([("COUNT", "5"), ("count", "6"), ("cursor", "")])
    assert args.get("Count") == "5"
    assert args.get("cursor") is None


def test_the_contact_query_has_listraks_defaults() -> None:
    assert parse_contact_query(_args()) == ContactQuery(
        subscribed=True,
        cursor="Start",
        count=1000,
        start_date=None,
        end_date=None,
        use_original_subscribe_date=True,
        external_id=None,
        field_ids=[],
    )


def test_the_contact_query_reads_every_documented_parameter() -> None:
    query = parse_contact_query(
        _args(
            subscriptionState="unsubscribed",
            cursor="abc",
            count="5000",
            startDate="2024-05-01T12:00:00+02:00",
            endDate="5/2/2024 1:30 PM",
            useOriginalSubscribeDate="FALSE",
            externalContactId="e-1",
            segmentationFieldIds=" 5, 6 ",
        )
    )
    assert query == ContactQuery(
        subscribed=False,
        cursor="abc",
        count=5000,
        start_date="2024-05-01T10:00:00",
        end_date="2024-05-02T13:30:00",
        use_original_subscribe_date=False,
        external_id="e-1",
        field_ids=[5, 6],
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("subscriptionState", "Pending"),
        ("count", "ten"),
        ("count", "99999999999999"),
        ("startDate", "yesterday"),
        ("endDate", "2024-02-30"),
        ("useOriginalSubscribeDate", "1"),
        ("segmentationFieldIds", "5,,6"),
    ],
)
def test_a_bad_query_value_blames_its_parameter(name: str, value: str) -> None:
    assert _blamed(parse_contact_query, _args(**{name: value})) == name


@pytest.mark.parametrize(
    ("raw", "ok"), [("101", True), (" 7 ", True), ("-1", True), ("1.5", False), ("2147483648", False)]
)
def test_route_ids_are_int32(raw: str, ok: bool) -> None:
    if ok:
        assert parse_id(raw, "listId") == int(raw)
    else:
        assert _blamed(parse_id, raw, "listId") == "listId"


def test_no_field_ids_is_an_empty_list() -> None:
    assert parse_field_ids(None) == []


# -- bodies ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw",
    [b"", b"  ", b"{nope", b"NaN", b"[Infinity]", b"\xff\xfe", b"[" * 100 + b"]" * 100],
    ids=["empty", "blank", "broken", "NaN", "Infinity", "not UTF-8", "too deep"],
)
def test_a_body_that_is_not_json_is_malformed(raw: bytes) -> None:
    with pytest.raises(MalformedRequestBody):
        parse_body(raw)


def test_a_body_may_start_with_a_byte_order_mark() -> None:
    assert parse_body(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}


def test_a_list_body_needs_the_swaggers_required_fields() -> None:
    assert _blamed(parse_list, {"listName": "x", "bounceHandling": "None"}) == "bounceUnsubscribeCount"
    found = parse_list({"listName": "x", "bounceHandling": "aggressive", "bounceUnsubscribeCount": "3"})
    assert found.bounce_handling == "Aggressive"
    assert parse_list({}, lenient=True).list_name == "List"


def test_json_binds_leniently_a_number_as_text_and_text_as_a_number() -> None:
    found = parse_list({"listName": 42, "bounceHandling": "None", "bounceUnsubscribeCount": "2"})
    assert (found.list_name, found.bounce_unsubscribe_count) == ("42", 2)


@pytest.mark.parametrize(
    ("body", "parameter"),
    [
        ([], "segmentationFieldGroupResource"),
        ({"segmentationFieldGroupName": " ", "position": 1}, "segmentationFieldGroupName"),
        ({"segmentationFieldGroupName": "g"}, "position"),
    ],
)
def test_a_bad_group_body_blames_its_field(body: Any, parameter: str) -> None:
    assert _blamed(parse_group, body) == parameter


@pytest.mark.parametrize(
    ("body", "parameter"),
    [
        ({"segmentationFieldName": "f", "dataType": "Blob", "maxLength": 5, "position": 1}, "dataType"),
        ({"segmentationFieldName": "f", "dataType": "Text", "maxLength": 0, "position": 1}, "maxLength"),
        ({"segmentationFieldName": "f", "dataType": "Text", "position": 1}, "maxLength"),
        ({"dataType": "Text", "maxLength": 5, "position": 1}, "segmentationFieldName"),
    ],
)
def test_a_bad_field_body_blames_its_field(body: Any, parameter: str) -> None:
    assert _blamed(parse_field, body) == parameter


def test_a_lenient_field_gets_a_max_length_of_255() -> None:
    assert parse_field({"segmentationFieldName": "f", "dataType": "numeric"}, lenient=True).max_length == 255


def test_an_upsert_reads_its_body_and_query() -> None:
    upsert = parse_contact_upsert(
        {
            "EmailAddress": "a@x.io",
            "subscriptionState": "subscribed",
            "externalContactID": 7,
            "segmentationFieldValues": [{"segmentationFieldId": "5", "value": 12}],
            "emailKey": "ignored: read-only",
        },
        _args(
            overrideUnsubscribe="True",
            subscribedByContact="true",
            updateType="overwrite",
            eventIds="1,2",
            newEmailAddress="b@x.io",
        ),
    )
    assert (upsert.email, upsert.subscription_state, upsert.external_id) == ("a@x.io", "Subscribed", "7")
    assert upsert.values == [(5, "12")]
    assert (upsert.override_unsubscribe, upsert.subscribed_by_contact) == (True, True)
    assert (upsert.update_type, upsert.event_ids, upsert.new_email) == ("Overwrite", [1, 2], "b@x.io")


@pytest.mark.parametrize(
    ("body", "query", "parameter"),
    [
        ({}, {}, "emailAddress"),
        ([], {}, "contactResource"),
        ({"emailAddress": "a@x.io", "segmentationFieldValues": {"5": "x"}}, {}, "segmentationFieldValues"),
        ({"emailAddress": "a@x.io", "segmentationFieldValues": [{"value": "x"}]}, {}, "segmentationFieldId"),
        ({"emailAddress": "a@x.io"}, {"updateType": "Merge"}, "updateType"),
        ({"emailAddress": "a@x.io"}, {"eventIds": "1,x"}, "eventIds"),
        ({"emailAddress": "a@x.io"}, {"sendDoubleOptIn": "yes"}, "sendDoubleOptIn"),
    ],
)
def test_a_bad_upsert_blames_its_parameter(body: Any, query: dict[str, str], parameter: str) -> None:
    assert _blamed(parse_contact_upsert, body, _args(**query)) == parameter


def test_the_bulk_field_update_is_a_non_empty_array_of_contacts_with_values() -> None:
    items = [{"emailAddress": "a@x.io", "segmentationFieldValues": [{"segmentationFieldId": 5, "value": "on"}]}]
    assert parse_field_updates(items) == [("a@x.io", [(5, "on")])]
    assert _blamed(parse_field_updates, []) == "contactSegmentationFieldValues"
    assert _blamed(parse_field_updates, [{"emailAddress": "a@x.io"}]) == "segmentationFieldValues"
