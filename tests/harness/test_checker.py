"""The checker: silent on the reference sync, and precise on small, realistic bugs."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable

import httpx
import pytest
from histories_support import LIFECYCLE, LISTS
from hypothesis import HealthCheck, given, settings

from harness.checker import CHECKED_RULES, Finding, check, coverage, failing, iter_findings
from harness.history import (
    REVISIONS,
    AddField,
    CreateList,
    History,
    InjectFault,
    Integrate,
    RemoveIntegration,
    SetField,
    Step,
    Subscribe,
    Sync,
    Unsubscribe,
)
from harness.impls import ReferenceImpl, SyncContext, SyncOutcome, parse_impl
from harness.replay import replay
from harness.rules import get_rule
from harness.strategies import histories

# A value set, changed and set back between syncs; an address with the same letters on two lists.
VALUES: tuple[Step, ...] = (
    CreateList(7),
    AddField(7, 5),
    CreateList(8),
    AddField(8, 6),
    Subscribe(7, "Zoe@x.io", {5: "u1"}),
    Subscribe(8, "zoe@x.io", {6: "u9"}),
    Integrate(7, 5),
    Integrate(8, 6),
    Sync(),
    SetField(7, "Zoe@x.io", 5, "u2"),
    SetField(7, "Zoe@x.io", 5, "u1"),
    Sync(),
    SetField(7, "Zoe@x.io", 5, "u3"),
    Sync(),
)
HAND_WRITTEN = {"lifecycle": LIFECYCLE, "lists": LISTS, "values": VALUES}


def _rules(findings: list[Finding]) -> set[str]:
    return {f.rule for f in findings}


@pytest.mark.parametrize("revision", REVISIONS)
@pytest.mark.parametrize("name", sorted(HAND_WRITTEN))
def test_reference_has_no_findings_on_hand_written_histories(name: str, revision: str) -> None:
    run = replay(History(HAND_WRITTEN[name], revision=revision), ReferenceImpl())
    assert all(r.outcome.ok for r in run.records)
    assert failing(check(run)) == []


@settings(max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_reference_has_no_findings_on_generated_histories(history: History) -> None:
    findings = failing(check(replay(history, ReferenceImpl())))
    assert findings == [], "\n".join(f.explanation for f in findings)


def test_coverage_counts_every_checked_rule_exercised_and_none_violated_by_the_reference() -> None:
    run = replay(History(LIFECYCLE, revision="2023-08-03"), ReferenceImpl())
    table = coverage(run)
    assert set(table) == set(CHECKED_RULES)
    # No fault, no 429, no expired token and no removed list in this history: those four wait for their own.
    idle = {"retry-after", "token-refresh", "removed-list-not-judged"}
    assert all(exercised > 0 for rule, (exercised, _) in table.items() if rule not in idle), table
    assert all(table[rule][0] == 0 for rule in idle), table
    assert all(violated == 0 for _, violated in table.values()), table


def test_coverage_counts_the_violations_it_is_given() -> None:
    run = replay(History(LIFECYCLE), parse_impl("python:broken_syncs:omit_removal"))
    findings = failing(check(run))
    table = coverage(run, findings)
    assert table["unsubscribed-trait-removed"] == (table["unsubscribed-trait-removed"][0], len(findings))
    assert table["list-trait-value"][1] == 0


# (broken sync, the rule it breaks, words its explanation must hold, every rule that fires and why the others do)
MUTANTS = [
    pytest.param(
        "omit_removal",
        "unsubscribed-trait-removed",
        "was unsubscribed from list 7 (step 7), but no message since set {T}7 to null, so the profile still has "
        "{T}7 = true from sync 1 (message 1)",
        {"unsubscribed-trait-removed"},
        id="removal-by-omission",
    ),
    pytest.param(
        "false_removal",
        "list-trait-value",
        "sets {T}7 to false, but false is a value that Segment keeps",
        # Segment keeps false, so the profile also still holds the trait.
        {"list-trait-value", "unsubscribed-trait-removed"},
        id="removal-by-false",
    ),
    pytest.param(
        "string_true",
        "list-trait-value",
        'sets {T}7 to "true", but a string, not the boolean true',
        # Segment keeps the string, so the subscribed profile has no {T}7 = true.
        {"list-trait-value", "subscribed-has-trait"},
        id="string-true",
    ),
    pytest.param(
        "empty_user_id",
        "user-id",
        'for bob@x.io has userId "", but a userId is never empty or null',
        # Segment drops a message with userId "" (id_not_string), so bob's profile gets neither trait.
        {"user-id", "subscribed-has-trait", "email-trait-present"},
        id="empty-user-id",
    ),
    pytest.param(
        "lower_case",
        "anonymous-id-is-email",
        'has anonymousId "ann@x.io", but Listrak stores the contact on list 7 as "Ann@X.io"',
        # The email trait is lower-cased too, and the profile of "Ann@X.io" is never built, so the state rules
        # (its list trait, email, and the userId "u1" of its field) find nothing under the address Listrak stores.
        {"anonymous-id-is-email", "email-trait", "subscribed-has-trait", "email-trait-present", "user-id-propagated"},
        id="address-lower-cased",
    ),
    pytest.param(
        "no_email",
        "email-trait",
        'for Ann@X.io has no traits.email, but traits.email must be the contact\'s address "Ann@X.io"',
        # No message sets the email, so no profile has it either.
        {"email-trait", "email-trait-present"},
        id="email-missing",
    ),
    pytest.param(
        "other_spelling",
        "list-trait-name",
        'sets a trait named "{WRONG}7", but revision {REV} names the list trait "{T}7"',
        # The correctly spelt trait is then never set on a subscribed profile.
        {"list-trait-name", "subscribed-has-trait"},
        id="wrong-trait-spelling",
    ),
    pytest.param(
        "id_per_pair",
        "message-id-unique",
        "differs from message 1 of sync 1 (traits.{T}7: true -> null), so Segment dropped it as a duplicate",
        # Segment dropped the changes that reused an id: Ann's null and bob's new userId never arrive.
        {"message-id-unique", "unsubscribed-trait-removed", "user-id-propagated"},
        id="message-id-reused",
    ),
]


@pytest.mark.parametrize("revision", REVISIONS)
@pytest.mark.parametrize(("function", "rule", "words", "fired"), MUTANTS)
def test_broken_sync_is_caught_by_the_rule_it_breaks(
    function: str, rule: str, words: str, fired: set[str], revision: str
) -> None:
    run = replay(History(LIFECYCLE, revision=revision), parse_impl(f"python:broken_syncs:{function}"))
    findings = failing(check(run))
    assert _rules(findings) == fired, "\n".join(f"{f.rule}: {f.explanation}" for f in findings)
    trait = "Listrak_list_" if revision == REVISIONS[0] else "listrak_list_"
    wrong = "listrak_list_" if revision == REVISIONS[0] else "Listrak_list_"
    expected = words.format(T=trait, WRONG=wrong, REV=revision)
    main = [f for f in findings if f.rule == rule]
    assert any(expected in f.explanation for f in main), [f.explanation for f in main]
    for f in main:
        assert f.revision == revision
        assert f.quote == get_rule(rule).citation(revision).quote
        assert f.explanation.startswith(f"At sync {f.sync} (step {f.sync_step + 1})")
        assert f.explanation.endswith(".") and f.explanation.count(". ") == 0
        assert f.expected and f.seen


def test_a_finding_names_the_steps_and_messages_involved() -> None:
    run = replay(History(LIFECYCLE), parse_impl("python:broken_syncs:omit_removal"))
    (finding,) = failing(check(run))
    assert finding.sync == 2 and finding.sync_step == 8
    assert finding.steps == (6, 8)  # the unsubscribe (step 7) and the sync (step 9)
    assert finding.messages == (1,)
    assert finding.expected == "no Listrak_list_7 (removed by a null)"
    assert finding.seen == "Listrak_list_7 = true"


def test_state_rules_are_not_judged_after_a_sync_that_reported_failure() -> None:
    run = replay(History(LIFECYCLE), parse_impl("python:broken_syncs:omit_removal"))
    failed = dataclasses.replace(
        run,
        records=tuple(
            dataclasses.replace(r, outcome=dataclasses.replace(r.outcome, ok=False, error="boom")) for r in run.records
        ),
    )
    # Only the last sync's failure is judged: nothing armed against it, so it must succeed and repair.
    (finding,) = failing(check(failed))
    assert finding.rule == "no-silent-loss" and finding.sync == len(run.records)
    assert "reported failure (boom) although neither fake failed any of its requests" in finding.explanation


def test_removed_lists_are_not_judged() -> None:
    steps = (CreateList(7), CreateList(8), Subscribe(7, "a@x.io"), Subscribe(8, "a@x.io"))
    steps += (Integrate(7), Integrate(8), Sync(), RemoveIntegration(8), Unsubscribe(8, "a@x.io"), Sync())
    # The profile keeps Listrak_list_8 = true after list 8 left the integration: not a finding.
    run = replay(History(steps), ReferenceImpl())
    assert run.records[1].views["a@x.io"]["Listrak_list_8"] is True
    findings = check(run)
    assert failing(findings) == []
    (said,) = [f for f in findings if f.rule == "removed-list-not-judged"]
    assert said.sync == 2 and said.steps == (7, 9)
    assert "list 8 is no longer integrated (removed at step 8), and 1 profile(s) still have Listrak_list_8" in (
        said.explanation
    )


def test_a_message_about_a_contact_of_a_removed_list_alone_is_not_judged() -> None:
    def still_syncs_removed(context: SyncContext) -> SyncOutcome:
        """Keeps syncing list 8 after it left the integration (what the documentation leaves open)."""
        return ReferenceImpl().run(dataclasses.replace(context, lists=({"listId": 7}, {"listId": 8})))

    steps = (CreateList(7), CreateList(8), Subscribe(7, "a@x.io"), Subscribe(8, "b@x.io"))
    steps += (Integrate(7), Integrate(8), Sync(), RemoveIntegration(8), Unsubscribe(8, "b@x.io"), Sync())
    run = replay(History(steps), _Named("still-syncs-removed", still_syncs_removed))
    sent = [m.message for m in run.records[1].messages]
    assert [(m["anonymousId"], m["traits"]["Listrak_list_8"]) for m in sent] == [("b@x.io", None)]
    assert failing(check(run)) == []


# -- fault rules ---------------------------------------------------------------------------------
class _Swallow5xx(httpx.BaseTransport):
    """Answers 200 where Segment answered 5xx: the careless client that treats any answer as delivered."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if response.status_code >= 500:
            response.read()
            return httpx.Response(200, json={"success": True}, request=request)
        return response


def _swallowing(context: SyncContext) -> SyncOutcome:
    assert context.segment_transport is not None
    swallowing = dataclasses.replace(context, segment_transport=_Swallow5xx(context.segment_transport))
    return ReferenceImpl().run(swallowing)


class _Named:
    """An implementation from a function, for a test's own broken sync."""

    def __init__(self, name: str, run: Callable[[SyncContext], SyncOutcome]) -> None:
        self.name = name
        self.run = run


SEGMENT_500 = (CreateList(7), Subscribe(7, "a@x.io"), Subscribe(7, "b@x.io"), Integrate(7), Sync())
SEGMENT_500 += (InjectFault("segment", {"action": "status", "status": 500, "times": 1}), Subscribe(7, "c@x.io"))
SEGMENT_500 += (Sync(), Sync())


def test_a_swallowed_segment_500_is_silent_loss_and_the_reference_retries() -> None:
    findings = failing(check(replay(History(SEGMENT_500), _Named("swallow-5xx", _swallowing))))
    assert {f.rule for f in findings} == {"no-silent-loss", "subscribed-has-trait", "email-trait-present"}
    (loss,) = [f for f in findings if f.rule == "no-silent-loss"]
    assert loss.sync == 2 and loss.steps == (5, 7)
    assert "the sync reported success although faults hit it (status on POST /v1/batch)" in loss.explanation
    assert "c@x.io is subscribed to list 7 (step 7), but its profile has no Listrak_list_7" in loss.explanation

    run = replay(History(SEGMENT_500), ReferenceImpl(sleep=lambda _s: None))
    exercised: Counter[str] = Counter()
    assert failing(list(iter_findings(run, exercised))) == []
    assert exercised["no-silent-loss"] == 2  # the sync the 500 hit, and the clean last sync


def test_a_retry_sooner_than_retry_after_is_a_finding_and_the_reference_waits() -> None:
    fault = {"action": "status", "status": 429, "headers": {"Retry-After": "1"}, "times": 1}
    steps = (CreateList(7), Subscribe(7, "a@x.io"), Integrate(7), InjectFault("segment", fault), Sync(), Sync())
    hasty = replay(History(steps), ReferenceImpl(sleep=lambda _s: None))
    (finding,) = failing(check(hasty))
    assert finding.rule == "retry-after" and finding.sync == 1
    assert "got a 429 with Retry-After: 1, but the next request to segment" in finding.explanation
    assert finding.expected == "the next request at least 1s after the 429"

    patient = replay(History(steps), ReferenceImpl())
    exercised: Counter[str] = Counter()
    assert failing(list(iter_findings(patient, exercised))) == []
    assert exercised["retry-after"] == 1


def test_a_revoked_token_is_refreshed_by_the_reference() -> None:
    steps = (CreateList(7), Subscribe(7, "a@x.io"), Integrate(7), Sync())
    revoke = {"action": "revoke_tokens", "path": "/email/v1/.*", "times": 1}
    steps += (InjectFault("listrak", revoke), Subscribe(7, "b@x.io"), Sync())
    run = replay(History(steps), ReferenceImpl())
    exercised: Counter[str] = Counter()
    assert failing(list(iter_findings(run, exercised))) == []
    assert exercised["token-refresh"] >= 1
    assert any(e.status == 401 for e in run.records[1].exchanges)


def test_a_sync_that_gives_up_on_a_401_is_a_token_refresh_finding() -> None:
    def no_refresh(context: SyncContext) -> SyncOutcome:
        """Asks for one token, then reads the list with it; a 401 ends the sync as a failure."""
        with httpx.Client(transport=context.listrak_transport) as client:
            token = client.post(
                context.listrak_auth_url,
                data={
                    "grant_type": "client_credentials",
                    "client_id": context.listrak_client_id,
                    "client_secret": context.listrak_client_secret,
                },
            ).json()["access_token"]
            for entry in context.lists:
                url = f"{context.listrak_api_url}/List/{entry['listId']}/Contact"
                if client.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 401:
                    return SyncOutcome(False, "Listrak said 401")
        return ReferenceImpl().run(context)

    steps = (CreateList(7), Subscribe(7, "a@x.io"), Integrate(7))
    steps += (InjectFault("listrak", {"action": "revoke_tokens", "path": "/email/v1/.*", "times": 1}), Sync(), Sync())
    findings = failing(check(replay(History(steps), _Named("no-refresh", no_refresh))))
    (finding,) = findings
    assert finding.rule == "token-refresh" and finding.sync == 1
    assert "got a 401 (the token expired or was revoked), but the sync never asked for a new token" in (
        finding.explanation
    )
