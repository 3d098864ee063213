"""The rule catalogue: every rule of DESIGN.md, the revisions it applies to, and the documentation it rests on.

Rules here are metadata; the checker attaches what judges them. Each quote is verbatim from a file
in the project's reference folder (``../shared/reference/``), whitespace aside; `` … `` joins
passages that the source separates. Where the two documentation revisions word a rule differently,
the rule carries one `Citation` per revision, and `Rule.citation` picks the right one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

__all__ = [
    "CATALOGUE",
    "DEFAULT_REVISION",
    "KINDS",
    "REVISIONS",
    "Citation",
    "Kind",
    "Rule",
    "UnknownRule",
    "get_rule",
    "rules_for",
]

# The Listrak Source documentation revisions, oldest first; the first is the default (DESIGN.md).
REVISIONS: Final = ("2023-07-13", "2023-08-03")
DEFAULT_REVISION: Final = REVISIONS[0]

Kind = Literal["message", "state", "fault", "hazard"]
KINDS: Final[tuple[Kind, ...]] = ("message", "state", "fault", "hazard")


@dataclass(frozen=True, slots=True)
class Citation:
    """A passage of a reference document, verbatim, where it is, and which revisions it speaks for."""

    quote: str
    source: str
    revisions: frozenset[str]


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule of DESIGN.md: what it demands and the documentation it rests on (no check attached)."""

    id: str
    kind: Kind
    revisions: frozenset[str]
    statement: str
    # As the earliest revision it applies to words it (revisions are ISO dates: the least is the earliest);
    # `citation(revision)` gives each revision's.
    quote: str
    source: str
    fails: bool
    # Empty when ``quote`` and ``source`` hold for every revision.
    citations: tuple[Citation, ...] = ()

    def __post_init__(self) -> None:
        """Refuse a rule whose parts contradict each other, so a typo in the catalogue fails at import."""
        if self.kind not in KINDS:
            raise ValueError(f"rule {self.id}: expected a kind among {', '.join(KINDS)}, saw {self.kind!r}")
        if self.fails == (self.kind == "hazard"):
            raise ValueError(f"rule {self.id}: expected fails={self.kind != 'hazard'} for a {self.kind}")
        if not self.revisions or not self.revisions <= set(REVISIONS):
            raise ValueError(f"rule {self.id}: expected revisions among {', '.join(REVISIONS)}, saw {self.revisions}")
        if self.citations:
            covered = [revision for citation in self.citations for revision in citation.revisions]
            if sorted(covered) != sorted(self.revisions):
                raise ValueError(f"rule {self.id}: expected one citation per revision, saw them for {covered}")
            first = self.citation(min(self.revisions))
            if (first.quote, first.source) != (self.quote, self.source):
                raise ValueError(f"rule {self.id}: expected quote and source to be the earliest revision's citation")

    def citation(self, revision: str) -> Citation:
        """The passage this rule rests on in ``revision``'s documentation; `ValueError` if it does not apply."""
        if revision not in self.revisions:
            raise ValueError(
                f"rule {self.id} applies to revisions {', '.join(sorted(self.revisions))}, not to {revision!r}"
            )
        for citation in self.citations:
            if revision in citation.revisions:
                return citation
        return Citation(self.quote, self.source, self.revisions)

    def all_citations(self) -> tuple[Citation, ...]:
        """Every distinct passage the rule rests on, earliest revision first."""
        return self.citations or (Citation(self.quote, self.source, self.revisions),)


class UnknownRule(LookupError):
    """A rule id that the catalogue does not hold."""

    def __init__(self, rule_id: str) -> None:
        super().__init__(f"expected a rule id of DESIGN.md ({', '.join(CATALOGUE)}), saw {rule_id!r}")
        self.rule_id = rule_id


def get_rule(rule_id: str) -> Rule:
    """The rule with this id; `UnknownRule` names the ids there are."""
    try:
        return CATALOGUE[rule_id]
    except KeyError:
        raise UnknownRule(rule_id) from None


def rules_for(revision: str) -> list[Rule]:
    """The rules that apply under ``revision``, in DESIGN.md's order; `ValueError` for an unknown revision."""
    if revision not in REVISIONS:
        raise ValueError(f"expected a Listrak Source revision, one of {', '.join(REVISIONS)}; saw {revision!r}")
    return [rule for rule in CATALOGUE.values() if revision in rule.revisions]


# --- The passages -----------------------------------------------------------------------------------------------

_OLD, _NEW = REVISIONS
_EVERY = frozenset(REVISIONS)


def _segment(page: str, section: str, quote: str) -> tuple[Citation, ...]:
    """A Segment (or Listrak API) page's passage, true whichever Listrak Source revision is followed."""
    return (Citation(quote, f"{page}, {section}", _EVERY),)


def _listrak(old: str, new: str, old_section: str = "Stream", new_section: str = "Stream") -> tuple[Citation, ...]:
    """The same promise as each revision of the Listrak Source page words it."""
    return (
        Citation(old, f"listrak-source-{_OLD}.md, {old_section}", frozenset({_OLD})),
        Citation(new, f"listrak-source-{_NEW}.md, {new_section}", frozenset({_NEW})),
    )


_SETS_EMAIL = (
    "Listrak always sets the `anonymousId` and the `email` trait to the email address of the contact.",
    "Listrak sets the `anonymousId` and the `email` trait to the email address of the contact.",
)
_USER_ID = (
    "If a profile field was entered when the email list was added to the integration and the email address has a "
    "value for that profile field, the `userId` will be set to that value. Otherwise, Listrak will not set the "
    "`userId`.",
    "If you entered a profile field when the email list was added to the integration and the email address has a "
    "value for that profile field, the `userId` is set to that value when you send identify events. Otherwise, "
    "Listrak won't send the `userId`. The `userId` won't be set for any `track` events.",
)
_MAINTAINS = (
    "Listrak maintains a trait for each email list you add to the integration.",
    "Listrak maintains a trait for each email list you add to the integration using `identify` events.",
)
_SET_TRUE = "The trait will be set to true if the email address is subscribed to the list."
_REMOVED = "The trait will be removed if the email address is not subscribed to the list."


def _rule(rule_id: str, kind: Kind, statement: str, citations: tuple[Citation, ...]) -> Rule:
    revisions = frozenset(revision for citation in citations for revision in citation.revisions)
    first = next(citation for citation in citations if min(revisions) in citation.revisions)
    return Rule(
        id=rule_id,
        kind=kind,
        revisions=revisions,
        statement=statement,
        quote=first.quote,
        source=first.source,
        fails=kind != "hazard",
        citations=citations if len(citations) > 1 else (),
    )


_RULES = (
    # Message rules: each message an implementation sent, against the contact state at that sync.
    _rule(
        "message-type",
        "message",
        "Only the calls the revision documents are sent: identify in 2023-07-13; identify or one of the documented "
        "track events, with only the documented properties, in 2023-08-03.",
        _listrak(
            "It uses a server-side `identify` method to send data to Segment.",
            "It uses the server-side `identify` and `track` methods to send data to Segment. … The table below lists "
            "events that Listrak sends to Segment. … The table below lists the properties included in the events "
            "listed above.",
            new_section="Stream; Events; Event Properties",
        ),
    ),
    _rule(
        "anonymous-id-is-email",
        "message",
        "The anonymousId is exactly the contact's email address, as Listrak stores it.",
        _listrak(*_SETS_EMAIL),
    ),
    _rule(
        "email-trait",
        "message",
        "The email trait equals the contact's address: traits.email on an identify, context.traits.email on a track.",
        _listrak(
            _SETS_EMAIL[0],
            _SETS_EMAIL[1] + " … `context.traits.email` | The intended recipient\u2019s email address.",
            new_section="Stream; Event Properties",
        ),
    ),
    _rule(
        "user-id",
        "message",
        "An identify carries as userId the profile-field value of the lists whose traits it sets: none when no such "
        "value exists, a violation when two lists disagree, never an empty string or null; an identify without list "
        "traits may only repeat one of the address's current values; a track never carries a userId.",
        _listrak(*_USER_ID),
    ),
    _rule(
        "list-trait-name",
        "message",
        "Every list trait is spelled as the revision names it, Listrak_list_{listId} in 2023-07-13 and "
        "listrak_list_{listId} in 2023-08-03, with that exact case and the list id in decimal.",
        _listrak(
            "The trait is named `Listrak_list_{listId}`, where `{listId}` is the ID of the list "
            "(eg. `Listrak_list_12345`).",
            "The trait is named `listrak_list_{listId}`, where `{listId}` is the ID of the list "
            "(eg. `listrak_list_12345`).",
        ),
    ),
    _rule(
        "list-trait-scope",
        "message",
        "No trait is sent for a list that is not in the integration at that sync.",
        _listrak(*_MAINTAINS),
    ),
    _rule(
        "list-trait-value",
        "message",
        'A list trait is sent as true or null only; false, the string "true", 1 and "" are values that Segment '
        "keeps, so none of them removes the trait.",
        _segment(
            "segment/unify--faqs.md",
            "Can I remove a trait from a user profile?",
            "Yes, you can remove a trait from a user profile by sending an Identify event with the trait value set to "
            "`null` in the traits object from one of your connected sources. … Setting the trait value to an empty "
            "string won't remove the trait, like in this example: … Instead, this updates the trait to an empty "
            "string within the user profile.",
        ),
    ),
    _rule(
        "list-trait-truth",
        "message",
        "A list trait is sent as true only while the address is subscribed to the list, and as null only while it "
        "is not.",
        _listrak(f"{_SET_TRUE} {_REMOVED}", f"{_SET_TRUE} {_REMOVED}"),
    ),
    _rule(
        "segment-spec",
        "message",
        "Every message meets the Segment Spec contract for its call (the contracts/ package).",
        _segment(
            "segment/partners--sources.md",
            "The Segment Spec",
            "If you break the spec, you are breaking the promise of Segment, which is grounds for removal from the "
            "catalog.",
        ),
    ),
    _rule(
        "write-key",
        "message",
        "Every request carries the configured write key, in the Authorization header as a partner source must.",
        _segment(
            "segment/partners--sources.md",
            "`writeKey`",
            "The write key is required in the header of every call to identify the customer whose data Segment "
            "receives.",
        ),
    ),
    _rule(
        "limits",
        "message",
        "A message is at most 32KB, and a batch request at most 500KB and 2500 messages.",
        _segment(
            "segment/connections--sources--catalog--libraries--server--http-api.md",
            "Errors",
            "Most HTTP API routes can handle API requests that are 32KB or smaller. If this limit is exceeded, "
            "Segment returns a 400 Bad Request error. … This endpoint accepts a maximum of 500KB per batch API "
            "request. Each batch request can only have up to 2500 events, and each batched event needs to be less "
            "than 32KB.",
        ),
    ),
    _rule(
        "message-id-unique",
        "message",
        "A messageId is never reused for different content (the message less sentAt, receivedAt, timestamp and "
        "originalTimestamp), since Segment drops the second one; an honest retry repeats its content.",
        _segment(
            "segment/guides--duplicate-data.md",
            "99% deduplication",
            "Segment stores at least 24 hours' worth of event `messageId`s, which allows Segment to deduplicate any "
            "data that appears with the same `messageId` within the stored values. Segment deduplicates on the "
            "event's `messageId`, _not_ on the contents of the event payload.",
        ),
    ),
    # State rules: after each sync, on the per-anonymousId trait view built with Segment's merge rules.
    _rule(
        "subscribed-has-trait",
        "state",
        "After each sync, every address subscribed to an integrated list has that list's trait set to true.",
        _listrak(_SET_TRUE, _SET_TRUE),
    ),
    _rule(
        "unsubscribed-trait-removed",
        "state",
        "After each sync, no address that is not subscribed to an integrated list has that list's trait; leaving "
        "the trait out of later messages does not remove it.",
        _listrak(_REMOVED, _REMOVED),
    ),
    _rule(
        "email-trait-present",
        "state",
        "After each sync, every address subscribed to an integrated list has the email trait equal to its address.",
        _listrak(*_SETS_EMAIL),
    ),
    _rule(
        "user-id-propagated",
        "state",
        "Once a subscribed address's profile-field value becomes u, some message since the change has carried "
        "userId u.",
        _listrak(*_USER_ID),
    ),
    # Fault rules: histories with injected faults.
    _rule(
        "no-silent-loss",
        "fault",
        "A sync that reports success leaves every state rule true; a sync that fails says so (non-zero exit or "
        "exception) or was killed, and the next successful sync repairs everything.",
        _listrak(f"{_SET_TRUE} {_REMOVED}", f"{_SET_TRUE} {_REMOVED}"),
    ),
    _rule(
        "retry-after",
        "fault",
        "After a 429 with Retry-After: s, the next request comes no sooner than s seconds later.",
        _segment(
            "segment/connections--sources--catalog--libraries--server--http-api.md",
            "Rate limits",
            "Requests that exceed acceptable limits may be rejected with HTTP Status Code 429. When Segment rejects "
            "the requests, the response header contains `Retry-After` and `X-RateLimit-Reset` headers, which "
            "contains the number of seconds after which you can retry the request.",
        ),
    ),
    _rule(
        "token-refresh",
        "fault",
        "When Listrak answers 401 to an expired token, the sync fetches a new token and goes on.",
        _segment(
            "listrak-api-notes.md",
            "Auth",
            "Every API call sends `Authorization: Bearer <token>`. Missing/invalid/expired token (documented): "
            '`401 {"status":401,"error":"ERROR_UNAUTHORIZED","message":"Authorization was denied for this request."}`. '
            "Real clients fetch a new token once on a 401 and retry.",
        ),
    ),
    # Hazards: reported, never failures.
    _rule(
        "user-id-conflict",
        "hazard",
        "One address was sent with two different userIds; Segment's default identity resolution (one user_id per "
        "profile) would split its profile.",
        _segment(
            "segment/unify--identity-resolution--identity-resolution-settings.md",
            "Priority",
            "A profile already exists with `user_id` **abc123** and `email` **jane@example1.com**. A new event comes "
            "in with new `user_id` **abc456** but the same `email` **jane@example1.com**. … Now there are no "
            "existing profiles with this identifier, so Segment creates a new profile with user_id `abc456`.",
        ),
    ),
    _rule(
        "user-id-shared",
        "hazard",
        "One userId was sent for two addresses; Segment would merge their profiles.",
        _segment(
            "segment/unify--identity-resolution--identity-resolution-settings.md",
            "Flat matching logic",
            "When there are multiple profiles that match the identifiers in an event, Segment checks the Identity "
            "Resolution rules outlined below, and attempts to merge profiles.",
        ),
    ),
    _rule(
        "redundant-message",
        "hazard",
        "A message changed nothing on the profile; it spends the partner's request budget for nothing.",
        _segment(
            "segment/partners--sources.md",
            "Rate limits and batching",
            "However, to avoid processing delays, Segment asks partners to send requests at a maximum rate of 50 "
            "requests per second.",
        ),
    ),
    _rule(
        "undocumented-trait",
        "hazard",
        "A trait the documentation never mentions was sent: neither email nor a list trait.",
        _listrak(f"{_SETS_EMAIL[0]} … {_MAINTAINS[0]}", f"{_SETS_EMAIL[1]} … {_MAINTAINS[1]}"),
    ),
    _rule(
        "removed-list-not-judged",
        "hazard",
        "Traits of a list removed from the integration are not judged, because the documentation says nothing about "
        "them; the report says so.",
        _listrak(*_MAINTAINS),
    ),
)

CATALOGUE: Final[Mapping[str, Rule]] = MappingProxyType({rule.id: rule for rule in _RULES})
