"""The Listrak Source contracts per revision: what passes, what fails with which rule and path, engines agreeing."""

from __future__ import annotations

import copy
import importlib.resources
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from contracts import (
    SOURCE_REVISIONS,
    Finding,
    SourceValidator,
    UnknownRevision,
    format_text,
    is_date_time,
    source_validator,
    validate_file,
    validate_lines,
)
from harness.reference.messages import identify as reference_identify
from harness.reference.messages import unsubscribed_event as reference_unsubscribed_event

OLD, NEW = "2023-07-13", "2023-08-03"
PREFIX = {OLD: "Listrak_list_", NEW: "listrak_list_"}
EVENTS = [
    "Email Bounced",
    "Email Converted",
    "Email Link Clicked",
    "Email Marked As Spam",
    "Email Opened",
    "Email Sent",
    "Unsubscribed",
]
PROPERTIES = [
    "email_id",
    "email_subject",
    "campaign_name",
    "link_id",
    "link_url",
    "google_analytics_campaign_name",
    "list_id",
    "list_name",
    "order_total",
    "unsubscribe_type",
]
DESIGN_RULE_IDS = {
    "message-type",
    "anonymous-id-is-email",
    "email-trait",
    "user-id",
    "list-trait-name",
    "list-trait-value",
    "segment-spec",
}


def identify(revision: str, **changes: Any) -> dict[str, Any]:
    """A valid identify for ``revision``, subscribed to list 7 and removed from list 8; ``...`` deletes a field."""
    prefix = PREFIX[revision]
    message = {
        "type": "identify",
        "messageId": "lrk-1",
        "anonymousId": "Jane.Doe+news@Example.com",
        "userId": "crm-42",
        "traits": {"email": "Jane.Doe+news@Example.com", f"{prefix}7": True, f"{prefix}8": None},
        "context": {"library": {"name": "listrak-sync", "version": "1.0.0"}},
        "timestamp": "2024-01-02T03:04:05.678Z",
    }
    return {key: value for key, value in {**message, **changes}.items() if value is not ...}


def track(**changes: Any) -> dict[str, Any]:
    """A valid 2023-08-03 track event; ``...`` deletes a field."""
    message = {
        "type": "track",
        "event": "Email Opened",
        "messageId": "lrk-2",
        "anonymousId": "jane@example.com",
        "properties": {"email_id": "e-1", "email_subject": "Hello", "campaign_name": "Spring", "list_id": 7},
        "context": {"traits": {"email": "jane@example.com"}, "ip": "8.8.8.8", "user_agent": "Mozilla/5.0"},
        "timestamp": "2024-01-02T03:04:05.678Z",
    }
    return {key: value for key, value in {**message, **changes}.items() if value is not ...}


def with_traits(revision: str, **traits: Any) -> dict[str, Any]:
    message = identify(revision)
    message["traits"] = {**message["traits"], **traits}
    return message


def without_trait(revision: str, name: str) -> dict[str, Any]:
    message = identify(revision)
    del message["traits"][name]
    return message


# --- Valid messages ------------------------------------------------------------------------------------------------

VALID = [
    (OLD, identify(OLD)),
    (NEW, identify(NEW)),
    (OLD, identify(OLD, userId=...)),
    (NEW, identify(NEW, userId=..., traits={"email": "a@x.io"}, anonymousId="a@x.io")),
    # Traits the documentation never mentions are the undocumented-trait hazard, not a contract failure.
    (OLD, with_traits(OLD, first_name="Jane", plan=None)),
    (NEW, track()),
    (NEW, track(properties=...)),
    (NEW, track(event="Unsubscribed", properties={"list_id": "7", "list_name": None, "unsubscribe_type": "Admin"})),
    (NEW, track(event="Email Converted", properties={"order_total": 12.5})),
    (NEW, track(event="Email Link Clicked", properties={"link_id": 3, "link_url": "https://x.io"})),
]


@pytest.mark.parametrize(("revision", "message"), VALID)
def test_messages_the_revision_documents_pass_both_engines(revision: str, message: dict[str, Any]) -> None:
    validator = source_validator(revision)
    assert validator.findings(message) == []
    assert validator.is_valid(message)
    assert REFERENCE[revision][message["type"]].is_valid(message)


@pytest.mark.parametrize("revision", SOURCE_REVISIONS)
def test_what_the_reference_sync_builds_meets_its_revisions_contract(revision: str) -> None:
    validator = source_validator(revision)
    built = [
        reference_identify("a@x.io", f"{PREFIX[revision]}101", True, "crm-1", "m-1", "2024-01-02T03:04:05Z"),
        reference_identify("a@x.io", f"{PREFIX[revision]}101", False, None, "m-2", "2024-01-02T03:04:05Z"),
    ]
    if revision == NEW:
        built.append(reference_unsubscribed_event("a@x.io", 101, None, None, "m-3", "2024-01-02T03:04:05Z"))
    assert [validator.findings(message) for message in built] == [[] for _ in built]


# --- Violations ----------------------------------------------------------------------------------------------------

VIOLATIONS = [
    # (id, revision, message, path, rule)
    ("trait false", OLD, with_traits(OLD, Listrak_list_7=False), "$.traits.Listrak_list_7", "list-trait-value"),
    ("trait 'true'", NEW, with_traits(NEW, listrak_list_7="true"), "$.traits.listrak_list_7", "list-trait-value"),
    ("trait 1", OLD, with_traits(OLD, Listrak_list_7=1), "$.traits.Listrak_list_7", "list-trait-value"),
    ("trait empty", NEW, with_traits(NEW, listrak_list_8=""), "$.traits.listrak_list_8", "list-trait-value"),
    ("trait object", NEW, with_traits(NEW, listrak_list_8={}), "$.traits.listrak_list_8", "list-trait-value"),
    ("new spelling in old", OLD, with_traits(OLD, listrak_list_9=True), "$.traits.listrak_list_9", "list-trait-name"),
    ("old spelling in new", NEW, with_traits(NEW, Listrak_list_9=None), "$.traits.Listrak_list_9", "list-trait-name"),
    ("upper case", NEW, with_traits(NEW, LISTRAK_LIST_9=True), "$.traits.LISTRAK_LIST_9", "list-trait-name"),
    ("leading zero", OLD, with_traits(OLD, Listrak_list_09=True), "$.traits.Listrak_list_09", "list-trait-name"),
    ("list id 0", NEW, with_traits(NEW, listrak_list_0=True), "$.traits.listrak_list_0", "list-trait-name"),
    ("hyphens", NEW, with_traits(NEW, **{"listrak-list-9": True}), "$.traits['listrak-list-9']", "list-trait-name"),
    ("no list id", OLD, with_traits(OLD, Listrak_list_=True), "$.traits.Listrak_list_", "list-trait-name"),
    # Python's $ also matches before a final newline; the contract rejects it so that every engine agrees.
    ("newline", NEW, with_traits(NEW, **{"listrak_list_9\n": True}), "$.traits['listrak_list_9\n']", "list-trait-name"),
    ("missing email trait", OLD, without_trait(OLD, "email"), "$.traits", "email-trait"),
    ("email trait null", NEW, with_traits(NEW, email=None), "$.traits.email", "email-trait"),
    ("email trait empty", OLD, with_traits(OLD, email=""), "$.traits.email", "email-trait"),
    ("no traits", NEW, identify(NEW, traits=...), "$", "email-trait"),
    ("userId empty", OLD, identify(OLD, userId=""), "$.userId", "user-id"),
    ("userId null", NEW, identify(NEW, userId=None), "$.userId", "user-id"),
    ("userId a number", OLD, identify(OLD, userId=42), "$.userId", "user-id"),
    ("no anonymousId", NEW, identify(NEW, anonymousId=...), "$", "anonymous-id-is-email"),
    ("anonymousId empty", OLD, identify(OLD, anonymousId=""), "$.anonymousId", "anonymous-id-is-email"),
    ("track with userId", NEW, track(userId="crm-42"), "$.userId", "user-id"),
    ("track with null userId", NEW, track(userId=None), "$.userId", "user-id"),
    ("undocumented event", NEW, track(event="Email Clicked"), "$.event", "message-type"),
    ("undocumented property", NEW, track(properties={"revenue": 5}), "$.properties.revenue", "message-type"),
    ("track without context", NEW, track(context=...), "$", "email-trait"),
    (
        "track without context email",
        NEW,
        track(context={"traits": {"name": "Jane"}}),
        "$.context.traits",
        "email-trait",
    ),
    ("track under 2023-07-13", OLD, track(), "$.type", "message-type"),
    ("page under 2023-08-03", NEW, {"type": "page", "anonymousId": "a@x.io"}, "$.type", "message-type"),
    ("Spec timestamp", NEW, identify(NEW, timestamp="2024-01-02"), "$.timestamp", "segment-spec"),
    ("Spec event missing", NEW, track(event=...), "$", "segment-spec"),
]


@pytest.mark.parametrize(
    ("revision", "message", "path", "rule"),
    [case[1:] for case in VIOLATIONS],
    ids=[case[0] for case in VIOLATIONS],
)
def test_each_violation_is_a_finding_at_its_path_naming_the_design_rule(
    revision: str, message: dict[str, Any], path: str, rule: str
) -> None:
    validator = source_validator(revision)
    assert not validator.is_valid(message)
    found = validator.findings(message)
    assert (path, rule) in [(finding.path, finding.rule) for finding in found]
    assert all(finding.message.startswith(f"{finding.path}: expected ") for finding in found)
    assert all(finding.rule in DESIGN_RULE_IDS for finding in found)


@pytest.mark.parametrize(
    ("value", "seen"),
    [
        (False, "a boolean false (false is a value that Segment keeps, so the trait stays on the profile; null "),
        ("true", 'a string "true" (a string, not the boolean true)'),
        (1, "a number 1 (a number, not the boolean true)"),
        ("", "an empty string (Segment keeps an empty string as the trait's value; null removes the trait)"),
        ([True], "an array of 1 item"),
    ],
)
def test_a_wrong_list_trait_value_is_explained_with_what_segment_would_do(value: object, seen: str) -> None:
    (finding,) = source_validator(NEW).findings(with_traits(NEW, listrak_list_7=value))
    assert finding == Finding(
        path="$.traits.listrak_list_7",
        rule="list-trait-value",
        message=finding.message,
        contract="listrak-source/2023-08-03/identify",
        keyword="enum at #/properties/traits/patternProperties/^listrak_list_[1-9][0-9]*$",
    )
    assert finding.message.startswith(f"$.traits.listrak_list_7: expected true or null, saw {seen}")


def test_a_list_trait_spelled_for_the_other_revision_names_the_spelling_expected() -> None:
    (finding,) = source_validator(OLD).findings(with_traits(OLD, listrak_list_9=True))
    assert finding.message == (
        "$.traits.listrak_list_9: expected a list trait spelled Listrak_list_{listId}: this exact case, "
        'the list id in decimal, saw the name "listrak_list_9"'
    )
    assert finding.keyword == "anyOf at #/properties/traits/propertyNames"
    assert finding.contract == "listrak-source/2023-07-13/identify"


def test_a_track_with_a_user_id_points_at_the_user_id_and_says_it_must_be_absent() -> None:
    (finding,) = source_validator(NEW).findings(track(userId="crm-42"))
    assert finding.message == '$.userId: expected no userId, saw userId as a string "crm-42"'
    assert finding.contract == "listrak-source/2023-08-03/track"


def test_an_undocumented_property_lists_the_documented_ones() -> None:
    (finding,) = source_validator(NEW).findings(track(properties={"email_id": "e", "revenue": 5}))
    assert finding.message == (
        "$.properties.revenue: expected a property the documentation lists (" + ", ".join(PROPERTIES) + "), "
        'saw the name "revenue"'
    )


@pytest.mark.parametrize(
    ("revision", "message", "finding"),
    [
        (
            OLD,
            track(),
            Finding(
                path="$.type",
                rule="message-type",
                message='$.type: expected "identify" (the only call the Listrak Source documents in revision '
                '2023-07-13), saw a string "track"',
                contract="listrak-source/2023-07-13",
            ),
        ),
        (
            NEW,
            {"type": "alias", "previousId": "p", "userId": "u"},
            Finding(
                path="$.type",
                rule="message-type",
                message='$.type: expected "identify" or "track" (the calls the Listrak Source documents in revision '
                '2023-08-03), saw a string "alias"',
                contract="listrak-source/2023-08-03",
            ),
        ),
        (
            NEW,
            {"anonymousId": "a@x.io"},
            Finding(
                path="$",
                rule="message-type",
                message='$: expected a property "type" that is "identify" or "track" (the calls the Listrak Source '
                "documents in revision 2023-08-03), saw an object without it",
                contract="listrak-source/2023-08-03",
            ),
        ),
        (
            OLD,
            ["identify"],
            Finding(
                path="$",
                rule="message-type",
                message='$: expected a message object whose type is "identify", saw an array of 1 item',
                contract="listrak-source/2023-07-13",
            ),
        ),
    ],
)
def test_a_call_the_revision_does_not_document_is_one_message_type_finding(
    revision: str, message: object, finding: Finding
) -> None:
    assert not source_validator(revision).is_valid(message)
    assert source_validator(revision).findings(message) == [finding]


def test_a_fault_both_the_source_and_the_spec_forbid_is_reported_once() -> None:
    found = source_validator(OLD).findings(identify(OLD, userId=""))
    assert [(finding.path, finding.rule, finding.keyword) for finding in found] == [
        ("$.userId", "user-id", "minLength at #/properties/userId")
    ]


def test_spec_findings_name_the_segment_file_they_come_from() -> None:
    (finding,) = source_validator(NEW).findings(identify(NEW, timestamp="yesterday"))
    assert finding.rule == "segment-spec"
    assert finding.keyword == "format at segment/common.json#/$defs/dateTime"
    assert finding.contract == "listrak-source/2023-08-03/identify"


def test_several_faults_in_one_message_are_all_reported() -> None:
    message = with_traits(NEW, email=None, listrak_list_7=False, Listrak_list_9=True)
    message["userId"] = ""
    found = source_validator(NEW).findings(message)
    assert sorted((finding.path, finding.rule) for finding in found) == [
        ("$.traits.Listrak_list_9", "list-trait-name"),
        ("$.traits.email", "email-trait"),
        ("$.traits.listrak_list_7", "list-trait-value"),
        ("$.userId", "user-id"),
    ]


def test_each_revision_documents_its_calls() -> None:
    assert SOURCE_REVISIONS == (OLD, NEW)
    assert source_validator(OLD).message_types == ("identify",)
    assert source_validator(NEW).message_types == ("identify", "track")
    assert set(source_validator(NEW).contracts) == {
        "listrak-source/2023-08-03/identify",
        "listrak-source/2023-08-03/track",
    }


def test_an_unknown_revision_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(UnknownRevision, match=r"one of 2023-07-13, 2023-08-03; saw '2023-09-01'"):
        SourceValidator("2023-09-01")
    with pytest.raises(ValueError, match="2023-09-01"):
        validate_lines([], revision="2023-09-01")


def test_the_shared_validator_is_built_once_per_revision() -> None:
    assert source_validator(NEW) is source_validator(NEW)
    assert source_validator(OLD) is not source_validator(NEW)


def test_engines_that_disagree_are_reported_rather_than_hidden() -> None:
    validator = SourceValidator(NEW)

    def rejects_everything(message: object) -> bool:
        return False

    validator._fast["track"] = rejects_everything
    (finding,) = validator.findings(track())
    assert (finding.rule, finding.contract) == ("engines disagree", "listrak-source/2023-08-03/track")


def test_every_keyword_of_the_source_contracts_yields_findings_with_a_design_rule() -> None:
    # One message breaking every constraint the source contracts add: each maps to a rule, none raises.
    broken_identify = {"type": "identify", "anonymousId": "", "userId": "", "traits": {"Listrak_list_1": 0}}
    broken_track = {"type": "track", "event": "x", "anonymousId": 1, "userId": "u", "properties": {"x": 1}}
    rules = {
        finding.rule
        for revision, message in [(OLD, broken_identify), (NEW, broken_identify), (NEW, broken_track)]
        for finding in source_validator(revision).findings(message)
    }
    assert rules == DESIGN_RULE_IDS


# --- NDJSON ---------------------------------------------------------------------------------------------------------


def line(message: Any) -> str:
    return json.dumps(message) + "\n"


def test_validate_lines_with_a_revision_uses_that_revisions_contracts() -> None:
    lines = [line(identify(NEW)), line(identify(OLD)), line(track())]
    assert [result.ok for result in validate_lines(lines).results] == [True, True, True]
    assert [result.ok for result in validate_lines(lines, revision=NEW).results] == [True, False, True]
    assert [result.ok for result in validate_lines(lines, revision=OLD).results] == [False, True, False]


def test_format_text_shows_the_rule_and_the_keyword_and_names_the_revision(tmp_path: Path) -> None:
    path = tmp_path / "messages.ndjson"
    path.write_text(line(identify(NEW)) + line(with_traits(NEW, listrak_list_7="true", email=None)) + "{}\n")
    report = validate_file(path, revision=NEW)
    assert report.revision == NEW
    assert format_text(report).splitlines() == [
        'line 2 (messageId lrk-1): $.traits.listrak_list_7: expected true or null, saw a string "true" (a string, '
        "not the boolean true) [list-trait-value: enum at #/properties/traits/patternProperties/"
        "^listrak_list_[1-9][0-9]*$]",
        "line 2 (messageId lrk-1): $.traits.email: expected a string, saw null [email-trait: type at "
        "#/properties/traits/properties/email]",
        'line 3: $: expected a property "type" that is "identify" or "track" (the calls the Listrak Source '
        "documents in revision 2023-08-03), saw an object without it [message-type]",
        "3 messages, 1 valid, 2 invalid against the Listrak Source contracts of 2023-08-03",
    ]


# --- The two engines agree (property test) --------------------------------------------------------------------------


def reference_validators() -> dict[str, dict[str, Draft202012Validator]]:
    """jsonschema alone, over the shipped files, as the yardstick for the fast path."""
    root = importlib.resources.files("contracts")
    documents = [
        json.loads(entry.read_text(encoding="utf-8"))
        for folder in [root / "segment", *[root / "listrak_source" / revision for revision in SOURCE_REVISIONS]]
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    ]
    registry: Registry[Any] = Registry().with_resources(
        (doc["$id"], DRAFT202012.create_resource(doc)) for doc in documents
    )
    checker = FormatChecker(formats=())
    checker.checks("date-time")(is_date_time)
    by_uri = {doc["$id"]: doc for doc in documents}
    return {
        revision: {
            call: Draft202012Validator(
                by_uri[f"https://listrak-harness.dev/contracts/listrak-source/{revision}/{call}.json"],
                registry=registry,
                format_checker=checker,
            )
            for call in (["identify"] if revision == OLD else ["identify", "track"])
        }
        for revision in SOURCE_REVISIONS
    }


REFERENCE = reference_validators()


def reference_is_valid(revision: str, message: object) -> bool:
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return False
    validator = REFERENCE[revision].get(message["type"])
    return validator is not None and validator.is_valid(message)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=5), inner, max_size=2),
    max_leaves=4,
)
ADDRESSES = st.emails() | st.text(min_size=1, max_size=12)
LIST_IDS = st.integers(min_value=1, max_value=10**9)
# Names on both sides of every boundary the list-trait patterns draw.
TRAIT_NAMES = st.one_of(
    st.sampled_from(
        [
            "Listrak_list_5",
            "listrak_list_5",
            "LISTRAK_LIST_5",
            "listrak_List_5",
            "listrak_list_05",
            "listrak_list_0",
            "listrak_list_",
            "listrak_list_5x",
            "listrak_list_5\n",
            "Listrak_list_5\n",
            "listrak_list_\N{ARABIC-INDIC DIGIT FIVE}",
            "listrak-list-5",
            "listrak list 5",
            "ListrakList5",
            "listrak_listing",
            " listrak_list_5",
            "my_listrak_list_5",
            "email",
            "first_name",
        ]
    ),
    st.builds(
        lambda prefix, list_id: f"{prefix}{list_id}", st.sampled_from(["Listrak_list_", "listrak_list_"]), LIST_IDS
    ),
    st.text(max_size=16),
)
TRAIT_VALUES = st.sampled_from([True, None, False, "true", "", 1, 0, 1.0, "null"]) | JSON_VALUES
USER_IDS = st.sampled_from([None, "", 0, "u", ...]) | st.text(max_size=8)


@st.composite
def valid_source_messages(draw: st.DrawFn, revision: str) -> dict[str, Any]:
    address = draw(ADDRESSES)
    kind = "identify" if revision == OLD else draw(st.sampled_from(["identify", "track"]))
    message: dict[str, Any] = {"type": kind, "anonymousId": address}
    if kind == "identify":
        lists = draw(st.dictionaries(LIST_IDS, st.sampled_from([True, None]), max_size=3))
        extra = draw(st.dictionaries(st.sampled_from(["plan", "logins", "favourite_colour"]), JSON_VALUES, max_size=2))
        message["traits"] = {**extra, "email": address, **{f"{PREFIX[revision]}{k}": v for k, v in lists.items()}}
        if draw(st.booleans()):
            message["userId"] = draw(st.text(min_size=1, max_size=12))
    else:
        message["event"] = draw(st.sampled_from(EVENTS))
        message["context"] = {"traits": {"email": address}}
        if draw(st.booleans()):
            message["context"]["ip"] = draw(st.text(max_size=8))
        if draw(st.booleans()):
            message["properties"] = draw(st.dictionaries(st.sampled_from(PROPERTIES), JSON_VALUES, max_size=4))
    if draw(st.booleans()):
        message["messageId"] = draw(st.text(max_size=100))
    if draw(st.booleans()):
        message["timestamp"] = "2024-01-02T03:04:05.678Z"
    return message


MUTATIONS = st.one_of(
    st.tuples(st.just(("traits",)), st.tuples(TRAIT_NAMES, TRAIT_VALUES)),
    st.tuples(st.just(("userId",)), USER_IDS),
    st.tuples(st.just(("anonymousId",)), st.sampled_from([None, "", 7, ...]) | st.text(max_size=4)),
    st.tuples(st.just(("type",)), st.sampled_from(["identify", "track", "page", "alias", "Identify", "", 3, ...])),
    st.tuples(st.just(("event",)), st.sampled_from([*EVENTS, "email opened", "Email Clicked", "", None, ...])),
    st.tuples(st.just(("properties",)), st.tuples(st.sampled_from([*PROPERTIES, "revenue", "List_Id"]), JSON_VALUES)),
    st.tuples(st.just(("properties",)), JSON_VALUES),
    st.tuples(st.just(("traits", "email")), st.sampled_from([None, "", 5, ...]) | st.text(max_size=4)),
    st.tuples(st.just(("traits",)), st.sampled_from([None, "x", [], ...])),
    st.tuples(st.just(("context",)), st.sampled_from([None, {}, {"traits": {}}, {"traits": {"email": None}}, ...])),
    st.tuples(st.just(("context", "user_agent")), JSON_VALUES),
    st.tuples(st.just(("timestamp",)), st.sampled_from(["2024-01-02", "2024-01-02T03:04:05Z", 5])),
)


def mutate(message: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    """Apply one mutation: a (name, value) pair adds a trait or property, ``...`` deletes, anything else sets."""
    parent: Any = message
    for key in path[:-1]:
        parent = parent.get(key) if isinstance(parent, dict) else None
    if not isinstance(parent, dict):
        return
    target = parent.get(path[-1])
    if isinstance(value, tuple) and isinstance(target, dict):
        target[value[0]] = value[1]
    elif isinstance(value, tuple):
        parent[path[-1]] = {value[0]: value[1]}
    elif value is ...:
        parent.pop(path[-1], None)
    else:
        parent[path[-1]] = copy.deepcopy(value)


@st.composite
def mutated_source_messages(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    revision = draw(st.sampled_from(SOURCE_REVISIONS))
    message = draw(valid_source_messages(draw(st.sampled_from(SOURCE_REVISIONS))))
    for path, value in draw(st.lists(MUTATIONS, max_size=3)):
        mutate(message, path, value)
    return revision, message


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(SOURCE_REVISIONS).flatmap(lambda r: st.tuples(st.just(r), valid_source_messages(r))))
def test_generated_documented_messages_pass_both_engines(case: tuple[str, dict[str, Any]]) -> None:
    revision, message = case
    assert reference_is_valid(revision, message)
    assert source_validator(revision).is_valid(message)
    assert source_validator(revision).findings(message) == []


@settings(max_examples=1000, deadline=None)
@given(mutated_source_messages())
def test_fast_path_and_jsonschema_agree_on_mutated_source_messages(case: tuple[str, dict[str, Any]]) -> None:
    revision, message = case
    expected = reference_is_valid(revision, message)
    validator = source_validator(revision)
    assert validator.is_valid(message) is expected
    found = validator.findings(message)
    assert (found == []) is expected
    assert all(finding.rule in DESIGN_RULE_IDS for finding in found)
