"""The checker: judges a replayed run against every rule of DESIGN.md, and explains each violation.

Checks are generators that yield `Finding`s (as jsonschema yields errors). The message rules judge
every message Segment received during a sync against the contact state the history had at that
sync (`harness.model.expectations`); `write-key` and `limits` judge the requests themselves
(`harness.exchange_rules`); the state rules judge, after each sync that reported success, the
per-anonymousId trait views the fake Segment built; the fault rules judge what the implementation
did about the faults and crashes the history armed; the hazards (`harness.hazards`) are reported
and never fail a run. Lists removed from the integration are not judged, and a hazard says so.
Each finding says, in one sentence, what was expected, what was seen, and where.
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from contracts.validator import list_trait_value_hint, source_validator
from fake_listrak.store import address_key
from fake_segment.dedupe import content_of
from fake_segment.models import StoredMessage
from harness.fakekit.faults import FiredFault

from . import exchange_rules
from .hazards import hazards
from .history import Step
from .model import ContactExpectation, SyncExpectation, expectations
from .replay import Run, SyncRecord
from .rules import get_rule

__all__ = [
    "CHECKED_RULES",
    "FAULT_RULES",
    "HAZARDS",
    "MESSAGE_RULES",
    "STATE_RULES",
    "Finding",
    "check",
    "coverage",
    "failing",
    "iter_findings",
]

MESSAGE_RULES: Final = (
    "message-type",
    "anonymous-id-is-email",
    "email-trait",
    "user-id",
    "list-trait-name",
    "list-trait-scope",
    "list-trait-value",
    "list-trait-truth",
    "segment-spec",
    "write-key",
    "limits",
    "message-id-unique",
)
STATE_RULES: Final = (
    "subscribed-has-trait",
    "unsubscribed-trait-removed",
    "email-trait-present",
    "user-id-propagated",
)
FAULT_RULES: Final = ("no-silent-loss", "retry-after", "token-refresh")
HAZARDS: Final = (
    "user-id-conflict",
    "user-id-shared",
    "redundant-message",
    "undocumented-trait",
    "removed-list-not-judged",
)
CHECKED_RULES: Final = MESSAGE_RULES + STATE_RULES + FAULT_RULES + HAZARDS

# Anything that starts like a list trait, in any case or separator: the name rule judges the exact spelling.
_LIST_TRAIT = re.compile(r"^listrak[ _-]?list", re.IGNORECASE)
_LIST_ID = re.compile(r"([0-9]+)$")
# A contract finding at this path says what one of our own rules says.
_PATH_RULES: Final = (
    ("$.userId", "user-id"),
    ("$.anonymousId", "anonymous-id-is-email"),
    ("$.traits.email", "email-trait"),
    ("$.context.traits.email", "email-trait"),
    ("$.type", "message-type"),
    ("$.event", "message-type"),
)
_MISSING: Any = object()


@dataclass(frozen=True, slots=True)
class Finding:
    """One violation: the rule, the documentation it rests on, where in the history and the messages, and why.

    `sync_step` and `steps` are step indexes (step 5 in the explanation is index 4); `messages`
    holds the seq numbers of stored messages, or the messageIds of messages Segment discarded.
    """

    rule: str
    revision: str
    quote: str
    sync_step: int
    steps: tuple[int, ...]
    messages: tuple[int | str, ...]
    expected: str
    seen: str
    explanation: str
    sync: int = 0
    source: str = ""

    def to_json(self) -> dict[str, Any]:
        """The finding as JSON (for reports)."""
        return {
            "rule": self.rule,
            "revision": self.revision,
            "quote": self.quote,
            "source": self.source,
            "sync": self.sync,
            "syncStep": self.sync_step,
            "steps": list(self.steps),
            "messages": list(self.messages),
            "expected": self.expected,
            "seen": self.seen,
            "explanation": self.explanation,
        }


def check(run: Run) -> list[Finding]:
    """Every finding of the run, sync by sync: message rules first, then state rules."""
    return list(iter_findings(run))


def iter_findings(run: Run, exercised: Counter[str] | None = None) -> Iterator[Finding]:
    """Yield the run's findings; `exercised` (if given) counts how often each rule was applied."""
    yield from _Checker(run, exercised if exercised is not None else Counter()).findings()


def failing(findings: list[Finding]) -> list[Finding]:
    """The findings that fail a run: every rule's but the hazards'."""
    return [f for f in findings if f.rule not in HAZARDS]


def coverage(run: Run, findings: list[Finding] | None = None) -> dict[str, tuple[int, int]]:
    """Rule id -> (times exercised, findings), for every rule the checker judges."""
    exercised: Counter[str] = Counter()
    found = list(iter_findings(run, exercised))
    violated = Counter(f.rule for f in (found if findings is None else findings))
    return {rule: (exercised[rule], violated[rule]) for rule in CHECKED_RULES}


# -- helpers -------------------------------------------------------------------------------------
def _fired(fault: FiredFault) -> str:
    """One fired fault, as a report names it: `status on POST /v1/batch`."""
    return f"{fault.action} on {fault.method} {fault.path}"


def _show(value: Any) -> str:
    if value is _MISSING:
        return "nothing"
    return json.dumps(value, ensure_ascii=False)


def _diff(first: Any, second: Any, path: str = "") -> list[str]:
    """Where two JSON values differ, as `traits.x: true -> null`."""
    if isinstance(first, dict) and isinstance(second, dict):
        out: list[str] = []
        for key in sorted(set(first) | set(second)):
            out += _diff(first.get(key, _MISSING), second.get(key, _MISSING), f"{path}.{key}" if path else key)
        return out
    if first == second and type(first) is type(second):
        return []
    return [f"{path}: {_show(first)} -> {_show(second)}"]


@functools.cache
def _track_events(revision: str) -> frozenset[str]:
    for name, schema in source_validator(revision).contracts.items():
        if name.endswith("/track"):
            return frozenset(schema["properties"]["event"]["enum"])
    return frozenset()


def _prefix(revision: str) -> str:
    return "Listrak_list_" if revision == "2023-07-13" else "listrak_list_"


def _list_traits(traits: Any) -> list[tuple[str, int | None, Any]]:
    """(name, list id or None, value) of every trait that looks like a list trait."""
    if not isinstance(traits, dict):
        return []
    out: list[tuple[str, int | None, Any]] = []
    for name, value in traits.items():
        if isinstance(name, str) and _LIST_TRAIT.match(name):
            found = _LIST_ID.search(name)
            out.append((name, int(found.group(1)) if found else None, value))
    return out


# -- the checker ---------------------------------------------------------------------------------
@dataclass(slots=True)
class _Sync:
    """One sync as the checks see it: what the history says (`x`) beside what happened (`record`)."""

    index: int
    x: SyncExpectation
    record: SyncRecord

    @property
    def where(self) -> str:
        return f"At sync {self.x.number} (step {self.x.step + 1})"


class _Checker:
    def __init__(self, run: Run, exercised: Counter[str]) -> None:
        self.run = run
        self.revision = run.history.revision
        self.steps: tuple[Step, ...] = run.history.steps
        self.prefix = _prefix(self.revision)
        self.exercised = exercised
        xs = expectations(run.history)
        if len(xs) != len(run.records):
            raise ValueError(f"expected one record per sync step ({len(xs)}), saw {len(run.records)}")
        self.syncs = [_Sync(i, x, r) for i, (x, r) in enumerate(zip(xs, run.records, strict=True))]
        self.sync_of: dict[int, int] = {m.seq: s.x.number for s in self.syncs for m in s.record.messages}

    def finding(
        self,
        rule: str,
        sync: _Sync,
        *,
        steps: tuple[int, ...] = (),
        messages: tuple[int | str, ...] = (),
        expected: str,
        seen: str,
        explanation: str,
    ) -> Finding:
        citation = get_rule(rule).citation(self.revision)
        return Finding(
            rule=rule,
            revision=self.revision,
            quote=citation.quote,
            sync_step=sync.x.step,
            steps=steps,
            messages=messages,
            expected=expected,
            seen=seen,
            explanation=explanation,
            sync=sync.x.number,
            source=citation.source,
        )

    def findings(self) -> Iterator[Finding]:
        first_ids: dict[str, tuple[dict[str, Any], int, int]] = {}
        for sync in self.syncs:
            for ref, label, message in self._sent(sync.record):
                yield from self._message(sync, ref, label, message)
            yield from self._exchanges(sync)
            yield from self._message_ids(sync, first_ids)
            state = list(self._state(sync)) if sync.record.outcome.ok else []
            yield from state
            yield from self._silent_loss(sync, state)
        yield from self._last_sync()
        yield from self._hazards()

    # -- the exchange rules ------------------------------------------------------------------
    def _exchanges(self, sync: _Sync) -> Iterator[Finding]:
        record, counts = sync.record, self.exercised
        found = [
            *exchange_rules.write_key(record.exchanges, self.run.history.write_key, sync.where, counts),
            *exchange_rules.limits(record.exchanges, sync.where, counts),
            *exchange_rules.retry_after(record.exchanges, sync.where, counts),
            *exchange_rules.token_refresh(record.exchanges, sync.where, record.outcome.crashed, counts),
        ]
        for v in found:
            yield self.finding(
                v.rule,
                sync,
                steps=(sync.x.step,),
                messages=v.messages,
                expected=v.expected,
                seen=v.seen,
                explanation=v.explanation,
            )

    # -- the fault rules ---------------------------------------------------------------------
    def _silent_loss(self, sync: _Sync, state: list[Finding]) -> Iterator[Finding]:
        """no-silent-loss: a sync that faults or a crash hit and that still reports success leaves no state broken."""
        record = sync.record
        if not record.faults and not record.outcome.crashed:
            return
        self.exercised["no-silent-loss"] += 1
        if not record.outcome.ok or not state:
            return
        hit = "; ".join(_fired(f) for f in record.faults[:3]) + ("; ..." if len(record.faults) > 3 else "")
        rules = sorted({f.rule for f in state})
        armed = tuple(i for i, _ in sync.x.faults)
        yield self.finding(
            "no-silent-loss",
            sync,
            steps=(*armed, sync.x.step),
            messages=tuple(m for f in state[:1] for m in f.messages),
            expected="a sync that reports failure, or one that delivered everything despite the faults",
            seen=f"success, with {len(state)} state finding(s): {', '.join(rules)}",
            explanation=(
                f"{sync.where}, the sync reported success although faults hit it ({hit}), and it left the "
                f"profiles wrong: {state[0].explanation}"
            ),
        )

    def _last_sync(self) -> Iterator[Finding]:
        """no-silent-loss: the history's last sync, with nothing armed against it, must succeed and so repair."""
        if not self.syncs:
            return
        last = self.syncs[-1]
        record = last.record
        if record.faults or record.outcome.crashed or last.x.faults or last.x.crash:
            return
        self.exercised["no-silent-loss"] += 1
        if record.outcome.ok:
            return
        said = record.outcome.error or "no reason given"
        yield self.finding(
            "no-silent-loss",
            last,
            steps=(last.x.step,),
            expected="the last sync, which no fault or crash hit, reports success and repairs everything",
            seen=f"failure: {said}",
            explanation=(
                f"{last.where}, the history's last sync reported failure ({said}) although neither fake failed "
                "any of its requests, so no successful sync ever repaired the profiles."
            ),
        )

    # -- hazards -----------------------------------------------------------------------------
    def _hazards(self) -> Iterator[Finding]:
        syncs = [(s.x, s.record.messages, dict(s.record.views)) for s in self.syncs]
        for h in hazards(syncs, self.prefix, self.exercised):
            sync = self.syncs[h.sync_index]
            yield self.finding(
                h.rule,
                sync,
                steps=(*h.steps, sync.x.step),
                messages=h.messages,
                expected=h.expected,
                seen=h.seen,
                explanation=h.explanation,
            )

    @staticmethod
    def _sent(record: SyncRecord) -> Iterator[tuple[int | str, str, Any]]:
        """(ref, label, message) of each message the implementation sent, but those Segment dropped as duplicates."""
        for stored in record.messages:
            yield stored.seq, f"message {stored.seq}", stored.message
        for discard in record.discards:
            if discard.reason != "duplicate":
                mid = discard.message.get("messageId") if isinstance(discard.message, dict) else None
                ref = mid if isinstance(mid, str) else f"discard {discard.seq}"
                yield ref, f"message {ref} (dropped by Segment: {discard.reason})", discard.message

    # -- message rules -----------------------------------------------------------------------
    def _message(self, sync: _Sync, ref: int | str, label: str, message: Any) -> Iterator[Finding]:
        own: list[Finding] = []
        if isinstance(message, dict):
            own = list(self._own(sync, ref, label, message))
        yield from own
        self.exercised["segment-spec"] += 1
        fired = {f.rule for f in own}
        for cf in source_validator(self.revision).findings(message):
            rule = cf.rule if cf.rule in CHECKED_RULES else "segment-spec"
            covered = next((r for p, r in _PATH_RULES if cf.path == p or cf.path.startswith(p + ".")), None)
            if rule in fired or (rule == "segment-spec" and covered in fired):
                continue
            if (
                rule == "segment-spec"
                and cf.path.startswith("$.traits.")
                and fired & {"list-trait-value", "list-trait-name"}
            ):
                continue
            yield self.finding(
                rule,
                sync,
                steps=(sync.x.step,),
                messages=(ref,),
                expected=f"a message that meets the {cf.contract} contract",
                seen=cf.message,
                explanation=f"{sync.where}, {label} breaks the {cf.contract} contract: {cf.message}.",
            )

    def _own(self, sync: _Sync, ref: int | str, label: str, m: dict[str, Any]) -> Iterator[Finding]:
        x = sync.x
        at = f"{sync.where}, {label}"
        steps = (x.step,)
        kind = m.get("type")
        events = _track_events(self.revision)
        self.exercised["message-type"] += 1
        documented = kind == "identify" or (kind == "track" and m.get("event") in events)
        if not documented:
            if kind == "track" and events:
                expected = f"identify, or a track whose event is one of {', '.join(sorted(events))}"
                seen = f"a track event {_show(m.get('event', _MISSING))}"
            else:
                expected = "identify" if not events else "identify or a documented track event"
                seen = f"a {_show(kind)} call" if kind is not None else "no type"
            yield self.finding(
                "message-type",
                sync,
                steps=steps,
                messages=(ref,),
                expected=expected,
                seen=seen,
                explanation=f"{at} is {seen}, but the Listrak Source ({self.revision}) sends only {expected}.",
            )
            return

        # anonymous-id-is-email: the contact, as Listrak stores its address.
        self.exercised["anonymous-id-is-email"] += 1
        aid = m.get("anonymousId", _MISSING)
        known = x.addresses()
        address: str | None = aid if isinstance(aid, str) and aid in known else None
        named = [lid for _, lid, _ in _list_traits(m.get("traits"))]
        if address is None and named and all(lid in x.removed_lists for lid in named):
            # Only traits of lists removed from the integration: a contact of those lists alone is
            # no contact of an integrated list, and removed lists are not judged (DESIGN.md, hazards).
            address = aid if isinstance(aid, str) else None
        if address is None:
            near = [a for a in known if isinstance(aid, str) and address_key(a) == address_key(aid)]
            if near:
                address = near[0]
                lists = sorted(lid for (lid, a) in x.contacts if a == address)
                why = (
                    f"anonymousId {_show(aid)}, but Listrak stores the contact on list "
                    f"{', '.join(map(str, lists))} as {_show(address)}, and the anonymousId must be that exact address"
                )
                expected = _show(address)
            elif isinstance(aid, str):
                why = f"anonymousId {_show(aid)}, which is no contact's address on an integrated list"
                expected = "the address of a contact on an integrated list"
            else:
                why = f"anonymousId {_show(aid)}, but it must be the contact's email address"
                expected = "the contact's email address"
            yield self.finding(
                "anonymous-id-is-email",
                sync,
                steps=steps,
                messages=(ref,),
                expected=expected,
                seen=_show(aid),
                explanation=f"{at} has {why}.",
            )
        who = address if address is not None else (aid if isinstance(aid, str) else None)

        # email-trait
        self.exercised["email-trait"] += 1
        holder = m.get("traits") if kind == "identify" else (m.get("context") or {}).get("traits")
        where = "traits.email" if kind == "identify" else "context.traits.email"
        email = holder.get("email", _MISSING) if isinstance(holder, dict) else _MISSING
        if who is not None and email != who:
            seen = "no " + where if email is _MISSING else f"{where} = {_show(email)}"
            yield self.finding(
                "email-trait",
                sync,
                steps=steps,
                messages=(ref,),
                expected=f"{where} = {_show(who)}",
                seen=seen,
                explanation=f"{at} for {who} has {seen}, but {where} must be the contact's address {_show(who)}.",
            )

        # user-id
        self.exercised["user-id"] += 1
        traits = m.get("traits") if kind == "identify" else None
        list_traits = _list_traits(traits)
        user_finding = self._user_id(sync, who, kind, m, list_traits)
        if user_finding is not None:
            expected, seen, why, involved = user_finding
            yield self.finding(
                "user-id",
                sync,
                steps=(*involved, x.step),
                messages=(ref,),
                expected=expected,
                seen=seen,
                explanation=f"{at} for {who} {why}.",
            )

        # the list traits
        for name, list_id, value in list_traits:
            yield from self._list_trait(sync, at, ref, who, name, list_id, value)

    def _user_id(
        self,
        sync: _Sync,
        who: str | None,
        kind: Any,
        m: dict[str, Any],
        list_traits: list[tuple[str, int | None, Any]],
    ) -> tuple[str, str, str, tuple[int, ...]] | None:
        """(expected, seen, why, steps involved) when the userId breaks the rule, else None."""
        x = sync.x
        uid = m.get("userId", _MISSING)
        seen = "no userId" if uid is _MISSING else f"userId {_show(uid)}"
        if kind == "track":
            if uid is _MISSING:
                return None
            return ("no userId", seen, f"is a track event with {seen}, but track events never carry a userId", ())
        if uid is not _MISSING and (not isinstance(uid, str) or uid == ""):
            return (
                "a non-empty userId, or none",
                seen,
                f"has {seen}, but a userId is never empty or null: when there is no value the userId is left out",
                (),
            )
        contacts = [
            (lid, x.contact(lid, who)) for _, lid, _ in list_traits if lid is not None and lid in x.integration and who
        ]
        if not list_traits:
            if uid is _MISSING or who is None:
                return None
            current = {c.value: c for c in x.for_address(who).values() if c.value}
            if uid in current:
                return None
            shown = ", ".join(_show(v) for v in sorted(current)) or "none"
            return (
                f"no userId, or one of the address's current values ({shown})",
                seen,
                f"sets no list trait yet has {seen}, which is not one of its current profile-field values ({shown})",
                (),
            )
        values: dict[str, ContactExpectation] = {}
        for _lid, c in contacts:
            if c is not None and c.value:
                values.setdefault(c.value, c)
        if not values:
            if uid is _MISSING:
                return None
            lists = ", ".join(str(lid) for lid, _ in contacts) or "its lists"
            return (
                "no userId",
                seen,
                f"sets the trait of list {lists} but has {seen}, while no profile field of those lists has a value",
                (),
            )
        if len(values) > 1:
            shown = " and ".join(f"{_show(v)} (list {c.list_id})" for v, c in values.items())
            return (
                "one userId: a message per list when their values differ",
                seen,
                f"mixes lists whose profile fields disagree on the userId: {shown}",
                tuple(c.value_step for c in values.values() if c.value_step is not None),
            )
        ((value, c),) = values.items()
        if uid == value:
            return None
        field_id = x.integration[c.list_id]
        when = f" (set at step {c.value_step + 1})" if c.value_step is not None else ""
        return (
            f"userId {_show(value)}",
            seen,
            f"sets the trait of list {c.list_id} and has {seen}, but its field {field_id} value is "
            f"{_show(value)}{when}, so the userId must be {_show(value)}",
            (c.value_step,) if c.value_step is not None else (),
        )

    def _list_trait(
        self, sync: _Sync, at: str, ref: int | str, who: str | None, name: str, list_id: int | None, value: Any
    ) -> Iterator[Finding]:
        x = sync.x
        steps = (x.step,)
        self.exercised["list-trait-name"] += 1
        expected_name = f"{self.prefix}{list_id}" if list_id is not None else f"{self.prefix}{{listId}}"
        if name != expected_name:
            yield self.finding(
                "list-trait-name",
                sync,
                steps=steps,
                messages=(ref,),
                expected=expected_name,
                seen=name,
                explanation=(
                    f"{at} sets a trait named {_show(name)}, but revision {self.revision} names the list trait "
                    f"{_show(expected_name)} (exact case, the list id in decimal)"
                )
                + ".",
            )
        if list_id is None or (list_id in x.removed_lists and list_id not in x.integration):
            return  # removed lists are not judged (DESIGN.md, hazards)
        self.exercised["list-trait-scope"] += 1
        if list_id not in x.integration:
            integrated = ", ".join(map(str, sorted(x.integration))) or "none"
            yield self.finding(
                "list-trait-scope",
                sync,
                steps=steps,
                messages=(ref,),
                expected=f"list traits only for integrated lists ({integrated})",
                seen=name,
                explanation=f"{at} sets {name}, but list {list_id} is not integrated (integrated: {integrated}).",
            )
            return
        self.exercised["list-trait-value"] += 1
        if not (value is True or value is None):
            yield self.finding(
                "list-trait-value",
                sync,
                steps=steps,
                messages=(ref,),
                expected="true or null",
                seen=_show(value),
                explanation=f"{at} sets {name} to {_show(value)}, but {list_trait_value_hint(value)}.",
            )
            return
        self.exercised["list-trait-truth"] += 1
        c = x.contact(list_id, who) if who is not None else None
        subscribed = c is not None and c.subscribed
        if (value is True) == subscribed:
            return
        if c is None:
            state = f"{who} is not on list {list_id}"
            involved: tuple[int, ...] = ()
        else:
            how = "subscribed to" if c.subscribed else "unsubscribed from"
            state = f"{who} was {how} list {list_id} at step {c.subscription_step + 1}"
            involved = (c.subscription_step,)
        yield self.finding(
            "list-trait-truth",
            sync,
            steps=(*involved, x.step),
            messages=(ref,),
            expected=f"{name} = {'true' if subscribed else 'null'}",
            seen=f"{name} = {_show(value)}",
            explanation=f"{at} sets {name} to {_show(value)}, but {state}.",
        )

    def _message_ids(self, sync: _Sync, first: dict[str, tuple[dict[str, Any], int, int]]) -> Iterator[Finding]:
        """message-id-unique: a messageId reused for different content, applied or dropped as a duplicate."""
        by_seq = {seq: content for content, seq, _ in first.values()}
        items: list[tuple[int | str, Any, int | None]] = [(m.seq, m.message, None) for m in sync.record.messages]
        items += [
            (d.message.get("messageId", ""), d.message, d.duplicate_of)
            for d in sync.record.discards
            if d.reason == "duplicate" and isinstance(d.message, dict)
        ]
        for ref, message, duplicate_of in items:
            self.exercised["message-id-unique"] += 1
            mid = message.get("messageId")
            if not isinstance(mid, str):
                continue
            content = content_of(message)  # the fake's own definition, so both judge alike
            earlier = first.get(mid)
            if earlier is None and duplicate_of is not None and duplicate_of in by_seq:
                earlier = (by_seq[duplicate_of], duplicate_of, self.sync_of.get(duplicate_of, 0))
            if earlier is None:
                if isinstance(ref, int):
                    first[mid] = (content, ref, sync.x.number)
                continue
            before, seq, number = earlier
            changes = _diff(before, content)
            if not changes:
                continue
            fate = "Segment dropped it as a duplicate" if duplicate_of is not None else "it reuses the id"
            shown = "; ".join(changes[:3]) + ("; ..." if len(changes) > 3 else "")
            yield self.finding(
                "message-id-unique",
                sync,
                steps=(sync.x.step,),
                messages=(seq, mid) if duplicate_of is not None else (seq, ref),
                expected=f"a new messageId for content that differs from message {seq}",
                seen=f"messageId {_show(mid)} again, with {shown}",
                explanation=(
                    f"{sync.where}, a message with messageId {_show(mid)} differs from message {seq} of sync "
                    f"{number} ({shown}), so {fate} and its change never reached the profile"
                )
                + ".",
            )

    # -- state rules -------------------------------------------------------------------------
    def _state(self, sync: _Sync) -> Iterator[Finding]:
        x, views = sync.x, sync.record.views
        subscribed_addresses: dict[str, ContactExpectation] = {}
        for (list_id, address), c in x.contacts.items():
            trait = f"{self.prefix}{list_id}"
            view = views.get(address) or {}
            got = view.get(trait, _MISSING)
            if c.subscribed:
                subscribed_addresses.setdefault(address, c)
                self.exercised["subscribed-has-trait"] += 1
                if got is not True:
                    last = self._last_set(sync, address, trait)
                    has = f"no {trait}" if got is _MISSING else f"{trait} = {_show(got)}"
                    yield self.finding(
                        "subscribed-has-trait",
                        sync,
                        steps=(c.subscription_step, x.step),
                        messages=(last[0],) if last else (),
                        expected=f"{trait} = true",
                        seen=has,
                        explanation=(
                            f"{sync.where}, {address} is subscribed to list {list_id} (step "
                            f"{c.subscription_step + 1}), but its profile has {has}{self._because(last, trait)}."
                        ),
                    )
                if c.value is not None:
                    yield from self._propagated(sync, c)
            else:
                self.exercised["unsubscribed-trait-removed"] += 1
                if got is not _MISSING:
                    last = self._last_set(sync, address, trait)
                    yield self.finding(
                        "unsubscribed-trait-removed",
                        sync,
                        steps=(c.subscription_step, x.step),
                        messages=(last[0],) if last else (),
                        expected=f"no {trait} (removed by a null)",
                        seen=f"{trait} = {_show(got)}",
                        explanation=(
                            f"{sync.where}, {address} was unsubscribed from list {list_id} (step "
                            f"{c.subscription_step + 1}), but no message since set {trait} to null, so the profile "
                            f"still has {trait} = {_show(got)}{self._from(last)}."
                        ),
                    )
        for address, c in subscribed_addresses.items():
            self.exercised["email-trait-present"] += 1
            got = (views.get(address) or {}).get("email", _MISSING)
            if got != address:
                has = "no email trait" if got is _MISSING else f"email = {_show(got)}"
                yield self.finding(
                    "email-trait-present",
                    sync,
                    steps=(c.subscription_step, x.step),
                    expected=f"email = {_show(address)}",
                    seen=has,
                    explanation=(
                        f"{sync.where}, {address} is subscribed to list {c.list_id}, but its profile has {has}, "
                        f"and the email trait must be its address."
                    ),
                )

    def _messages_until(self, sync: _Sync, start: int = 0) -> Iterator[tuple[int, StoredMessage]]:
        for s in self.syncs[start : sync.index + 1]:
            for stored in s.record.messages:
                yield s.x.number, stored

    def _last_set(self, sync: _Sync, address: str, trait: str) -> tuple[int, int, Any] | None:
        """(seq, sync number, value) of the last message up to this sync that set the trait for the address."""
        last = None
        for number, stored in self._messages_until(sync):
            m = stored.message
            traits = m.get("traits")
            if m.get("anonymousId") == address and isinstance(traits, dict) and trait in traits:
                last = (stored.seq, number, traits[trait])
        return last

    @staticmethod
    def _from(last: tuple[int, int, Any] | None) -> str:
        return "" if last is None else f" from sync {last[1]} (message {last[0]})"

    @staticmethod
    def _because(last: tuple[int, int, Any] | None, trait: str) -> str:
        if last is None:
            return f", since no message ever set {trait} for it"
        return f", since the last message to set it, message {last[0]} at sync {last[1]}, sent {_show(last[2])}"

    def _propagated(self, sync: _Sync, c: ContactExpectation) -> Iterator[Finding]:
        """user-id-propagated: a value u held since some sync has been sent as userId u since then."""
        self.exercised["user-id-propagated"] += 1
        key = (c.list_id, c.address)
        start = sync.index
        # Back to the first sync of the run of syncs that saw this value (syncs where the list was out are skipped).
        for s in reversed(self.syncs[: sync.index]):
            before = s.x.contacts.get(key)
            if before is None:
                continue
            if before.value != c.value:
                break
            start = s.index
        sent = [
            stored
            for _, stored in self._messages_until(sync, start)
            if stored.message.get("anonymousId") == c.address and stored.message.get("type") == "identify"
        ]
        if any(stored.message.get("userId") == c.value for stored in sent):
            return
        with_ids = [stored for stored in sent if "userId" in stored.message]
        since = self.syncs[start].x.number
        last = (
            f"the last userId sent for it was {_show(with_ids[-1].message['userId'])} (message {with_ids[-1].seq})"
            if with_ids
            else f"no identify since sync {since} carried a userId for it"
        )
        field_id = sync.x.integration[c.list_id]
        when = f" at step {c.value_step + 1}" if c.value_step is not None else ""
        yield self.finding(
            "user-id-propagated",
            sync,
            steps=tuple(s for s in (c.value_step, sync.x.step) if s is not None),
            messages=tuple(stored.seq for stored in with_ids[-1:]),
            expected=f"a message since sync {since} with userId {_show(c.value)}",
            seen=f"userId {_show(with_ids[-1].message['userId'])}" if with_ids else "no userId",
            explanation=(
                f"{sync.where}, {c.address} is subscribed to list {c.list_id} and its field {field_id} became "
                f"{_show(c.value)}{when}, but no message since sync {since} carried userId {_show(c.value)} ({last})."
            ),
        )
