"""Histories as data: JSON round trips, load errors that say what, where and what was seen, the
one-line-a-step description, and validation against what Listrak would accept."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.history import (
    FORMAT,
    STEP_TYPES,
    AddField,
    AdvanceClock,
    ClearField,
    Crash,
    CreateList,
    History,
    HistoryError,
    InjectFault,
    Integrate,
    RemoveIntegration,
    Resubscribe,
    SetField,
    Step,
    Subscribe,
    Sync,
    Unsubscribe,
    describe_fault,
    step_from_json,
    step_label,
)
from harness.strategies import addresses, listrak_faults, segment_faults

# -- JSON round trips ------------------------------------------------------------------------------
ids = st.integers(1, 2**31 - 1)
names = st.text(min_size=1, max_size=20).filter(str.strip)
values = st.text(max_size=30)
STEP_STRATEGIES: dict[str, st.SearchStrategy[Any]] = {
    "create_list": st.builds(CreateList, ids, names),
    "add_field": st.builds(
        AddField, ids, ids, names, st.sampled_from(("Text", "Numeric", "Date")), st.integers(1, 4000)
    ),
    "subscribe": st.builds(Subscribe, ids, addresses(), st.dictionaries(ids, values, max_size=3)),
    "unsubscribe": st.builds(Unsubscribe, ids, addresses()),
    "resubscribe": st.builds(Resubscribe, ids, addresses()),
    "set_field": st.builds(SetField, ids, addresses(), ids, values),
    "clear_field": st.builds(ClearField, ids, addresses(), ids),
    "integrate": st.builds(Integrate, ids, st.none() | ids),
    "remove_integration": st.builds(RemoveIntegration, ids),
    "inject_fault": st.one_of(
        st.builds(InjectFault, st.just("segment"), segment_faults()),
        st.builds(InjectFault, st.just("listrak"), listrak_faults()),
    ),
    "crash": st.builds(Crash, st.integers(0, 1000)),
    "advance_clock": st.builds(AdvanceClock, st.integers(0, 10**6) | st.floats(0, 10**6)),
    "sync": st.just(Sync()),
}


def test_every_step_kind_has_a_round_trip_strategy() -> None:
    assert set(STEP_STRATEGIES) == set(STEP_TYPES)


@pytest.mark.parametrize("kind", sorted(STEP_TYPES))
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_step_survives_json_text_round_trip(kind: str, data: st.DataObject) -> None:
    step = data.draw(STEP_STRATEGIES[kind])
    raw = json.loads(json.dumps(step.to_json()))
    assert raw["kind"] == kind
    assert step_from_json(raw, "steps[0]") == step


def test_subscribe_values_are_keyed_by_decimal_field_id_in_json() -> None:
    raw = Subscribe(7, "a@x.io", {5: "u1", 12: ""}).to_json()
    assert raw == {"kind": "subscribe", "list_id": 7, "address": "a@x.io", "values": {"5": "u1", "12": ""}}


def test_optional_fields_take_their_defaults_when_absent_from_json() -> None:
    assert step_from_json({"kind": "add_field", "list_id": 7, "field_id": 5}, "s") == AddField(7, 5)
    assert step_from_json({"kind": "subscribe", "list_id": 7, "address": "a@x.io"}, "s") == Subscribe(7, "a@x.io")
    assert step_from_json({"kind": "integrate", "list_id": 7}, "s") == Integrate(7, None)


def sample_history() -> History:
    """One valid history using every kind of step."""
    return History(
        (
            CreateList(7, "Newsletter"),
            AddField(7, 5, "CustomerId", "Text", 10),
            Integrate(7, 5),
            Subscribe(7, "Ann+news@Example.com", {5: "u-1"}),
            Subscribe(7, "bob@x.io"),
            Sync(),
            InjectFault("segment", {"action": "status", "status": 429, "headers": {"Retry-After": "1"}, "times": 2}),
            InjectFault("listrak", {"action": "revoke_tokens", "times": 1}),
            Crash(3),
            SetField(7, "bob@x.io", 5, "   "),
            Unsubscribe(7, "Ann+news@Example.com"),
            AdvanceClock(3600),
            Sync(),
            Resubscribe(7, "Ann+news@Example.com"),
            ClearField(7, "bob@x.io", 5),
            RemoveIntegration(7),
            Sync(),
        ),
        revision="2023-08-03",
        write_key="wk_test",
    )


def test_history_json_round_trip_keeps_every_step_and_the_header() -> None:
    history = sample_history()
    document = json.loads(history.dumps())
    assert document["format"] == FORMAT
    assert document["revision"] == "2023-08-03"
    assert document["writeKey"] == "wk_test"
    assert [s["kind"] for s in document["steps"]][:3] == ["create_list", "add_field", "integrate"]
    assert History.from_json(document) == history


def test_save_and_load_reproduce_the_history(tmp_path: Path) -> None:
    history = sample_history()
    path = history.save(tmp_path / "h.json")
    assert path.read_text(encoding="utf-8").endswith("\n")
    assert History.load(path) == history


def test_meta_is_kept_but_not_part_of_equality(tmp_path: Path) -> None:
    history = History(sample_history().steps, meta={"seed": 3, "rule": "user-id"})
    loaded = History.load(history.save(tmp_path / "h.json"))
    assert loaded.meta == {"seed": 3, "rule": "user-id"}
    assert loaded == History(sample_history().steps)


def test_steps_given_as_a_list_are_held_as_a_tuple() -> None:
    assert History([Sync()]).steps == (Sync(),)  # type: ignore[arg-type]


# -- load errors -----------------------------------------------------------------------------------
def base_document() -> dict[str, Any]:
    return {
        "format": FORMAT,
        "revision": "2023-07-13",
        "writeKey": "wk",
        "steps": [
            {"kind": "create_list", "list_id": 7, "name": "N"},
            {"kind": "subscribe", "list_id": 7, "address": "a@x.io", "values": {}},
            {"kind": "sync"},
        ],
    }


def edit(path: str, value: Any) -> Any:
    """A change to base_document(): set the value at a dotted path (`steps.1.address`), or delete it (...)."""

    def change(document: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = document
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        key: Any = int(last) if isinstance(target, list) else last
        if value is ...:
            del target[key]
        else:
            target[key] = value

    return change


LOAD_ERRORS = [
    # (change, where, fragment of the message, seen)
    (edit("format", "listrak-harness/history@2"), "format", "listrak-harness/history@1", "listrak-harness/history@2"),
    (edit("format", ...), "format", "expected", None),
    (edit("revision", "2024-01-01"), "revision", "2023-07-13, 2023-08-03", "2024-01-01"),
    (edit("writeKey", ""), "writeKey", "non-empty write key", ""),
    (edit("steps", {"kind": "sync"}), "steps", "array of steps", {"kind": "sync"}),
    (edit("extra", 1), "$", "unknown key(s) extra", None),
    (edit("meta", []), "meta", "object", []),
    (edit("steps.0", "create_list"), "steps[0]", "step object", "create_list"),
    (edit("steps.2.kind", "snyc"), "steps[2].kind", "one of create_list", "snyc"),
    (edit("steps.0.list_id", ...), "steps[0].list_id", "create_list step needs list_id", None),
    (edit("steps.0.list_id", "7"), "steps[0].list_id", "positive 32-bit integer id", "7"),
    (edit("steps.0.list_id", True), "steps[0].list_id", "positive 32-bit integer id", True),
    (edit("steps.0.list_id", 0), "steps[0].list_id", "positive 32-bit integer id", 0),
    (edit("steps.0.name", " "), "steps[0].name", "non-empty name", " "),
    (edit("steps.0.colour", "red"), "steps[0]", "unknown key(s) colour; a create_list step takes list_id, name", None),
    (edit("steps.1.address", "a at x.io"), "steps[1].address", "email address Listrak accepts", "a at x.io"),
    (edit("steps.1.address", "a b@x.io"), "steps[1].address", "no spaces", "a b@x.io"),
    (edit("steps.1.values", {"x": "1"}), 'steps[1].values["x"]', "field id (decimal digits)", "x"),
    (edit("steps.1.values", {"5": 1}), "steps[1].values[5]", "a string", 1),
    (edit("steps.1.values", ["5"]), "steps[1].values", "object of field ids", ["5"]),
    (edit("steps.2", {"kind": "advance_clock", "seconds": -1}), "steps[2].seconds", "seconds >= 0", -1),
    (edit("steps.2", {"kind": "crash", "after_requests": 1.5}), "steps[2].after_requests", "whole number", 1.5),
    (
        edit("steps.2", {"kind": "inject_fault", "target": "redis", "fault": {}}),
        "steps[2].target",
        "'segment'",
        "redis",
    ),
    (
        edit("steps.2", {"kind": "inject_fault", "target": "segment", "fault": {"action": "revoke_tokens"}}),
        "steps[2].fault",
        "fake segment can arm",
        None,
    ),
    (
        edit("steps.2", {"kind": "inject_fault", "target": "listrak", "fault": {"action": "status"}}),
        "steps[2].fault",
        "needs 'status'",
        None,
    ),
    (
        edit("steps.2", {"kind": "inject_fault", "target": "listrak", "fault": {"action": "drop", "partition": "x"}}),
        "steps[2].fault.partition",
        "no 'partition'",
        "x",
    ),
    (
        edit("steps.2", {"kind": "add_field", "list_id": 7, "field_id": 5, "data_type": "Blob"}),
        "steps[2].data_type",
        "Text, Numeric",
        "Blob",
    ),
    (
        edit("steps.2", {"kind": "add_field", "list_id": 7, "field_id": 5, "max_length": 0}),
        "steps[2].max_length",
        "maximum length",
        0,
    ),
    # Well-formed, but not a history Listrak would accept: loading validates too.
    (edit("steps.1.list_id", 8), "steps[1].list_id", "list 8 does not exist (lists: 7)", None),
    (
        edit("steps.2", {"kind": "resubscribe", "list_id": 7, "address": "a@x.io"}),
        "steps[2].address",
        "a@x.io is not unsubscribed on list 7 (subscribed at step 2)",
        None,
    ),
]


@pytest.mark.parametrize(("change", "where", "fragment", "seen"), LOAD_ERRORS)
def test_loading_a_bad_history_says_what_where_and_what_was_seen(
    change: Any, where: str, fragment: str, seen: Any
) -> None:
    document = base_document()
    change(document)
    with pytest.raises(HistoryError) as caught:
        History.from_json(document)
    error = caught.value
    assert error.where == where
    assert fragment in str(error)
    assert str(error).startswith(f"{where}: ")
    if seen is not None:
        assert error.has_seen and error.seen == seen
        assert f"got {json.dumps(seen, ensure_ascii=False)}" in str(error)


def test_base_document_loads() -> None:
    assert len(History.from_json(base_document()).steps) == 3


def test_loading_without_validation_accepts_an_illegal_but_well_formed_history() -> None:
    document = base_document()
    edit("steps.1.list_id", 8)(document)
    assert History.from_json(document, validate=False).steps[1] == Subscribe(8, "a@x.io")


def test_loading_a_non_object_names_the_root() -> None:
    with pytest.raises(HistoryError) as caught:
        History.from_json([1, 2])
    assert caught.value.where == "$"


def test_loading_text_that_is_not_json_names_the_file_and_position(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"format": ', encoding="utf-8")
    with pytest.raises(HistoryError) as caught:
        History.load(path)
    assert caught.value.where == str(path)
    assert "line 1" in str(caught.value)


def test_loading_a_file_that_is_not_utf8_says_so(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{"writeKey": "\xe9"}')
    with pytest.raises(HistoryError, match="UTF-8"):
        History.load(path)


def test_loading_does_not_change_the_document() -> None:
    document = base_document()
    before = copy.deepcopy(document)
    History.from_json(document)
    assert document == before


# -- describe ----------------------------------------------------------------------------------------
def test_describe_prints_one_numbered_line_a_step() -> None:
    assert sample_history().describe() == "\n".join(
        [
            '  1. create list 7 "Newsletter"',
            '  2. add field 5 "CustomerId" (Text, max 10) to list 7',
            "  3. integrate list 7 with userId from field 5",
            '  4. subscribe Ann+news@Example.com to list 7 with field 5 = "u-1"',
            "  5. subscribe bob@x.io to list 7",
            "  6. sync 1",
            "  7. inject a fault into segment: status 429 (Retry-After: 1), 2 times",
            "  8. inject a fault into listrak: revoke_tokens, once",
            "  9. crash the next sync's implementation after 3 requests",
            ' 10. set field 5 of bob@x.io on list 7 to "   "',
            " 11. unsubscribe Ann+news@Example.com from list 7",
            " 12. advance the clock 3600 s",
            " 13. sync 2",
            " 14. resubscribe Ann+news@Example.com to list 7 (overrideUnsubscribe)",
            " 15. clear field 5 of bob@x.io on list 7",
            " 16. remove list 7 from the integration",
            " 17. sync 3",
        ]
    )


@pytest.mark.parametrize(
    ("spec", "text"),
    [
        ({"action": "drop", "after": True, "times": 3}, "drop after the request is handled, 3 times"),
        ({"action": "hang", "hang_s": 0.5, "times": 1}, "hang 0.5 s, once"),
        ({"action": "status", "status": 503, "method": "POST", "path": "/v1/batch"}, "status 503 on POST /v1/batch"),
        ({"action": "drop", "probability": 0.5}, "drop, with probability 0.5"),
    ],
)
def test_describe_fault_says_action_target_and_count(spec: dict[str, Any], text: str) -> None:
    assert describe_fault(spec) == text


def test_step_label_counts_from_one() -> None:
    assert step_label(4, Unsubscribe(7, "a@x.io")) == "step 5 (unsubscribe a@x.io from list 7)"


# -- validate ----------------------------------------------------------------------------------------
SETUP: tuple[Step, ...] = (
    CreateList(7),
    AddField(7, 5, "CustomerId", "Text", 4),
    AddField(7, 6, "Score", "Numeric", 10),
    CreateList(8),
    AddField(8, 9),
    Subscribe(7, "Ann@x.io"),
)
VALIDATE_ERRORS: list[tuple[tuple[Step, ...], str, str]] = [
    # (steps after SETUP, where, fragment)
    ((CreateList(7),), "steps[6].list_id", "list 7 already exists (created at step 1)"),
    ((AddField(9, 10),), "steps[6].list_id", "list 9 does not exist (lists: 7, 8)"),
    (
        (AddField(8, 5),),
        "steps[6].field_id",
        "field 5 already exists (on list 7, added at step 2); field ids are unique",
    ),
    ((Subscribe(9, "b@x.io"),), "steps[6].list_id", "list 9 does not exist"),
    ((Subscribe(7, "Ann@x.io"),), "steps[6].address", "Ann@x.io is already on list 7, subscribed at step 6"),
    ((Subscribe(7, "ann@X.IO"),), "steps[6].address", "as 'Ann@x.io' (matched case-insensitively)"),
    (
        (Unsubscribe(7, "Ann@x.io"), Subscribe(7, "Ann@x.io")),
        "steps[7].address",
        "unsubscribed at step 7; resubscribe it instead",
    ),
    ((Subscribe(8, "b@x.io", {5: "u"}),), "steps[6].field_id", "field 5 belongs to list 7, not to list 8"),
    ((Subscribe(7, "b@x.io", {5: "toolong"}),), "steps[6].values[5]", "at most 4 characters"),
    ((Unsubscribe(7, "b@x.io"),), "steps[6].address", "b@x.io is not on list 7"),
    ((Unsubscribe(7, "ann@x.io"),), "steps[6].address", "stored on list 7 as 'Ann@x.io'"),
    ((Unsubscribe(8, "Ann@x.io"),), "steps[6].address", "Ann@x.io is not on list 8"),
    (
        (Unsubscribe(7, "Ann@x.io"), Unsubscribe(7, "Ann@x.io")),
        "steps[7].address",
        "not subscribed on list 7 (unsubscribed at step 7)",
    ),
    ((Resubscribe(7, "Ann@x.io"),), "steps[6].address", "not unsubscribed on list 7 (subscribed at step 6)"),
    ((SetField(7, "Ann@x.io", 9, "u"),), "steps[6].field_id", "field 9 belongs to list 8"),
    ((SetField(7, "Ann@x.io", 77, "u"),), "steps[6].field_id", "field 77 does not exist on list 7 (its fields: 5, 6)"),
    ((SetField(7, "Ann@x.io", 5, "12345"),), "steps[6].value", "field 5 takes a Text value of at most 4 characters"),
    ((SetField(7, "Ann@x.io", 6, "abc"),), "steps[6].value", "field 6 takes a Numeric value"),
    ((SetField(7, "nobody@x.io", 5, "u"),), "steps[6].address", "nobody@x.io is not on list 7"),
    ((ClearField(8, "Ann@x.io", 9),), "steps[6].address", "Ann@x.io is not on list 8"),
    ((Integrate(9),), "steps[6].list_id", "list 9 does not exist"),
    ((Integrate(7, 9),), "steps[6].field_id", "field 9 belongs to list 8"),
    ((Integrate(7, 5), Integrate(7, 6)), "steps[7].list_id", "list 7 is already integrated (step 7); remove it"),
    ((RemoveIntegration(7),), "steps[6].list_id", "list 7 is not integrated (integrated lists: none)"),
    ((Crash(1), Crash(2)), "steps[7]", "a crash is already armed for the next sync (step 7)"),
    ((Subscribe(7, "not an address"),), "steps[6].address", "email address Listrak accepts"),
    ((InjectFault("segment", {"action": "status", "status": 99}),), "steps[6].fault", "from 100 to 599"),
]


@pytest.mark.parametrize(("steps", "where", "fragment"), VALIDATE_ERRORS)
def test_validate_names_the_step_listrak_would_refuse(steps: tuple[Step, ...], where: str, fragment: str) -> None:
    with pytest.raises(HistoryError) as caught:
        History((*SETUP, *steps)).validate()
    assert caught.value.where == where
    assert fragment in str(caught.value)
    assert caught.value.step in (None, len(SETUP) + len(steps) - 1)


def test_validate_error_quotes_the_step_it_names() -> None:
    with pytest.raises(HistoryError) as caught:
        History((*SETUP, Unsubscribe(7, "b@x.io"))).validate()
    assert caught.value.step == 6
    assert "step 7 (unsubscribe b@x.io from list 7)" in str(caught.value)


def test_validate_accepts_a_history_listrak_would_accept() -> None:
    sample_history().validate()
    History((*SETUP, Unsubscribe(7, "Ann@x.io"), Resubscribe(7, "Ann@x.io"), Crash(1), Sync(), Crash(2))).validate()


def test_validate_accepts_values_at_max_length_empty_and_whitespace() -> None:
    History((*SETUP, SetField(7, "Ann@x.io", 5, "üüüü"), SetField(7, "Ann@x.io", 5, ""))).validate()
    History((*SETUP, SetField(7, "Ann@x.io", 5, "    "), SetField(7, "Ann@x.io", 6, " 12 "))).validate()


def test_validate_accepts_a_list_integrated_again_after_removal() -> None:
    History((*SETUP, Integrate(7, 5), Sync(), RemoveIntegration(7), Integrate(7, None), Sync())).validate()


@pytest.mark.parametrize(
    ("history", "where"),
    [
        (History((Sync(),), revision="2023-01-01"), "revision"),
        (History((Sync(),), write_key=""), "writeKey"),
        (History(("sync",)), "steps[0]"),  # type: ignore[arg-type]
        (History((CreateList("7"),)), "steps[0].list_id"),  # type: ignore[arg-type]
    ],
)
def test_validate_checks_the_header_and_the_shape_of_each_step(history: History, where: str) -> None:
    with pytest.raises(HistoryError) as caught:
        history.validate()
    assert caught.value.where == where
