"""The validator: fast yes/no, explained findings, batches, and the two engines agreeing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import best_match, relevance
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from contracts import (
    MESSAGE_TYPES,
    ContractValidator,
    Finding,
    default_validator,
    findings,
    is_date_time,
    is_valid,
    is_valid_batch,
    validate_batch,
)
from contracts.validator import _compile_fast, _top_level_formats

VALID_IDENTIFY: dict[str, Any] = {
    "type": "identify",
    "anonymousId": "a-1",
    "messageId": "m-1",
    "traits": {"email": "a@example.com", "subscribed": True},
    "context": {"library": {"name": "listrak", "version": "1.0"}},
    "timestamp": "2024-01-02T03:04:05.678Z",
}


def reference_validators() -> dict[str, Draft202012Validator]:
    """jsonschema alone, built here from the shipped files, as the yardstick for the fast path."""
    documents = default_validator().contracts
    registry: Registry[Any] = Registry().with_resources(
        (doc["$id"], DRAFT202012.create_resource(doc)) for doc in documents.values()
    )
    checker = FormatChecker(formats=())
    checker.checks("date-time")(is_date_time)
    return {
        name: Draft202012Validator(documents[name], registry=registry, format_checker=checker) for name in MESSAGE_TYPES
    }


REFERENCE = reference_validators()


def reference_is_valid(message: object) -> bool:
    if not isinstance(message, dict) or message.get("type") not in MESSAGE_TYPES:
        return False
    return REFERENCE[message["type"]].is_valid(message)


def test_a_typical_identify_is_valid_and_has_no_findings() -> None:
    assert is_valid(VALID_IDENTIFY)
    assert findings(VALID_IDENTIFY) == []


def test_a_finding_gives_path_rule_contract_and_a_sentence_of_expected_and_seen() -> None:
    assert findings({**VALID_IDENTIFY, "traits": "x"}) == [
        Finding(
            path="$.traits",
            rule="type at #/properties/traits",
            message='$.traits: expected an object, saw a string "x"',
            contract="identify",
        )
    ]


def test_a_rule_in_the_common_contract_names_that_file() -> None:
    (finding,) = findings({**VALID_IDENTIFY, "timestamp": "yesterday"})
    assert finding.rule == "format at common.json#/$defs/dateTime"
    assert finding.message == (
        "$.timestamp: expected an ISO-8601 date-time with a timezone (like 2015-12-10T04:08:31.905Z), "
        'saw a string "yesterday"'
    )


def test_missing_ids_are_one_finding_naming_both_ids_and_what_was_there() -> None:
    (finding,) = findings({"type": "identify", "anonymousId": None, "traits": {}})
    assert finding.path == "$"
    assert finding.rule == "anyOf at common.json#/$defs/identified"
    assert finding.message == (
        "$: expected a userId or an anonymousId that is a string, saw anonymousId as null and no userId"
    )


def test_findings_come_best_first_in_the_order_jsonschema_ranks_relevance() -> None:
    message = {
        "type": "track",
        "userId": 7,
        "event": "",
        "messageId": "m" * 120,
        "context": {"library": {"name": 1}},
    }
    ranked = sorted(REFERENCE["track"].iter_errors(message), key=relevance, reverse=True)
    assert [(finding.path, finding.rule.split(" at ")[0]) for finding in findings(message)] == [
        ("$" + "".join(f".{part}" for part in error.absolute_path), error.validator) for error in ranked
    ]
    assert len(ranked) == 6
    assert best_match(ranked) in ranked[0].context  # best_match would go on into the anyOf


@pytest.mark.parametrize(
    ("message", "path", "rule"),
    [
        ({"userId": "u"}, "$", "required at #/$defs/message"),
        ({"type": "identity", "userId": "u"}, "$.type", "enum at #/$defs/message/properties/type"),
        ({"type": 5, "userId": "u"}, "$.type", "enum at #/$defs/message/properties/type"),
        ({"type": ["identify"], "userId": "u"}, "$.type", "enum at #/$defs/message/properties/type"),
        (["identify"], "$", "type at #/$defs/message"),
        ("identify", "$", "type at #/$defs/message"),
    ],
)
def test_a_message_without_a_known_type_is_invalid_with_a_finding_about_its_type(
    message: object, path: str, rule: str
) -> None:
    assert not is_valid(message)
    assert [(finding.path, finding.rule, finding.contract) for finding in findings(message)] == [(path, rule, "common")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2015-12-10T04:08:31.905Z", True),
        ("2015-12-10T04:08:31Z", True),
        ("2015-12-10T04:08:31.123456789Z", True),
        ("2024-01-02T03:04:05.678+00:00", True),
        ("2024-01-02T03:04:05-05:30", True),
        ("2024-02-29T00:00:00Z", True),
        ("2015-12-10T04:08:31", False),
        ("2015-12-10", False),
        ("2015-2-02T00:30:08.276Z", False),
        ("2015-12-10 04:08:31Z", False),
        ("2015-12-10t04:08:31z", False),
        ("2015-12-10T04:08:31.Z", False),
        ("2015-12-10T04:08:31+0000", False),
        ("2015-12-10T24:00:00Z", False),
        ("2015-12-10T23:59:60Z", False),
        ("2015-13-10T00:00:00Z", False),
        ("2023-02-29T00:00:00Z", False),
        ("2015-12-10T04:08:31+24:00", False),
        ("\N{FULLWIDTH DIGIT TWO}015-12-10T04:08:31Z", False),
        ("", False),
    ],
)
def test_date_time_means_iso_8601_with_a_timezone_on_both_paths(text: str, expected: bool) -> None:
    assert is_date_time(text) is expected
    message = {**VALID_IDENTIFY, "sentAt": text}
    assert is_valid(message) is expected
    assert REFERENCE["identify"].is_valid(message) is expected
    assert (findings(message) == []) is expected


def test_long_strings_are_shortened_in_messages_but_their_length_is_given() -> None:
    (finding,) = findings({**VALID_IDENTIFY, "messageId": "m" * 101})
    assert finding.message == "$.messageId: expected a string of at most 100 characters, saw a string of 101 characters"
    (finding,) = findings({**VALID_IDENTIFY, "traits": {"email": None, "phone": ["5551234"] * 2}})
    assert finding.message == "$.traits.phone: expected a string or null, saw an array of 2 items"
    (finding,) = findings({**VALID_IDENTIFY, "context": {"ip": "x" * 50}, "sentAt": "y" * 50})
    assert finding.message.endswith(f'saw a string "{"y" * 37}..." (50 characters)')


def test_keys_that_are_not_identifiers_get_bracket_paths() -> None:
    (finding,) = findings({**VALID_IDENTIFY, "integrations": {"Google Analytics": "yes"}})
    assert finding.path == "$.integrations['Google Analytics']"


def test_a_null_trait_is_valid_because_null_removes_the_trait() -> None:
    assert findings({**VALID_IDENTIFY, "traits": {"email": "a@example.com", "subscribed": None}}) == []
    assert findings({**VALID_IDENTIFY, "traits": {"email": None}}) == []


def sdk_json(value: Any) -> Any:
    """What segment-analytics-python puts on the wire for ``value``."""
    from segment.analytics.request import DatetimeSerializer

    return json.loads(json.dumps(value, cls=DatetimeSerializer))


def test_messages_built_by_segment_analytics_python_meet_their_contracts() -> None:
    from segment.analytics import Client

    client = Client("write-key", send=False)
    created = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    calls = [
        client.identify("u-1", {"email": "a@example.com", "createdAt": created, "subscribed": None}),
        client.identify(anonymous_id="a@example.com", traits={"email": "a@example.com"}),
        client.track("u-1", "Email Opened", {"revenue": 1.5}),
        client.page(anonymous_id="a-1", name="Home"),
        client.screen("u-1"),
        client.group("u-1", "g-1", {"name": "Initech"}),
        client.alias("a-1", "u-1"),
    ]
    messages = [sdk_json(message) for _, message in calls]
    for message in messages:
        assert findings(message) == [], message
    body = sdk_json({"batch": messages, "sentAt": datetime.now(tz=UTC), "writeKey": "write-key"})
    assert is_valid_batch(body)
    assert validate_batch(body) == []


def test_validate_batch_reports_the_envelope_first_then_items_under_their_index() -> None:
    body = {
        "batch": [VALID_IDENTIFY, {"type": "nope"}, {**VALID_IDENTIFY, "traits": 1}],
        "sentAt": "now",
    }
    assert not is_valid_batch(body)
    assert [(finding.path, finding.contract) for finding in validate_batch(body)] == [
        ("$.sentAt", "batch"),
        ("$.batch[1].type", "batch"),
        ("$.batch[2].traits", "identify"),
    ]
    assert validate_batch(body)[2].message == "$.batch[2].traits: expected an object, saw a number 1"


@pytest.mark.parametrize(
    ("body", "path", "rule"),
    [
        ({"batch": []}, "$.batch", "not at #/properties/batch"),
        ({}, "$", "required at #"),
        ({"batch": {"type": "identify"}}, "$.batch", "type at #/properties/batch"),
        ({"batch": [VALID_IDENTIFY], "context": []}, "$.context", "type at common.json#/$defs/context"),
        ([VALID_IDENTIFY], "$", "type at #"),
    ],
)
def test_a_broken_envelope_is_reported_at_its_path(body: object, path: str, rule: str) -> None:
    assert not is_valid_batch(body)
    assert [(finding.path, finding.rule) for finding in validate_batch(body)] == [(path, rule)]


def test_the_module_functions_share_one_validator_loaded_once() -> None:
    assert default_validator() is default_validator()
    assert set(default_validator().contracts) >= {*MESSAGE_TYPES, "common", "batch"}


def test_engines_that_disagree_are_reported_rather_than_hidden() -> None:
    validator = ContractValidator()

    def rejects_everything(message: object) -> bool:
        return False

    validator._fast["identify"] = rejects_everything
    (finding,) = validator.findings(VALID_IDENTIFY)
    assert finding.rule == "engines disagree"
    assert finding.contract == "identify"


# Property test: the fast path and jsonschema agree on validity, for valid messages and mutants.

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


def iso(moment: datetime, spec: str, zulu: bool) -> str:
    text = moment.isoformat(timespec=spec)
    return text[:-6] + "Z" if zulu and text.endswith("+00:00") else text


OFFSETS = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
TIMESTAMPS = st.builds(
    iso,
    st.datetimes(timezones=st.just(UTC) | OFFSETS),
    st.sampled_from(["seconds", "milliseconds", "microseconds"]),
    st.booleans(),
)
# Built from parts just inside and just outside their ranges, so boundaries get hit often.
NEAR_MISS_TIMESTAMPS = st.builds(
    "{:04d}-{:02d}-{:02d}{}{:02d}:{:02d}:{:02d}{}{}".format,
    st.integers(min_value=0, max_value=2100),
    st.integers(min_value=0, max_value=13),
    st.integers(min_value=0, max_value=32),
    st.sampled_from(["T", "t", " ", ""]),
    st.integers(min_value=0, max_value=25),
    st.integers(min_value=0, max_value=60),
    st.integers(min_value=0, max_value=61),
    st.sampled_from(["", ".5", ".123", ".123456789", "."]),
    st.sampled_from(["Z", "z", "", "+00:00", "+0000", "-05:30", "+23:59", "+24:00", "+5:00", "-00:60"]),
) | st.builds(
    lambda text, index, char: text[:index] + char + text[index + 1 :],
    TIMESTAMPS,
    st.integers(min_value=0, max_value=31),
    st.sampled_from("0123456789-:TZ+. x"),
)
IDS = st.text(min_size=1, max_size=12)
TRAITS = st.fixed_dictionaries(
    {},
    optional={
        "email": st.text(max_size=8) | st.none(),
        "age": st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.none(),
        "subscribed": st.booleans() | st.none(),
        "custom": JSON_VALUES,
    },
)
CONTEXTS = st.fixed_dictionaries(
    {},
    optional={
        "library": st.fixed_dictionaries({"name": st.text(max_size=8), "version": st.text(max_size=8)}),
        "ip": st.text(max_size=8),
        "active": st.booleans(),
        "traits": TRAITS,
    },
)


@st.composite
def valid_messages(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(MESSAGE_TYPES))
    message: dict[str, Any] = {"type": kind, "messageId": draw(st.text(max_size=100))}
    if kind == "alias":
        message.update(previousId=draw(IDS), userId=draw(IDS))
    else:
        ids = draw(st.sampled_from(["anonymous", "user", "both", "user with null anonymous"]))
        if ids in ("anonymous", "both"):
            message["anonymousId"] = draw(IDS)
        if ids in ("user", "both", "user with null anonymous"):
            message["userId"] = draw(IDS)
        if ids == "user with null anonymous":
            message["anonymousId"] = None
    if kind == "track":
        message["event"] = draw(IDS)
    if kind == "group":
        message["groupId"] = draw(IDS)
    if kind in ("identify", "group"):
        message["traits"] = draw(TRAITS)
    if kind in ("track", "page", "screen"):
        message["properties"] = draw(st.dictionaries(st.text(max_size=6), JSON_VALUES, max_size=3))
    for field in ("timestamp", "sentAt", "originalTimestamp"):
        if draw(st.booleans()):
            message[field] = draw(TIMESTAMPS)
    if draw(st.booleans()):
        message["context"] = draw(CONTEXTS)
    if draw(st.booleans()):
        message["integrations"] = draw(st.dictionaries(st.text(max_size=6), st.booleans(), max_size=3))
    return message


FIELDS = [
    ("type",),
    ("anonymousId",),
    ("userId",),
    ("messageId",),
    ("event",),
    ("groupId",),
    ("previousId",),
    ("name",),
    ("traits",),
    ("properties",),
    ("context",),
    ("integrations",),
    ("version",),
    ("writeKey",),
    ("timestamp",),
    ("sentAt",),
    ("receivedAt",),
    ("traits", "email"),
    ("traits", "age"),
    ("properties", "revenue"),
    ("context", "library"),
    ("context", "library", "version"),
    ("context", "traits"),
    ("context", "ip"),
    ("integrations", "All"),
]


def put(message: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    """Set ``path`` in ``message`` to ``value``, or delete it for ``...``, where its parent is an object."""
    parent: Any = message
    for key in path[:-1]:
        parent = parent.get(key) if isinstance(parent, dict) else None
    if not isinstance(parent, dict):
        return
    if value is ...:
        parent.pop(path[-1], None)
    else:
        parent[path[-1]] = value


MUTATIONS = st.one_of(
    st.tuples(st.sampled_from(FIELDS), JSON_VALUES),
    st.tuples(st.sampled_from(FIELDS), st.just(...)),
    st.tuples(st.sampled_from([("timestamp",), ("sentAt",), ("receivedAt",)]), NEAR_MISS_TIMESTAMPS),
    st.tuples(st.just(("timestamp",)), NEAR_MISS_TIMESTAMPS),
    st.tuples(st.sampled_from([("anonymousId",), ("userId",)]), st.sampled_from([None, "", 0, ...])),
    st.tuples(st.just(("messageId",)), st.text(min_size=95, max_size=105)),
    st.tuples(st.just(("type",)), st.sampled_from([*MESSAGE_TYPES, "Identify", "batch", ""])),
    st.tuples(st.sampled_from([("traits",), ("context", "traits")]), st.text(max_size=3) | st.lists(st.none())),
)


@st.composite
def mutated_messages(draw: st.DrawFn) -> dict[str, Any]:
    message = json.loads(json.dumps(draw(valid_messages())))
    for path, value in draw(st.lists(MUTATIONS, max_size=3)):
        put(message, path, json.loads(json.dumps(value)) if value is not ... else ...)
    return message


@settings(max_examples=300, deadline=None)
@given(valid_messages())
def test_generated_valid_messages_pass_both_engines(message: dict[str, Any]) -> None:
    assert reference_is_valid(message)
    assert is_valid(message)
    assert findings(message) == []


@settings(max_examples=1000, deadline=None)
@given(mutated_messages())
def test_fast_path_and_jsonschema_agree_on_validity_of_mutated_messages(message: dict[str, Any]) -> None:
    expected = reference_is_valid(message)
    assert is_valid(message) is expected
    found = findings(message)
    assert (found == []) is expected
    assert all(finding.rule != "engines disagree" for finding in found)


# The fast path's format checks: top-level date-times in Python, anything else through the engine's callback.

_DATED = {"timestamp", "originalTimestamp", "sentAt", "receivedAt"}


def _tiny_contract(**schema: Any) -> dict[str, Any]:
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "https://t.example/c.json", **schema}


def _compiled(document: dict[str, Any]) -> Any:
    registry = jsonschema_rs.Registry([(document["$id"], document)])
    return _compile_fast(document, registry, {document["$id"]: document})


def test_every_shipped_message_contract_checks_its_date_times_at_the_top_level() -> None:
    validator = default_validator()
    for name in MESSAGE_TYPES:
        sites = _top_level_formats(validator.contracts[name], validator._by_uri)
        assert sites is not None and set(sites) == _DATED, name


@pytest.mark.parametrize(
    "schema",
    [
        # nested one level down
        {"properties": {"context": {"properties": {"at": {"format": "date-time"}}}}},
        # only under a condition
        {"anyOf": [{"properties": {"at": {"format": "date-time"}}}, {"required": ["x"]}]},
        # a format Python does not check here
        {"properties": {"at": {"format": "email"}}},
        # on the root itself
        {"format": "date-time"},
        # behind a reference the walk does not follow
        {"properties": {"at": {"$dynamicRef": "#when"}}, "$defs": {"when": {"$dynamicAnchor": "when"}}},
    ],
)
def test_a_format_anywhere_else_keeps_the_engine_callback(schema: dict[str, Any]) -> None:
    document = _tiny_contract(**schema)
    assert _top_level_formats(document, {document["$id"]: document}) is None


def test_a_top_level_date_time_through_refs_is_checked_by_python_with_the_same_verdict() -> None:
    document = _tiny_contract(
        type="object",
        properties={"at": {"$ref": "#/$defs/when"}},
        allOf=[{"properties": {"also": {"allOf": [{"$ref": "#/$defs/when"}]}}}],
        **{"$defs": {"when": {"type": "string", "format": "date-time"}}},
    )
    assert _top_level_formats(document, {document["$id"]: document}) == {"at": "date-time", "also": "date-time"}
    check = _compiled(document)
    assert check({"at": "2024-01-02T03:04:05Z", "also": "2024-01-02T03:04:05+02:00"})
    assert not check({"at": "2024-02-30T03:04:05Z"})  # no such day
    assert not check({"also": "2024-01-02 03:04:05"})  # no T, no zone
    assert not check({"at": 5})  # the structure check still runs
    assert check({})


def test_a_nested_date_time_is_still_checked_by_the_callback() -> None:
    check = _compiled(_tiny_contract(properties={"context": {"properties": {"at": {"format": "date-time"}}}}))
    assert check({"context": {"at": "2024-01-02T03:04:05Z"}})
    assert not check({"context": {"at": "yesterday"}})


# findings_of_each: messages judged together must get exactly what each gets alone.


NOT_MESSAGES = st.sampled_from([7, [], {"type": 5}, {"type": "nah"}])


@settings(max_examples=300, deadline=None)
@given(st.lists(valid_messages() | mutated_messages() | NOT_MESSAGES, max_size=8))
def test_findings_of_each_is_findings_of_every_message_in_order(messages: list[Any]) -> None:
    validator = default_validator()
    assert validator.findings_of_each(messages) == [tuple(validator.findings(m)) for m in messages]


def test_findings_of_each_explains_only_the_messages_that_break_their_contract() -> None:
    good = {"type": "identify", "userId": "u", "timestamp": "2024-01-02T03:04:05Z"}
    late = {**good, "timestamp": "2024-02-30T03:04:05Z"}  # passes the engine, fails the date check
    event = {"type": "track", "userId": "u", "event": "E", "timestamp": "2024-01-02T03:04:05Z"}
    found = default_validator().findings_of_each([good, late, event, good])
    assert [len(f) for f in found] == [0, 1, 0, 0]
    assert found[1][0].path == "$.timestamp"


def test_a_list_check_checks_each_distinct_date_time_once_and_every_item() -> None:
    document = _tiny_contract(type="object", properties={"at": {"type": "string", "format": "date-time"}})
    registry = jsonschema_rs.Registry([(document["$id"], document)])
    check_many = _compile_fast(document, registry, {document["$id"]: document}, many=True)
    same = {"at": "2024-01-02T03:04:05Z"}
    assert check_many([same, dict(same), {}])
    assert not check_many([same, {"at": "2024-02-30T03:04:05Z"}])
    assert not check_many([same, {"at": 5}])
    assert check_many([])


def test_a_list_check_of_a_contract_with_a_nested_date_time_keeps_the_callback() -> None:
    document = _tiny_contract(properties={"context": {"properties": {"at": {"format": "date-time"}}}})
    registry = jsonschema_rs.Registry([(document["$id"], document)])
    check_many = _compile_fast(document, registry, {document["$id"]: document}, many=True)
    assert check_many([{"context": {"at": "2024-01-02T03:04:05Z"}}])
    assert not check_many([{"context": {}}, {"context": {"at": "yesterday"}}])
