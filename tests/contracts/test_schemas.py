"""The contract files themselves: portable keywords, valid 2020-12, true to the Spec's examples.

The portability checks cover the Segment contracts and the Listrak Source ones alike.
"""

from __future__ import annotations

import importlib.resources
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urldefrag, urljoin

import pytest
from jsonschema import Draft202012Validator

from contracts import CONTRACT_BASE_URI, SOURCE_BASE_URI, SOURCE_REVISIONS, findings, is_valid, validate_batch

# Keywords whose meaning is the same in draft-07 and 2020-12, plus annotations no engine acts on:
# the contracts are published data, and third parties must read them the same way with any tool.
ALLOWED_KEYWORDS = {
    "type",
    "properties",
    "required",
    "additionalProperties",
    "patternProperties",
    # Since draft-06, with the same meaning in both; the Listrak Source contracts check trait names with it.
    "propertyNames",
    "enum",
    "const",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "items",
    "anyOf",
    "allOf",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
    "$ref",
}
ANNOTATIONS = {"title", "description", "$comment"}
ROOT_ONLY = {"$schema", "$id", "$defs"}
SUBSCHEMA_MAPS = {"properties", "patternProperties", "$defs"}
SUBSCHEMA_LISTS = {"anyOf", "allOf", "oneOf"}
SUBSCHEMAS = {"items", "additionalProperties", "propertyNames", "not", "if", "then", "else"}
EXPECTED_FILES = {"common", "identify", "track", "page", "screen", "group", "alias", "batch"}
EXPECTED_SOURCE_FILES = {
    "listrak_source/2023-07-13/identify",
    "listrak_source/2023-08-03/identify",
    "listrak_source/2023-08-03/track",
}


def load_documents() -> dict[str, dict[str, Any]]:
    folder = importlib.resources.files("contracts").joinpath("segment")
    return {
        entry.name.removesuffix(".json"): json.loads(entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    }


def load_source_documents() -> dict[str, dict[str, Any]]:
    """The Listrak Source contracts, named by their path in the package: ``listrak_source/<revision>/<call>``."""
    root = importlib.resources.files("contracts").joinpath("listrak_source")
    return {
        f"listrak_source/{folder.name}/{entry.name.removesuffix('.json')}": json.loads(
            entry.read_text(encoding="utf-8")
        )
        for folder in root.iterdir()
        if folder.is_dir()
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    }


DOCUMENTS = load_documents()
SOURCE_DOCUMENTS = load_source_documents()
ALL_DOCUMENTS = {**DOCUMENTS, **SOURCE_DOCUMENTS}
BY_URI = {doc["$id"]: doc for doc in ALL_DOCUMENTS.values()}


def subschemas(schema: Any, pointer: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema object in ``schema`` with its JSON pointer, knowing which keys hold schemas."""
    if not isinstance(schema, dict):
        return
    yield pointer, schema
    for keyword, value in schema.items():
        if keyword in SUBSCHEMA_MAPS:
            for name, sub in value.items():
                yield from subschemas(sub, f"{pointer}/{keyword}/{name}")
        elif keyword in SUBSCHEMA_LISTS:
            for index, sub in enumerate(value):
                yield from subschemas(sub, f"{pointer}/{keyword}/{index}")
        elif keyword in SUBSCHEMAS:
            yield from subschemas(value, f"{pointer}/{keyword}")


def all_subschemas(documents: dict[str, dict[str, Any]]) -> list[tuple[str, dict[str, Any], bool]]:
    """(where, schema, whether it is a document root) for every schema object in ``documents``."""
    return [
        (f"{name}.json{pointer}", sub, pointer == "#")
        for name, doc in sorted(documents.items())
        for pointer, sub in subschemas(doc)
    ]


def misused_keywords(documents: dict[str, dict[str, Any]]) -> list[str]:
    misused = []
    for where, schema, is_root in all_subschemas(documents):
        allowed = ALLOWED_KEYWORDS | ANNOTATIONS | (ROOT_ONLY if is_root else set())
        misused += [f"{where}: {keyword}" for keyword in schema if keyword not in allowed]
    return misused


ALL_SUBSCHEMAS = all_subschemas(ALL_DOCUMENTS)


def test_the_package_ships_one_schema_file_per_contract() -> None:
    assert set(DOCUMENTS) == EXPECTED_FILES


def test_the_package_ships_listrak_source_contracts_for_each_revision_and_call_it_documents() -> None:
    assert set(SOURCE_DOCUMENTS) == EXPECTED_SOURCE_FILES
    assert {name.split("/")[1] for name in SOURCE_DOCUMENTS} == set(SOURCE_REVISIONS)


@pytest.mark.parametrize("name", sorted(EXPECTED_SOURCE_FILES))
def test_each_source_schema_declares_2020_12_and_an_id_named_after_its_revision_and_call(name: str) -> None:
    document = SOURCE_DOCUMENTS[name]
    _, revision, call = name.split("/")
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["$id"] == f"{SOURCE_BASE_URI}{revision}/{call}.json"
    assert SOURCE_BASE_URI == "https://listrak-harness.dev/contracts/listrak-source/"
    Draft202012Validator.check_schema(document)


@pytest.mark.parametrize("name", sorted(EXPECTED_SOURCE_FILES))
def test_each_source_schema_includes_the_segment_spec_contract_for_its_call(name: str) -> None:
    document = SOURCE_DOCUMENTS[name]
    call = name.rpartition("/")[2]
    included = [urljoin(document["$id"], branch["$ref"]) for branch in document["allOf"] if "$ref" in branch]
    assert included == [f"{CONTRACT_BASE_URI}{call}.json"]
    # A relative reference, so the files also resolve each other from a checkout on disk.
    assert document["allOf"][0]["$ref"] == f"../../segment/{call}.json"


@pytest.mark.parametrize("name", sorted(EXPECTED_FILES))
def test_each_schema_declares_2020_12_and_a_stable_id_named_after_its_file(name: str) -> None:
    document = DOCUMENTS[name]
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["$id"] == f"{CONTRACT_BASE_URI}{name}.json"


@pytest.mark.parametrize("name", sorted(EXPECTED_FILES))
def test_each_schema_is_valid_under_the_2020_12_metaschema(name: str) -> None:
    Draft202012Validator.check_schema(DOCUMENTS[name])


def test_schemas_use_only_keywords_that_mean_the_same_in_draft_07_and_2020_12() -> None:
    assert misused_keywords(ALL_DOCUMENTS) == []


def test_the_subschema_walk_reaches_inside_property_names() -> None:
    # Otherwise a draft-specific keyword under propertyNames would go unchecked.
    walked = [where for where, _, _ in ALL_SUBSCHEMAS if where.endswith("/properties/traits/propertyNames/anyOf/1")]
    assert walked == [
        "listrak_source/2023-07-13/identify.json#/properties/traits/propertyNames/anyOf/1",
        "listrak_source/2023-08-03/identify.json#/properties/traits/propertyNames/anyOf/1",
    ]


def test_the_keyword_check_finds_draft_specific_keywords_however_deep() -> None:
    nested = {
        "$id": "x",
        "properties": {"a": {"anyOf": [{"items": {"prefixItems": []}}]}},
        "$defs": {"b": {"minItems": 1, "$id": "inner"}},
    }
    assert misused_keywords({"x": nested}) == [
        "x.json#/properties/a/anyOf/0/items: prefixItems",
        "x.json#/$defs/b: minItems",
        "x.json#/$defs/b: $id",
    ]


def test_a_ref_has_no_sibling_keywords_because_draft_07_would_ignore_them() -> None:
    crowded = [
        f"{where}: {sorted(set(schema) - ANNOTATIONS - {'$ref'})}"
        for where, schema, _ in ALL_SUBSCHEMAS
        if "$ref" in schema and set(schema) - ANNOTATIONS - {"$ref"}
    ]
    assert crowded == []


def test_items_is_always_a_single_schema_never_a_tuple() -> None:
    tuples = [
        where for where, schema, _ in ALL_SUBSCHEMAS if "items" in schema and not isinstance(schema["items"], dict)
    ]
    assert tuples == []


def test_the_only_format_is_date_time_which_both_engines_share() -> None:
    formats = {schema["format"] for _, schema, _ in ALL_SUBSCHEMAS if "format" in schema}
    assert formats == {"date-time"}


def test_every_ref_points_at_a_definition_in_the_contracts() -> None:
    broken = []
    for name, document in ALL_DOCUMENTS.items():
        for pointer, schema in subschemas(document):
            if "$ref" not in schema:
                continue
            uri, fragment = urldefrag(urljoin(document["$id"], schema["$ref"]))
            node: Any = BY_URI.get(uri)
            for part in fragment.split("/")[1:]:
                node = node.get(part) if isinstance(node, dict) else None
            if not isinstance(node, dict):
                broken.append(f"{name}.json{pointer}: {schema['$ref']}")
    assert broken == []


# Complete examples from the Spec pages in /work/shared/reference/segment/.
SPEC_COMMON_FIELDS_EXAMPLE = {
    "anonymousId": "507f191e810c19729de860ea",
    "context": {
        "active": True,
        "app": {
            "name": "InitechGlobal",
            "version": "545",
            "build": "3.0.1.545",
            "namespace": "com.production.segment",
        },
        "campaign": {
            "name": "TPS Innovation Newsletter",
            "source": "Newsletter",
            "medium": "email",
            "term": "tps reports",
            "content": "image link",
        },
        "device": {
            "id": "B5372DB0-C21E-11E4-8DFC-AA07A5B093DB",
            "advertisingId": "7A3CBEA0-BDF5-11E4-8DFC-AA07A5B093DB",
            "adTrackingEnabled": True,
            "manufacturer": "Apple",
            "model": "iPhone7,2",
            "name": "maguro",
            "type": "ios",
            "token": "ff15bc0c20c4aa6cd50854ff165fd265c838e5405bfeb9571066395b8c9da449",
        },
        "ip": "8.8.8.8",
        "library": {"name": "analytics.js", "version": "2.11.1"},
        "locale": "en-US",
        "network": {"bluetooth": False, "carrier": "T-Mobile US", "cellular": True, "wifi": False},
        "os": {"name": "iPhone OS", "version": "8.1.3"},
        "page": {
            "path": "/academy/",
            "referrer": "",
            "search": "",
            "title": "Analytics Academy",
            "url": "https://segment.com/academy/",
        },
        "referrer": {"id": "ABCD582CDEFFFF01919", "type": "dataxu"},
        "screen": {"width": 320, "height": 568, "density": 2},
        "groupId": "12345",
        "timezone": "Europe/Amsterdam",
        "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36",
        "userAgentData": {
            "brands": [{"brand": "Google Chrome", "version": "113"}, {"brand": "Chromium", "version": "113"}],
            "mobile": False,
            "platform": "macOS",
        },
    },
    "integrations": {"All": True, "Mixpanel": False, "Salesforce": False},
    "event": "Report Submitted",
    "messageId": "022bb90c-bbac-11e4-8dfc-aa07a5b093db",
    "receivedAt": "2015-12-10T04:08:31.909Z",
    "sentAt": "2015-12-10T04:08:31.581Z",
    "timestamp": "2015-12-10T04:08:31.905Z",
    "type": "track",
    "userId": "97980cfea0067",
    "version": 2,
}
SPEC_IDENTIFY_EXAMPLE = {
    "anonymousId": "507f191e810c19729de860ea",
    "channel": "browser",
    "context": {"ip": "8.8.8.8", "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_5)"},
    "integrations": {"All": False, "Mixpanel": True, "Salesforce": True},
    "messageId": "022bb90c-bbac-11e4-8dfc-aa07a5b093db",
    "receivedAt": "2015-02-23T22:28:55.387Z",
    "sentAt": "2015-02-23T22:28:55.111Z",
    "timestamp": "2015-02-23T22:28:55.111Z",
    "traits": {
        "name": "Peter Gibbons",
        "email": "peter@example.com",
        "plan": "premium",
        "logins": 5,
        "address": {
            "street": "6th St",
            "city": "San Francisco",
            "state": "CA",
            "postalCode": "94103",
            "country": "USA",
        },
    },
    "type": "identify",
    "userId": "97980cfea0067",
    "version": "1.1",
}
SPEC_TRACK_EXAMPLE = {
    "anonymousId": "23adfd82-aa0f-45a7-a756-24f2a7a4c895",
    "context": {
        "library": {"name": "analytics.js", "version": "2.11.1"},
        "page": {
            "path": "/academy/",
            "referrer": "",
            "search": "",
            "title": "Analytics Academy",
            "url": "https://segment.com/academy/",
        },
        "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_0)",
        "ip": "108.0.78.21",
    },
    "event": "Course Clicked",
    "integrations": {},
    "messageId": "ajs-f8ca1e4de5024d9430b3928bd8ac6b96",
    "properties": {"title": "Intro to Analytics"},
    "receivedAt": "2015-12-12T19:11:01.266Z",
    "sentAt": "2015-12-12T19:11:01.169Z",
    "timestamp": "2015-12-12T19:11:01.249Z",
    "type": "track",
    "userId": "AiUGstSDIg",
    "originalTimestamp": "2015-12-12T19:11:01.152Z",
}
SPEC_TRACK_WITH_CONTEXT_TRAITS_EXAMPLE = {
    **SPEC_TRACK_EXAMPLE,
    "context": {**SPEC_TRACK_EXAMPLE["context"], "traits": {"username": "testing-123"}},
    "event": "Button Clicked",
}
# The HTTP API page's bodies: the endpoint, not the body, names the type.
HTTP_API_EXAMPLES = {
    "identify": {
        "userId": "019mr8mf4r",
        "traits": {"email": "pgibbons@example.com", "name": "Peter Gibbons", "industry": "Technology"},
        "context": {"ip": "24.5.68.47"},
        "timestamp": "2012-12-02T00:30:08.276Z",
        "writeKey": "YOUR_WRITE_KEY",
    },
    "track": {
        "userId": "019mr8mf4r",
        "event": "Item Purchased",
        "properties": {"name": "Leap to Conclusions Mat", "revenue": 14.99},
        "context": {"ip": "24.5.68.47"},
        "timestamp": "2012-12-02T00:30:12.984Z",
        "writeKey": "YOUR_WRITE_KEY",
    },
    "page": {
        "userId": "019mr8mf4r",
        "name": "Tracking HTTP API",
        "timestamp": "2012-12-02T00:31:29.738Z",
        "writeKey": "YOUR_WRITE_KEY",
    },
    "screen": {
        "userId": "019mr8mf4r",
        "name": "Tracking HTTP API",
        "timestamp": "2012-12-02T00:31:29.738Z",
        "writeKey": "YOUR_WRITE_KEY",
    },
    "group": {
        "userId": "019mr8mf4r",
        "groupId": "8e9df332ac",
        "traits": {"name": "Initech", "industry": "Technology", "employees": 420},
        "timestamp": "2012-12-02T00:31:38.208Z",
        "writeKey": "YOUR_WRITE_KEY",
    },
    "alias": {
        "previousId": "39239-239239-239239-23923",
        "userId": "019mr8mf4r",
        "timestamp": "2012-12-02T00:31:29.738Z",
        "writeKey": "YOUR_WRITE_KEY",
    },
}
SPEC_SELECTING_DESTINATIONS_EXAMPLE = {
    **HTTP_API_EXAMPLES["identify"],
    "type": "identify",
    "integrations": {"All": False, "Mixpanel": True, "Kissmetrics": True, "Google Analytics": False},
}
SPEC_BATCH_EXAMPLE = {
    "batch": [
        {
            "type": "identify",
            "userId": "019mr8mf4r",
            "traits": {"email": "jake@yahoo.com", "name": "Jake Peterson", "age": 26},
            "timestamp": "2012-12-02T00:30:08.276Z",
        },
        {
            "type": "track",
            "userId": "019mr8mf4r",
            "event": "Song Played",
            "properties": {"name": "Fallin for You", "artist": "Dierks Bentley"},
            "timestamp": "2012-12-02T00:30:12.984Z",
        },
        {
            "type": "identify",
            "userId": "971mj8mk7p",
            "traits": {"email": "cindy@example.com", "name": "Cindy Gonzalez", "age": 23},
            "timestamp": "2015-2-02T00:30:08.276Z",
        },
        {
            "type": "track",
            "userId": "971mj8mk7p",
            "event": "Song Played",
            "properties": {"name": "Get Right", "artist": "Jennifer Lopez"},
            "timestamp": "2015-2-02T00:30:12.984Z",
        },
    ],
    "writeKey": "YOUR_WRITE_KEY",
    "context": {"device": {"type": "phone", "name": "Apple iPhone 6"}},
}

SPEC_EXAMPLES = {
    "common fields": SPEC_COMMON_FIELDS_EXAMPLE,
    "identify": SPEC_IDENTIFY_EXAMPLE,
    "track": SPEC_TRACK_EXAMPLE,
    "track with context.traits": SPEC_TRACK_WITH_CONTEXT_TRAITS_EXAMPLE,
    "selecting destinations": SPEC_SELECTING_DESTINATIONS_EXAMPLE,
    **{f"HTTP API {kind}": {**body, "type": kind} for kind, body in HTTP_API_EXAMPLES.items()},
}


@pytest.mark.parametrize("example", SPEC_EXAMPLES.values(), ids=SPEC_EXAMPLES.keys())
def test_complete_examples_from_the_spec_pages_meet_their_contracts(example: dict[str, Any]) -> None:
    assert findings(example) == []
    assert is_valid(example)


def test_the_spec_batch_example_fails_only_on_its_one_digit_months() -> None:
    # The HTTP API page's batch example writes "2015-2-02", which is not ISO-8601; everything else passes.
    found = validate_batch(SPEC_BATCH_EXAMPLE)
    assert [(finding.path, finding.rule) for finding in found] == [
        ("$.batch[2].timestamp", "format at common.json#/$defs/dateTime"),
        ("$.batch[3].timestamp", "format at common.json#/$defs/dateTime"),
    ]
    fixed = json.loads(json.dumps(SPEC_BATCH_EXAMPLE).replace("2015-2-02", "2015-02-02"))
    assert validate_batch(fixed) == []


VALID_IDENTIFY = {
    "type": "identify",
    "anonymousId": "a-1",
    "messageId": "m-1",
    "traits": {"email": "a@example.com", "subscribed": True},
    "context": {"library": {"name": "listrak", "version": "1.0"}},
    "timestamp": "2024-01-02T03:04:05.678Z",
}


def with_(message: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A copy of ``message`` with top-level fields changed; a value of ``...`` deletes the field."""
    copy = {**message, **changes}
    return {key: value for key, value in copy.items() if value is not ...}


INVALID_MESSAGES = [
    ("traits a string", with_(VALID_IDENTIFY, traits="x"), "$.traits", "type"),
    ("traits an array", with_(VALID_IDENTIFY, traits=[]), "$.traits", "type"),
    ("no id at all", with_(VALID_IDENTIFY, anonymousId=...), "$", "anyOf"),
    ("both ids null", with_(VALID_IDENTIFY, anonymousId=None, userId=None), "$", "anyOf"),
    ("userId a number", with_(VALID_IDENTIFY, userId=42), "$.userId", "type"),
    ("anonymousId empty", with_(VALID_IDENTIFY, anonymousId=""), "$.anonymousId", "minLength"),
    ("messageId too long", with_(VALID_IDENTIFY, messageId="m" * 101), "$.messageId", "maxLength"),
    ("messageId a number", with_(VALID_IDENTIFY, messageId=7), "$.messageId", "type"),
    (
        "timestamp without zone",
        with_(VALID_IDENTIFY, timestamp="2024-01-02T03:04:05"),
        "$.timestamp",
        "format",
    ),
    ("timestamp as epoch", with_(VALID_IDENTIFY, timestamp=1704164645), "$.timestamp", "type"),
    ("sentAt impossible day", with_(VALID_IDENTIFY, sentAt="2023-02-29T00:00:00Z"), "$.sentAt", "format"),
    ("email a number", with_(VALID_IDENTIFY, traits={"email": 5}), "$.traits.email", "type"),
    ("context a string", with_(VALID_IDENTIFY, context="web"), "$.context", "type"),
    (
        "library without version",
        with_(VALID_IDENTIFY, context={"library": {"name": "x"}}),
        "$.context.library",
        "required",
    ),
    ("context.traits an array", with_(VALID_IDENTIFY, context={"traits": []}), "$.context.traits", "type"),
    (
        "integration a string",
        with_(VALID_IDENTIFY, integrations={"Mixpanel": "on"}),
        "$.integrations.Mixpanel",
        "type",
    ),
    ("version a boolean", with_(VALID_IDENTIFY, version=True), "$.version", "type"),
    ("unknown type", with_(VALID_IDENTIFY, type="identity"), "$.type", "enum"),
    ("missing type", with_(VALID_IDENTIFY, type=...), "$", "required"),
    ("track without event", {"type": "track", "userId": "u"}, "$", "required"),
    ("track with empty event", {"type": "track", "userId": "u", "event": ""}, "$.event", "minLength"),
    (
        "track revenue a string",
        {"type": "track", "userId": "u", "event": "E", "properties": {"revenue": "9.99"}},
        "$.properties.revenue",
        "type",
    ),
    (
        "track properties null",
        {"type": "track", "userId": "u", "event": "E", "properties": None},
        "$.properties",
        "type",
    ),
    ("group without groupId", {"type": "group", "userId": "u"}, "$", "required"),
    (
        "group traits a string",
        {"type": "group", "userId": "u", "groupId": "g", "traits": "t"},
        "$.traits",
        "type",
    ),
    ("alias without previousId", {"type": "alias", "userId": "u"}, "$", "required"),
    ("alias with null userId", {"type": "alias", "previousId": "p", "userId": None}, "$.userId", "type"),
    ("page name a number", {"type": "page", "userId": "u", "name": 1}, "$.name", "type"),
    (
        "screen properties a list",
        {"type": "screen", "userId": "u", "properties": [1]},
        "$.properties",
        "type",
    ),
]


@pytest.mark.parametrize(
    ("message", "path", "keyword"),
    [case[1:] for case in INVALID_MESSAGES],
    ids=[case[0] for case in INVALID_MESSAGES],
)
def test_each_invalid_message_gets_a_finding_at_the_offending_path(
    message: dict[str, Any], path: str, keyword: str
) -> None:
    assert not is_valid(message)
    found = findings(message)
    assert (path, keyword) in [(finding.path, finding.rule.split(" at ")[0]) for finding in found]


def test_patterns_use_only_regex_syntax_that_python_and_ecma_262_read_alike() -> None:
    # Python's \d and \w match any Unicode digit or letter, ECMA-262's only ASCII ones; lookarounds and
    # inline flags are not in every engine. Character classes and anchors mean the same everywhere.
    patterns = [schema["pattern"] for _, schema, _ in ALL_SUBSCHEMAS if "pattern" in schema]
    patterns += [key for _, schema, _ in ALL_SUBSCHEMAS for key in schema.get("patternProperties", {})]
    assert patterns, "expected the Listrak Source contracts to use patterns"
    risky = [pattern for pattern in patterns if "\\" in pattern or "(?" in pattern]
    assert risky == []
