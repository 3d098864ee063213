"""Hazards: what the checker reports about a run without failing it (DESIGN.md, "Hazards").

They follow from the documented behaviour rather than break it: two userIds for one address
(Segment's default identity resolution splits the profile), one userId for two addresses (Segment
merges them), messages that change nothing, traits the documentation never mentions, and lists
removed from the integration, whose traits nobody can judge. Each is found over the whole run and
reported once, at the sync where it first shows.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

from fake_segment.models import StoredMessage

from .model import SyncExpectation

__all__ = ["Hazard", "hazards"]

_LIST_TRAIT: Final = re.compile(r"^listrak[ _-]?list", re.IGNORECASE)
_ABSENT: Any = object()


@dataclass(frozen=True, slots=True)
class Hazard:
    """One hazard: the sync (index into the run's syncs) it shows at, and what the checker says of it."""

    rule: str
    sync_index: int
    expected: str
    seen: str
    explanation: str
    messages: tuple[int | str, ...] = ()
    steps: tuple[int, ...] = ()


def hazards(
    syncs: Sequence[tuple[SyncExpectation, Sequence[StoredMessage], dict[str, Any]]],
    prefix: str,
    exercised: Counter[str],
) -> Iterator[Hazard]:
    """The hazards of a run: `syncs` holds, per sync, its expectation, the messages it sent and its trait views."""
    user_ids: dict[str, dict[str, int]] = {}  # address -> userId -> first seq
    addresses: dict[str, dict[str, int]] = {}  # userId -> address -> first seq
    profiles: dict[str, dict[str, Any]] = {}  # anonymousId -> traits as the messages so far left them
    last_user: dict[str, str] = {}
    reported_conflict: set[str] = set()
    reported_shared: set[str] = set()
    reported_removed: set[int] = set()
    reported_traits: set[str] = set()
    for index, (x, messages, views) in enumerate(syncs):
        where = f"At sync {x.number} (step {x.step + 1})"
        for stored in messages:
            m = stored.message
            if m.get("type") != "identify":
                continue
            aid, uid, traits = m.get("anonymousId"), m.get("userId"), m.get("traits")
            if not isinstance(aid, str):
                continue
            exercised["user-id-conflict"] += 1
            exercised["user-id-shared"] += 1
            exercised["redundant-message"] += 1
            exercised["undocumented-trait"] += 1
            if isinstance(uid, str) and uid:
                if (earlier := _second_value(user_ids, aid, uid, stored.seq, reported_conflict)) is not None:
                    yield _conflict(index, where, stored, aid, uid, *earlier)
                if (earlier := _second_value(addresses, uid, aid, stored.seq, reported_shared)) is not None:
                    yield _shared(index, where, stored, aid, uid, *earlier)
            profile = profiles.setdefault(aid, {})
            traits = traits if isinstance(traits, dict) else {}
            changes = {k: v for k, v in traits.items() if not _same(profile.get(k, None if v is None else _ABSENT), v)}
            new_user = isinstance(uid, str) and uid and last_user.get(aid) != uid
            if not changes and not new_user:
                yield Hazard(
                    "redundant-message",
                    index,
                    "a message that changes the profile",
                    "every trait and the userId as the profile already has them",
                    f"{where}, message {stored.seq} for {aid} changes nothing on its profile: every trait it sets "
                    "already has that value (and a null removes a trait it does not have).",
                    messages=(stored.seq,),
                )
            for key, value in traits.items():
                if value is None:
                    profile.pop(key, None)
                else:
                    profile[key] = value
            if isinstance(uid, str) and uid:
                last_user[aid] = uid
            # Each undocumented trait is reported once, at its first message: a sync that sends
            # `firstName` on every contact gets one hazard, not one per contact.
            odd = sorted(k for k in traits if k != "email" and not _LIST_TRAIT.match(k) and k not in reported_traits)
            reported_traits.update(odd)
            if odd:
                yield Hazard(
                    "undocumented-trait",
                    index,
                    "only email and the list traits",
                    ", ".join(odd),
                    f"{where}, message {stored.seq} for {aid} sets {', '.join(odd)}, which the Listrak Source "
                    "documentation never mentions.",
                    messages=(stored.seq,),
                )
        for list_id, removed_at in sorted(x.removed_lists.items()):
            if list_id in x.integration or list_id in reported_removed:
                continue
            exercised["removed-list-not-judged"] += 1
            reported_removed.add(list_id)
            trait = f"{prefix}{list_id}"
            holding = sorted(a for a, view in views.items() if trait in view)
            named = ", ".join(holding[:3]) + (", ..." if len(holding) > 3 else "")
            shown = f"{len(holding)} profile(s) still have {trait} ({named})" if holding else f"no profile has {trait}"
            yield Hazard(
                "removed-list-not-judged",
                index,
                f"nothing: the documentation says nothing about {trait} once list {list_id} leaves the integration",
                shown,
                f"{where}, list {list_id} is no longer integrated (removed at step {removed_at + 1}), and {shown}; "
                "the documentation says nothing about a removed list, so its trait is not judged.",
                steps=(removed_at,),
            )


def _same(kept: Any, sent: Any) -> bool:
    """Whether a value sent leaves the kept one as it is: the same JSON value (so `1` replaces `true`, not `1.0`)."""
    if isinstance(kept, int | float) and isinstance(sent, int | float) and not isinstance(kept, bool):
        return not isinstance(sent, bool) and kept == sent
    if type(kept) is not type(sent):
        return False
    if isinstance(kept, dict):
        return kept.keys() == sent.keys() and all(_same(kept[k], sent[k]) for k in kept)
    if isinstance(kept, list):
        return len(kept) == len(sent) and all(_same(a, b) for a, b in zip(kept, sent, strict=True))
    return bool(kept == sent)


def _second_value(
    seen: dict[str, dict[str, int]], key: str, value: str, seq: int, reported: set[str]
) -> tuple[str, int] | None:
    """Record that message `seq` paired `key` with `value`; the first value (and its message) the first time
    `key` has two different ones, None otherwise (each key is reported once)."""
    values = seen.setdefault(key, {})
    values.setdefault(value, seq)
    if len(values) < 2 or key in reported:
        return None
    reported.add(key)
    return next(iter(values.items()))


def _conflict(index: int, where: str, stored: StoredMessage, aid: str, uid: str, first: str, first_seq: int) -> Hazard:
    return Hazard(
        "user-id-conflict",
        index,
        f"one userId for {aid}",
        f"userIds {first!r} (message {first_seq}) and {uid!r} (message {stored.seq})",
        f"{where}, {aid} was sent with userId {uid!r} (message {stored.seq}) after {first!r} (message "
        f"{first_seq}); Segment's default identity resolution keeps one user_id a profile, so it would split "
        "this address's profile.",
        messages=(first_seq, stored.seq),
    )


def _shared(index: int, where: str, stored: StoredMessage, aid: str, uid: str, first: str, first_seq: int) -> Hazard:
    return Hazard(
        "user-id-shared",
        index,
        f"userId {uid!r} for one address",
        f"{first} (message {first_seq}) and {aid} (message {stored.seq})",
        f"{where}, userId {uid!r} was sent for {aid} (message {stored.seq}) and for {first} (message "
        f"{first_seq}); Segment would merge the two addresses' profiles.",
        messages=(first_seq, stored.seq),
    )
