"""Check messages against the contracts, fast when they pass and explained when they fail.

Two sets of contracts: the Segment Spec (`ContractValidator`), and the Listrak Source as each revision
of its documentation describes it (`SourceValidator`), which includes the Spec. Two engines read the
same schema files. ``jsonschema-rs`` (compiled, about 8x faster here) answers
"valid?" on the ingest hot path; ``jsonschema`` is the authority that explains a failure, and runs
only after the fast path said no. Both implement draft 2020-12 and both get the one date-time check
defined here; a property test holds them to the same verdicts.
"""

from __future__ import annotations

import ast
import functools
import importlib.resources
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib.resources.abc import Traversable
from types import MappingProxyType
from typing import Any, Final
from urllib.parse import urldefrag, urljoin

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match, relevance
from referencing import Registry
from referencing.jsonschema import DRAFT202012

__all__ = [
    "CONTRACT_BASE_URI",
    "MESSAGE_TYPES",
    "SOURCE_BASE_URI",
    "SOURCE_REVISIONS",
    "ContractValidator",
    "Finding",
    "SourceValidator",
    "UnknownRevision",
    "default_validator",
    "describe_value",
    "findings",
    "is_date_time",
    "is_valid",
    "is_valid_batch",
    "list_trait_value_hint",
    "source_validator",
    "validate_batch",
]

_CONTRACTS_URI: Final = "https://listrak-harness.dev/contracts/"
CONTRACT_BASE_URI: Final = _CONTRACTS_URI + "segment/"
SOURCE_BASE_URI: Final = _CONTRACTS_URI + "listrak-source/"
MESSAGE_TYPES: Final = ("identify", "track", "page", "screen", "group", "alias")

_PACKAGE: Final = __name__.rpartition(".")[0]
_SCHEMA_FOLDER: Final = "segment"
_SOURCE_FOLDER: Final = "listrak_source"
_REVISION_NAME: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
# The revisions are whatever the package ships Listrak Source contracts for, one folder each, oldest first.
SOURCE_REVISIONS: Final = tuple(
    sorted(
        entry.name
        for entry in importlib.resources.files(_PACKAGE).joinpath(_SOURCE_FOLDER).iterdir()
        if _REVISION_NAME.fullmatch(entry.name)
    )
)
_COMMON_URI: Final = CONTRACT_BASE_URI + "common.json"
_MESSAGE_URI: Final = _COMMON_URI + "#/$defs/message"

# ISO-8601 extended format with a timezone, as SDKs send it: 2015-12-10T04:08:31.905Z or +02:00.
_DATE_TIME: Final = re.compile(
    r"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
    r"T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?"
    r"(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)",
    re.ASCII,
)
_IDENTIFIER: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TYPE_NAMES: Final = {
    "object": "an object",
    "array": "an array",
    "string": "a string",
    "number": "a number",
    "integer": "an integer",
    "boolean": "a boolean",
    "null": "null",
}
_FORMAT_NAMES: Final = {
    "date-time": "an ISO-8601 date-time with a timezone (like 2015-12-10T04:08:31.905Z)",
}
_SHOWN_CHARACTERS: Final = 40

Schema = Mapping[str, Any]
_FastCheck = Callable[[Any], bool]


def is_date_time(value: object) -> bool:
    """Whether ``value`` is an ISO-8601 date-time with a timezone; non-strings pass, as formats do."""
    if not isinstance(value, str):
        return True
    return _is_date_time_text(value)


# Messages of one batch usually share their timestamps: remember recent answers.
@functools.lru_cache(maxsize=4096)
def _is_date_time_text(value: str) -> bool:
    if _DATE_TIME.fullmatch(value) is None:
        return False
    try:
        # The pattern fixes the shape and ranges; this rejects days a month lacks (2015-02-30).
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class Finding:
    """One way a message breaks a contract: where, which rule, and a sentence saying so.

    For the Segment contracts ``rule`` names the failing schema keyword and where it is
    (``type at #/properties/traits``). For the Listrak Source contracts ``rule`` is the id of the
    DESIGN.md rule broken (``list-trait-value``) and ``keyword`` holds the keyword and where it is.
    """

    path: str
    rule: str
    message: str
    contract: str
    keyword: str = ""


class UnknownRevision(ValueError):
    """A Listrak Source documentation revision that no contract describes."""

    def __init__(self, revision: object) -> None:
        super().__init__(
            f"expected a Listrak Source documentation revision, one of {', '.join(SOURCE_REVISIONS)}; saw {revision!r}"
        )
        self.revision = revision


class _Contracts:
    """What both validators share: contract files by URI, and turning jsonschema errors into findings."""

    _documents: Mapping[str, Schema]
    _by_uri: dict[str, Schema]
    _fast: dict[str, _FastCheck]

    def _fast_check_for(self, message: object) -> _FastCheck | None:
        if isinstance(message, dict):
            kind = message.get("type")
            if isinstance(kind, str):
                return self._fast.get(kind)
        return None

    def _resolve(self, base_uri: str, ref: str) -> tuple[str, Any]:
        """The document URI and the schema that ``ref``, written in ``base_uri``, points at."""
        uri, fragment = urldefrag(urljoin(base_uri, ref))
        try:
            node: Any = self._by_uri[uri]
        except KeyError:
            # Contracts only ever point at each other; anything else is a bug, never a download.
            raise LookupError(f"expected a $ref to one of the contracts, saw {ref!r} in {base_uri}") from None
        for part in fragment.split("/")[1:]:
            node = node[_unescape(part)]
        return uri, node

    def _explain(self, explainer: Draft202012Validator, contract: str, instance: object, root: str) -> list[Finding]:
        errors = sorted(explainer.iter_errors(instance), key=relevance, reverse=True)
        return [self._finding(error, explainer.schema, contract, root) for error in errors]

    def _finding(self, error: ValidationError, schema: Schema, contract: str, root: str) -> Finding:
        if error.context and not _described(error):
            error = best_match([error])
        path = _json_path(root, error.absolute_path)
        uri, pointer = self._locate(schema, contract, list(error.absolute_schema_path))
        return Finding(
            path=path,
            rule=f"{error.validator} at {self._where(contract, uri, pointer)}",
            message=f"{path}: {_explain_error(error)}",
            contract=contract,
        )

    def _locate(self, schema: Schema, contract: str, schema_path: list[str | int]) -> tuple[str, list[str]]:
        """Which contract file, and which JSON pointer in it, hold the failing keyword, following ``$ref``s."""
        # jsonschema leaves "$ref" hops out of schema paths; a step that the current node lacks must
        # go through its "$ref", since the contracts give a "$ref" no sibling keywords.
        uri = self._documents[contract]["$id"]
        node: Any = schema
        pointer: list[str] = []
        for position, segment in enumerate(schema_path):
            while isinstance(node, Mapping) and "$ref" in node and segment not in node:
                ref = node["$ref"]
                uri, node = self._resolve(uri, ref)
                pointer = [_unescape(part) for part in urldefrag(ref).fragment.split("/")[1:]]
            if position < len(schema_path) - 1:
                node = node[segment]
                pointer.append(str(segment))
        return uri, pointer

    def _where(self, contract: str, uri: str, pointer: list[str]) -> str:
        """Render a location: ``#/ptr`` in the contract itself, ``common.json#/ptr`` beside it, else from the root."""
        own_uri = self._documents[contract]["$id"]
        if uri == own_uri:
            file = ""
        elif uri.rpartition("/")[0] == own_uri.rpartition("/")[0]:
            file = uri.rpartition("/")[2]
        else:
            file = uri.removeprefix(_CONTRACTS_URI)
        return file + "#" + "".join("/" + _escape(part) for part in pointer)


class ContractValidator(_Contracts):
    """The Segment contracts, compiled once, with a fast yes/no and an explaining slow path."""

    def __init__(self) -> None:
        """Load every contract shipped in the package and compile it for both engines."""
        documents = _load_documents()
        self._documents = MappingProxyType(documents)
        self._by_uri = {doc["$id"]: doc for doc in documents.values()}
        registry = _registry(self._by_uri)
        checker = _format_checker()
        self._explainers = {
            name: Draft202012Validator(doc, registry=registry, format_checker=checker)
            for name, doc in documents.items()
        }
        self._dispatcher = Draft202012Validator({"$ref": _MESSAGE_URI}, registry=registry, format_checker=checker)
        self._rs_registry = jsonschema_rs.Registry([(uri, dict(doc)) for uri, doc in self._by_uri.items()])
        self._fast: dict[str, _FastCheck] = {name: self._compile(name) for name in MESSAGE_TYPES}
        self._fast_batch = self._compile("batch")
        self._fast_many: dict[str, _FastCheck] = {}

    @property
    def contracts(self) -> Mapping[str, Schema]:
        """The loaded schema documents by contract name (``identify``, ``common``, ``batch``, ...)."""
        return self._documents

    def is_valid(self, message: object) -> bool:
        """Whether ``message`` meets the contract its ``type`` names; an unknown or missing type does not."""
        check = self._fast_check_for(message)
        return check is not None and check(message)

    def findings(self, message: object) -> list[Finding]:
        """Every way ``message`` breaks its contract, most useful first; empty when it is valid."""
        return self._message_findings(message, "$")

    def findings_of_each(self, messages: Sequence[object]) -> list[tuple[Finding, ...]]:
        """``findings()`` of every message, in order, as tuples: the same verdicts, for less.

        The messages of one type are checked together, in one call of the compiled engine, and only
        a group that fails is explained message by message. A batch of valid messages, the common
        case, thus costs one engine call per type instead of one per message.
        """
        found: list[tuple[Finding, ...]] = [()] * len(messages)
        groups: dict[str, list[int]] = {}
        fast = self._fast
        for index, message in enumerate(messages):
            kind = message.get("type") if message.__class__ is dict else None
            if kind.__class__ is str and kind in fast:
                groups.setdefault(kind, []).append(index)
            else:
                found[index] = tuple(self._message_findings(message, "$"))
        for kind, indexes in groups.items():
            group = messages if len(indexes) == len(messages) else [messages[i] for i in indexes]
            check = self._fast_many.get(kind)
            if check is None:
                check = self._fast_many[kind] = _compile_fast(
                    self._documents[kind], self._rs_registry, self._by_uri, many=True
                )
            if not check(group):
                for index in indexes:
                    found[index] = tuple(self._message_findings(messages[index], "$"))
        return found

    def is_valid_batch(self, body: object) -> bool:
        """Whether a ``/v1/batch`` body and every message in it meet their contracts."""
        if not self._fast_batch(body):
            return False
        # The envelope passed, so every item is an object with a known type.
        fast = self._fast
        return all(fast[item["type"]](item) for item in body["batch"])  # type: ignore[index]

    def validate_batch(self, body: object) -> list[Finding]:
        """Every way a ``/v1/batch`` body breaks the envelope contract or its items theirs, envelope first."""
        if self.is_valid_batch(body):
            return []
        found = self._explain(self._explainers["batch"], "batch", body, "$")
        items = body.get("batch") if isinstance(body, dict) else None
        if isinstance(items, list):
            for index, item in enumerate(items):
                # Items without a known type were reported by the envelope already.
                if self._fast_check_for(item) is not None:
                    found.extend(self._message_findings(item, f"$.batch[{index}]"))
        return found

    def _message_findings(self, message: object, root: str) -> list[Finding]:
        check = self._fast_check_for(message)
        if check is None:
            return self._explain(self._dispatcher, "common", message, root)
        if not check(message):
            name: str = message["type"]  # type: ignore[index]
            return self._explain(self._explainers[name], name, message, root) or [_disagreement(root, name, name)]
        return []

    def _compile(self, name: str) -> _FastCheck:
        return _compile_fast(self._documents[name], self._rs_registry, self._by_uri)


class SourceValidator(_Contracts):
    """The Listrak Source contracts of one documentation revision, each including the Segment Spec's."""

    def __init__(self, revision: str) -> None:
        """Load the revision's contracts and the Segment contracts they refer to; compile them for both engines."""
        if revision not in SOURCE_REVISIONS:
            raise UnknownRevision(revision)
        self.revision: Final = revision
        source = _load_source_documents(revision)
        self._prefix = f"listrak-source/{revision}/"
        self._documents = MappingProxyType({self._prefix + name: doc for name, doc in source.items()})
        self._source_uris = frozenset(doc["$id"] for doc in source.values())
        self._by_uri = {doc["$id"]: doc for doc in (*_load_documents().values(), *source.values())}
        registry = _registry(self._by_uri)
        checker = _format_checker()
        self._explainers = {
            name: Draft202012Validator(doc, registry=registry, format_checker=checker) for name, doc in source.items()
        }
        rs_registry = jsonschema_rs.Registry([(uri, dict(doc)) for uri, doc in self._by_uri.items()])
        self._fast: dict[str, _FastCheck] = {
            name: _compile_fast(doc, rs_registry, self._by_uri) for name, doc in source.items()
        }

    @property
    def contracts(self) -> Mapping[str, Schema]:
        """The revision's schema documents by contract name (``listrak-source/2023-08-03/track``, ...)."""
        return self._documents

    @property
    def message_types(self) -> tuple[str, ...]:
        """The calls this revision of the documentation describes (``identify``, and ``track`` since 2023-08-03)."""
        return tuple(self._fast)

    def is_valid(self, message: object) -> bool:
        """Whether ``message`` is a call the revision documents and meets its contract (and so the Spec's)."""
        check = self._fast_check_for(message)
        return check is not None and check(message)

    def findings(self, message: object) -> list[Finding]:
        """Every way ``message`` breaks the revision's contracts, most useful first, each naming its DESIGN.md rule.

        A call the revision does not document is one ``message-type`` finding: its other contracts do not apply.
        """
        check = self._fast_check_for(message)
        if check is None:
            return [self._undocumented_type(message)]
        if check(message):
            return []
        name: str = message["type"]  # type: ignore[index]
        found = self._explain(self._explainers[name], self._prefix + name, message, "$")
        # A fault that both the source contract and the Spec forbid (an empty userId) is reported once, by the
        # more relevant finding, which comes first.
        unique: dict[tuple[str, str], Finding] = {}
        for finding in found:
            unique.setdefault((finding.path, finding.message), finding)
        return list(unique.values()) or [_disagreement("$", name, self._prefix + name)]

    def _undocumented_type(self, message: object) -> Finding:
        kinds = self.message_types
        expected = " or ".join(_json(kind) for kind in kinds)
        which = "the only call" if len(kinds) == 1 else "the calls"
        why = f"{which} the Listrak Source documents in revision {self.revision}"
        if not isinstance(message, dict):
            path, text = "$", f"expected a message object whose type is {expected}, saw {describe_value(message)}"
        elif "type" not in message:
            path, text = "$", f'expected a property "type" that is {expected} ({why}), saw an object without it'
        else:
            path, text = "$.type", f"expected {expected} ({why}), saw {describe_value(message['type'])}"
        return Finding(
            path=path,
            rule=_MESSAGE_TYPE_RULE,
            message=f"{path}: {text}",
            contract=self._prefix.rstrip("/"),
        )

    def _finding(self, error: ValidationError, schema: Schema, contract: str, root: str) -> Finding:
        if error.context and not _described(error):
            error = best_match([error])
        uri, pointer = self._locate(schema, contract, list(error.absolute_schema_path))
        parts: list[str | int] = list(error.absolute_path)
        name = _named_property(error)
        if name is not None:
            # The fault is one property's name or presence: point at that property, not its object.
            parts.append(name)
        path = _json_path(root, parts)
        rule = _source_rule(error, pointer) if uri in self._source_uris else _SEGMENT_SPEC_RULE
        return Finding(
            path=path,
            rule=rule,
            message=f"{path}: {_explain_source_error(error, rule)}",
            contract=contract,
            keyword=f"{error.validator} at {self._where(contract, uri, pointer)}",
        )


def _disagreement(root: str, name: str, contract: str) -> Finding:
    # Only a bug in the contracts or in an engine gets here; say so rather than pass silently.
    return Finding(
        path=root,
        rule="engines disagree",
        message=(
            f"{root}: expected the two schema engines to agree, saw the fast one reject "
            f"this {name} message and jsonschema accept it"
        ),
        contract=contract,
    )


def _registry(by_uri: Mapping[str, Schema]) -> Registry[Any]:
    return Registry().with_resources((uri, DRAFT202012.create_resource(doc)) for uri, doc in by_uri.items())


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    checker.checks("date-time")(is_date_time)
    return checker


def _compile_fast(
    document: Schema, registry: jsonschema_rs.Registry, by_uri: Mapping[str, Schema], *, many: bool = False
) -> _FastCheck:
    """A yes/no check of ``document`` (with ``many``, of a list whose every item must meet it), as fast
    as the contract allows.

    A format check is a Python callback that the compiled engine makes for every value it checks,
    which costs as much as the rest of a message's validation. When every ``format`` of the contract
    sits on a top-level property (the date-times of the common fields), the engine checks the
    structure with formats off and Python checks those few properties itself: the same verdict for
    half the cost. Any other contract keeps the callback. A list's items often share their times,
    so each distinct value is checked once.
    """
    schema: Schema = {"type": "array", "items": {"$ref": document["$id"]}} if many else dict(document)
    sites = _top_level_formats(document, by_uri)
    if sites is None:
        validator = jsonschema_rs.Draft202012Validator(
            dict(schema),
            registry=registry,
            validate_formats=True,
            formats={"date-time": is_date_time},
        )
        is_valid: _FastCheck = validator.is_valid
        return is_valid
    structure_is_valid = jsonschema_rs.Draft202012Validator(
        dict(schema), registry=registry, validate_formats=False
    ).is_valid
    dated = tuple(sites)

    def dates_hold(items: Iterable[dict[str, Any]]) -> bool:
        good: set[str] = set()  # items often share their times: each distinct one is checked once
        for item in items:
            get = item.get
            for name in dated:
                value = get(name)
                if value.__class__ is str and value not in good:
                    if not _is_date_time_text(value):
                        return False
                    good.add(value)
        return True

    def check(instance: Any) -> bool:
        # The structure check passed, so a dict is the root object; any other root has no properties.
        return structure_is_valid(instance) and (instance.__class__ is not dict or dates_hold((instance,)))

    def check_many(items: Any) -> bool:
        # The structure check passed, so every item is an object.
        return structure_is_valid(items) and dates_hold(items)

    return check_many if many else check


# Keywords whose subschemas apply to the instance itself, and those that apply to something inside it.
_IN_PLACE_KEYWORDS: Final = frozenset({"allOf"})
_SUBSCHEMA_KEYWORDS: Final = frozenset(
    {
        "anyOf",
        "oneOf",
        "not",
        "if",
        "then",
        "else",
        "dependentSchemas",
        "items",
        "prefixItems",
        "contains",
        "additionalProperties",
        "patternProperties",
        "propertyNames",
        "unevaluatedItems",
        "unevaluatedProperties",
        "properties",
        "contentSchema",
    }
)
# References this walk does not follow: a contract using them keeps the engine's callback for every format.
_UNFOLLOWED_REFS: Final = frozenset({"$dynamicRef", "$recursiveRef"})


def _top_level_formats(document: Schema, by_uri: Mapping[str, Schema]) -> dict[str, str] | None:
    """``{property: format}`` when every ``format`` reachable from ``document`` applies, unconditionally, to a
    top-level property that is always checked; None when some format sits anywhere else, or is not date-time.

    Only ``$ref`` and ``allOf`` keep a schema where it is; ``properties`` at the root steps to a top-level
    property; every other keyword steps deeper or makes the check conditional.
    """
    sites: dict[str, str] = {}
    seen: set[tuple[int, str | None, bool]] = set()
    root_uri = str(document.get("$id", ""))

    def walk(node: Any, base: str, prop: str | None, deep: bool) -> bool:
        if not isinstance(node, Mapping) or (id(node), prop, deep) in seen:
            return True
        seen.add((id(node), prop, deep))
        base = urljoin(base, node["$id"]) if isinstance(node.get("$id"), str) else base
        if "format" in node:
            if deep or prop is None or node["format"] != "date-time":
                return False
            sites[prop] = node["format"]
        if not _UNFOLLOWED_REFS.isdisjoint(node):
            return False
        ref = node.get("$ref")
        if isinstance(ref, str):
            uri, fragment = urldefrag(urljoin(base, ref))
            if uri not in by_uri:
                return False
            target: Any = by_uri[uri]
            for part in fragment.split("/")[1:]:
                target = target[_unescape(part)]
            if not walk(target, uri, prop, deep):
                return False
        for keyword, value in node.items():
            if keyword in _IN_PLACE_KEYWORDS:
                if not all(walk(item, base, prop, deep) for item in value):
                    return False
            elif keyword == "properties" and prop is None and not deep:
                if not all(walk(sub, base, name, False) for name, sub in value.items()):
                    return False
            elif keyword in _SUBSCHEMA_KEYWORDS and not all(
                walk(sub, base, None, True) for sub in _subschemas(keyword, value)
            ):
                return False
        return True

    return sites if walk(document, root_uri, None, False) else None


_MAPS: Final = frozenset({"properties", "patternProperties", "dependentSchemas"})


def _subschemas(keyword: str, value: Any) -> list[Any]:
    if keyword in _MAPS:
        return list(value.values()) if isinstance(value, Mapping) else []
    return list(value) if isinstance(value, list) else [value]


def _load_documents() -> dict[str, dict[str, Any]]:
    return _load_folder(importlib.resources.files(_PACKAGE).joinpath(_SCHEMA_FOLDER))


def _load_source_documents(revision: str) -> dict[str, dict[str, Any]]:
    return _load_folder(importlib.resources.files(_PACKAGE).joinpath(_SOURCE_FOLDER).joinpath(revision))


def _load_folder(folder: Traversable) -> dict[str, dict[str, Any]]:
    documents = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".json"):
            documents[entry.name.removesuffix(".json")] = json.loads(entry.read_text(encoding="utf-8"))
    return dict(sorted(documents.items()))


# DESIGN.md's rule ids, as the Listrak Source contracts' findings name them.
_MESSAGE_TYPE_RULE: Final = "message-type"
_SEGMENT_SPEC_RULE: Final = "segment-spec"
_LIST_TRAIT_NAME_RULE: Final = "list-trait-name"
_LIST_TRAIT_VALUE_RULE: Final = "list-trait-value"
# Which rule a failing keyword of a source contract breaks, by the top-level property it constrains.
_PROPERTY_RULES: Final = MappingProxyType(
    {
        "type": _MESSAGE_TYPE_RULE,
        "event": _MESSAGE_TYPE_RULE,
        "properties": _MESSAGE_TYPE_RULE,
        "anonymousId": "anonymous-id-is-email",
        "userId": "user-id",
        "traits": "email-trait",
        "context": "email-trait",
    }
)
_LIST_TRAIT_HINTS: Final = {
    "false": "false is a value that Segment keeps, so the trait stays on the profile; null removes it",
    "empty": "Segment keeps an empty string as the trait's value; null removes the trait",
    "string": "a string, not the boolean true",
    "number": "a number, not the boolean true",
    "other": "only true (subscribed) and null (removed) are list trait values",
}


def _source_rule(error: ValidationError, pointer: list[str]) -> str:
    """The DESIGN.md rule that a failing keyword at ``pointer`` in a Listrak Source contract expresses."""
    if len(pointer) >= 2 and pointer[0] == "properties":
        name = pointer[1]
    elif pointer:
        name = ""
    elif error.validator == "required":
        name = _missing_property(error)
    elif error.validator == "not":
        name = _named_property(error) or ""
    else:
        # The root's own "type: object": not a message at all.
        name = "type"
    if name == "traits" and "propertyNames" in pointer:
        return _LIST_TRAIT_NAME_RULE
    if name == "traits" and "patternProperties" in pointer:
        return _LIST_TRAIT_VALUE_RULE
    try:
        return _PROPERTY_RULES[name]
    except KeyError:
        raise LookupError(f"expected every keyword of the source contracts to map to a rule, saw {pointer}") from None


def _named_property(error: ValidationError) -> str | None:
    """The property a finding is about when the error sits on its object: a bad name, or one that must be absent."""
    if "propertyNames" in error.absolute_schema_path and isinstance(error.instance, str):
        return error.instance
    spec = error.validator_value
    if error.validator == "not" and isinstance(spec, Mapping) and isinstance(error.instance, Mapping):
        present = [name for name in spec.get("required", ()) if name in error.instance]
        if len(present) == 1 and set(spec) <= {"required", "description"}:
            return str(present[0])
    return None


def _explain_source_error(error: ValidationError, rule: str) -> str:
    """Like `_explain_error`, with the words a Listrak Source finding needs: names, absent ids, list trait values."""
    name = _named_property(error)
    if name is not None and "propertyNames" in error.absolute_schema_path:
        expected = error.schema["description"] if _described(error) else "another name"
        return f"expected {expected}, saw the name {_json(name)}"
    if name is not None:
        return f"expected no {name}, saw {name} as {describe_value(error.instance[name])}"
    if rule == _LIST_TRAIT_VALUE_RULE and error.validator == "enum":
        value = error.instance
        hint = list_trait_value_hint(value)
        seen = describe_value(value) + (f" ({hint})" if hint else "")
        return f"expected {' or '.join(_json(option) for option in error.validator_value)}, saw {seen}"
    return _explain_error(error)


def list_trait_value_hint(value: object) -> str:
    """Why a list trait value other than true or null is wrong, in words (the checker says it too)."""
    if value is False:
        return _LIST_TRAIT_HINTS["false"]
    if value == "":
        return _LIST_TRAIT_HINTS["empty"]
    if isinstance(value, str):
        return _LIST_TRAIT_HINTS["string"]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _LIST_TRAIT_HINTS["number"]
    return _LIST_TRAIT_HINTS["other"]


def _described(error: ValidationError) -> bool:
    schema = error.schema
    return isinstance(schema, Mapping) and isinstance(schema.get("description"), str)


def _explain_error(error: ValidationError) -> str:
    """One sentence, after the path: what the contract expected and what the message had."""
    keyword, spec, value = error.validator, error.validator_value, error.instance
    seen = describe_value(value)
    if keyword == "type":
        kinds = [spec] if isinstance(spec, str) else list(spec)
        expected = " or ".join(_TYPE_NAMES.get(kind, kind) for kind in kinds)
    elif keyword == "required":
        expected = f'a property "{_missing_property(error)}"'
        seen = "an object without it"
    elif keyword == "const":
        expected = _json(spec)
    elif keyword == "enum":
        expected = "one of " + ", ".join(_json(option) for option in spec)
    elif keyword == "minLength":
        expected = "a non-empty string" if spec == 1 else f"a string of at least {spec} characters"
        seen = _describe_length(value)
    elif keyword == "maxLength":
        expected = f"a string of at most {spec} characters"
        seen = _describe_length(value)
    elif keyword == "format":
        expected = _FORMAT_NAMES.get(spec, f"a string in the {spec} format")
    elif keyword == "pattern":
        expected = f"a string matching the pattern {spec}"
    elif keyword == "not" and isinstance(spec, Mapping) and "const" in spec:
        expected = f"a value other than {_json(spec['const'])}"
    elif keyword in ("anyOf", "oneOf") and _described(error):
        expected = error.schema["description"]
        seen = _describe_named(value, _required_names(spec))
    else:
        return error.message
    return f"expected {expected}, saw {seen}"


def _missing_property(error: ValidationError) -> str:
    # jsonschema yields one error per missing name and keeps the name only in its message.
    head = error.message.removesuffix(" is a required property")
    try:
        name = ast.literal_eval(head)
    except (ValueError, SyntaxError):
        name = None
    if isinstance(name, str):
        return name
    instance = error.instance if isinstance(error.instance, Mapping) else {}
    return ", ".join(str(name) for name in error.validator_value if name not in instance)


def _required_names(branches: Iterable[Any]) -> list[str]:
    names: dict[str, None] = {}
    for branch in branches:
        if isinstance(branch, Mapping):
            names.update(dict.fromkeys(branch.get("required", ())))
    return list(names)


def _describe_named(value: object, names: list[str]) -> str:
    if not isinstance(value, Mapping) or not names:
        return describe_value(value)
    return " and ".join(f"{name} as {describe_value(value[name])}" if name in value else f"no {name}" for name in names)


def describe_value(value: object) -> str:
    """Name a JSON value the way a person would, short enough for one line."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean {_json(value)}"
    if isinstance(value, int | float):
        return f"a number {_json(value)}"
    if isinstance(value, str):
        if not value:
            return "an empty string"
        if len(value) > _SHOWN_CHARACTERS:
            return f"a string {_json(value[: _SHOWN_CHARACTERS - 3] + '...')} ({len(value)} characters)"
        return f"a string {_json(value)}"
    if isinstance(value, list):
        if not value:
            return "an empty array"
        return f"an array of {len(value)} item{'s' if len(value) != 1 else ''}"
    if isinstance(value, Mapping):
        return "an object" if value else "an empty object"
    return f"a {type(value).__name__}"


def _describe_length(value: object) -> str:
    if isinstance(value, str) and value:
        return f"a string of {len(value)} character{'s' if len(value) != 1 else ''}"
    return describe_value(value)


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _json_path(root: str, parts: Iterable[str | int]) -> str:
    rendered = [root]
    for part in parts:
        if isinstance(part, int):
            rendered.append(f"[{part}]")
        elif _IDENTIFIER.fullmatch(part):
            rendered.append(f".{part}")
        else:
            quoted = part.replace("\\", "\\\\").replace("'", "\\'")
            rendered.append(f"['{quoted}']")
    return "".join(rendered)


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


@functools.cache
def default_validator() -> ContractValidator:
    """The shared validator behind the module functions, built on first use."""
    return ContractValidator()


def is_valid(message: object) -> bool:
    """Whether ``message`` meets the contract its ``type`` names (see `ContractValidator.is_valid`)."""
    return default_validator().is_valid(message)


def findings(message: object) -> list[Finding]:
    """Every way ``message`` breaks its contract, most useful first (see `ContractValidator.findings`)."""
    return default_validator().findings(message)


def is_valid_batch(body: object) -> bool:
    """Whether a batch body and its messages meet their contracts (see `ContractValidator.is_valid_batch`)."""
    return default_validator().is_valid_batch(body)


def validate_batch(body: object) -> list[Finding]:
    """Every way a batch body or its messages break contracts (see `ContractValidator.validate_batch`)."""
    return default_validator().validate_batch(body)


@functools.cache
def source_validator(revision: str) -> SourceValidator:
    """The shared validator for one Listrak Source revision, built on first use; `UnknownRevision` otherwise."""
    return SourceValidator(revision)
