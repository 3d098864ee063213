"""The profiles Segment would build from accepted messages: per-id trait views and identity resolution.

Two things are built, one message at a time, in arrival order:

* **Trait views**, one per `anonymousId` and one per `userId`, from identify `traits` only,
  with Segment's rules (`unify--faqs.md`): a value sets a trait (latest wins), `null` removes
  it, `""` and `false` are values, a trait left out keeps its value.
* **Identity-resolved profiles**, with Unify's flat matching logic
  (`unify--identity-resolution--identity-resolution-settings.md`): the event's external ids
  find the profiles they belong to; none → a new profile, one → it is extended, several →
  they are merged, but only while every id type stays within its limit; otherwise the
  event's lowest-priority id is dropped and matching is retried.

Choices where the pages are silent (each is also tested):

* External ids: `user_id` ← `userId`, `anonymous_id` ← `anonymousId`, `email` ← `traits.email`
  or, when that is not a non-empty string, `context.traits.email`. A `group` call's `traits`
  describe the group, not the user, so only its `context.traits.email` counts. `alias` adds
  `previousId` as an `anonymous_id` (the Spec's usual case: the id the user had before).
  Only non-empty strings are ids; values are taken exactly as sent (no case folding).
* Limits are counted "ever" (the settings page's weekly/monthly windows are not modelled).
* When one id type is over its limit, the event's lowest-priority id is dropped, whichever type
  overflowed (the worked example drops `email` although `user_id` overflowed). Between two ids of
  one type (an alias's `anonymousId` and `previousId`) the later-listed one, `previousId`, goes first.
  A dropped id is not added to any profile, but the event still resolves (FAQ step 5), and the
  per-id trait views still take its traits.
* A merge keeps the profile with the lowest number; its `ids` list its own values first, then the
  absorbed profiles' values (lowest number first), then the event's new ones. `mergedFrom` lists
  every profile folded in, including those the absorbed ones had folded in before.
* A trait both merged profiles hold takes the value set by the later message. A trait one of them
  had removed (`null`) is simply not held by it, so the other's value survives: the pages speak
  only of "conflicting attributes", and no tombstones are kept.
* `get()` of an absorbed profile's id returns the profile it was merged into (the FAQ: "Segment
  traverses the merge graph"); `profiles()` and `lookup()` only ever show live profiles.
* `seq` must increase from one `apply` to the next: "the later message" is the larger `seq`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, Literal

from fake_segment.exceptions import NotFound

__all__ = [
    "ANONYMOUS_ID",
    "DEFAULT_LIMITS",
    "DEFAULT_PRIORITY",
    "EMAIL",
    "USER_ID",
    "Profile",
    "ProfileNotFound",
    "ProfileStore",
    "TraitViewKind",
]

USER_ID: Final = "user_id"
EMAIL: Final = "email"
ANONYMOUS_ID: Final = "anonymous_id"

#: Segment's default limits: one `user_id` per profile; every type not listed gets `default_limit`.
DEFAULT_LIMITS: Final[Mapping[str, int]] = MappingProxyType({USER_ID: 1})
#: Segment's default explicit ranks (1 is the highest); types not listed follow alphabetically.
DEFAULT_PRIORITY: Final[Mapping[str, int]] = MappingProxyType({USER_ID: 1, EMAIL: 2})

TraitViewKind = Literal["anonymousId", "userId"]

_RESOLVED_TYPES: Final = frozenset({"identify", "track", "page", "screen", "group", "alias"})
_PROFILE_PREFIX: Final = "prof_"


class ProfileNotFound(NotFound):
    """No profile has, or ever had, this id."""

    def __init__(self, profile_id: str) -> None:
        super().__init__(
            f"expected the id of a profile the fake Segment built (like 'prof_1'), "
            f"got {profile_id!r}, which no profile has or had"
        )
        self.profile_id = profile_id


@dataclass(frozen=True, slots=True)
class Profile:
    """A snapshot of one identity-resolved profile; later messages do not change it."""

    id: str
    ids: dict[str, list[str]]
    traits: dict[str, Any]
    messages: list[int]
    merged_from: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: `{"id", "ids", "traits", "messages", "mergedFrom"}`."""
        return {
            "id": self.id,
            "ids": {kind: list(values) for kind, values in self.ids.items()},
            "traits": dict(self.traits),
            "messages": list(self.messages),
            "mergedFrom": list(self.merged_from),
        }


@dataclass(slots=True, eq=False)
class _Node:
    """A live or absorbed profile, stored compactly: the hot path and the memory budget live here."""

    num: int
    # Flat (type, value, type, value, ...) in arrival order: a tuple costs far less than a dict of lists.
    ids: tuple[str, ...]
    # May be the very dict of the anonymousId view (`shared`), while both are bound to be equal.
    traits: dict[str, Any]
    # The seq that set each trait: one int when a single message set them all, else a dict.
    tseq: int | dict[str, int]
    # One seq, or a list once there are several.
    msgs: int | list[int]
    merged: list[int] | None = None
    shared: bool = False


class ProfileStore:
    """Trait views and identity-resolved profiles, fed one accepted message at a time.

    Not thread-safe on its own: callers hold their lock around every call.
    """

    def __init__(
        self,
        limits: Mapping[str, int] | None = None,
        default_limit: int = 5,
        priority: Mapping[str, int] | None = None,
    ) -> None:
        limits = DEFAULT_LIMITS if limits is None else limits
        for kind, limit in [*limits.items(), ("default_limit", default_limit)]:
            if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
                raise ValueError(f"expected every identifier limit to be an integer >= 1, got {kind}={limit!r}")
        priority = DEFAULT_PRIORITY if priority is None else priority
        for kind, rank in priority.items():
            if not isinstance(rank, int) or isinstance(rank, bool):
                raise ValueError(f"expected every identifier priority to be an integer rank, got {kind}={rank!r}")
        self._limits = dict(limits)
        self._default_limit = default_limit
        self._priority = dict(priority)
        self.clear()

    # -- state -----------------------------------------------------------------------------------

    def clear(self) -> None:
        """Forget every message, view and profile; numbering starts again at `prof_1`."""
        self._last_seq: int | None = None
        self._anon_views: dict[str, dict[str, Any]] = {}
        self._user_views: dict[str, dict[str, Any]] = {}
        self._by_user: dict[str, _Node] = {}
        self._by_email: dict[str, _Node] = {}
        self._by_anon: dict[str, _Node] = {}
        self._index: dict[str, dict[str, _Node]] = {
            USER_ID: self._by_user,
            EMAIL: self._by_email,
            ANONYMOUS_ID: self._by_anon,
        }
        # Position n-1 holds profile n, or the live profile it was merged into.
        self._nodes: list[_Node] = []

    # -- ingest ----------------------------------------------------------------------------------

    def apply(self, seq: int, message: Mapping[str, Any]) -> None:
        """Apply one accepted, enriched message that sits at position `seq` of the message log."""
        last = self._last_seq
        if last is not None and seq <= last:
            raise ValueError(f"expected messages in arrival order (seq greater than {last}), got seq {seq}")
        self._last_seq = seq
        get = message.get
        kind = get("type")
        if kind not in _RESOLVED_TYPES:
            return

        user_id = get("userId")
        if user_id.__class__ is not str or not user_id:
            user_id = None
        anon_id = get("anonymousId")
        if anon_id.__class__ is not str or not anon_id:
            anon_id = None
        traits = get("traits")
        if traits.__class__ is not dict:
            traits = None
        email = None
        if traits is not None and kind != "group":
            email = traits.get("email")
            if email.__class__ is not str or not email:
                email = None
        if email is None:
            context = get("context")
            if context.__class__ is dict:
                context_traits = context.get("traits")
                if context_traits.__class__ is dict:
                    email = context_traits.get("email")
                    if email.__class__ is not str or not email:
                        email = None
        previous_id = None
        if kind == "alias":
            previous_id = get("previousId")
            if previous_id.__class__ is not str or not previous_id or previous_id == anon_id:
                previous_id = None
        if user_id is None and anon_id is None and previous_id is None:
            return  # Segment discards such a message at ingest (`no_user_anon_id`); an email alone is no id.

        # Fast paths: every id on the event belongs to one and the same profile, or none is known.
        by_user = self._by_user.get(user_id) if user_id is not None else None
        by_email = self._by_email.get(email) if email is not None else None
        by_anon = self._by_anon.get(anon_id) if anon_id is not None else None
        by_previous = self._by_anon.get(previous_id) if previous_id is not None else None
        node = by_user or by_email or by_anon or by_previous
        if node is None and previous_id is None:
            # A new person: one value per id type fits every limit (each is at least 1).
            if kind != "identify":
                self._create(seq, user_id, email, anon_id, {})
                return
            node = self._create(seq, user_id, email, anon_id, _with_values(traits))
            self._first_views(node, traits, anon_id, user_id)
            return
        elif (
            node is None
            or (previous_id is not None and by_previous is not node)
            or (user_id is not None and by_user is not node)
            or (email is not None and by_email is not node)
            or (anon_id is not None and by_anon is not node)
        ):
            # An id is new to a known person, or the ids point at different people: resolve them.
            event: list[tuple[str, str]] = []
            if user_id is not None:
                event.append((USER_ID, user_id))
            if email is not None:
                event.append((EMAIL, email))
            if anon_id is not None:
                event.append((ANONYMOUS_ID, anon_id))
            if previous_id is not None:
                event.append((ANONYMOUS_ID, previous_id))
            node = self._resolve(seq, event)
        else:
            msgs = node.msgs
            if isinstance(msgs, int):
                node.msgs = [msgs, seq]
            else:
                msgs.append(seq)

        if kind == "identify":
            self._apply_identify_traits(node, seq, traits or {}, anon_id, user_id)

    def apply_many(self, first_seq: int, messages: Sequence[Mapping[str, Any]]) -> None:
        """`apply` each message in turn, numbered `first_seq`, `first_seq + 1`, ...: a request's worth in one call.

        The commonest message of a first sync, an identify whose email and anonymousId no profile
        holds yet, is done right here with everything it touches at hand; any other goes to `apply`.
        The state is the same either way (the stateful tests drive both).
        """
        last = self._last_seq
        if last is not None and first_seq <= last:
            raise ValueError(f"expected messages in arrival order (seq greater than {last}), got seq {first_seq}")
        by_email, by_anon, anon_views, nodes = self._by_email, self._by_anon, self._anon_views, self._nodes
        seq = first_seq
        for message in messages:
            get = message.get
            if get("type") == "identify" and get("userId") is None:
                anon_id = get("anonymousId")
                traits = get("traits")
                if anon_id.__class__ is str and anon_id and traits.__class__ is dict:
                    email = traits.get("email")
                    if (
                        email.__class__ is str
                        and email
                        and email not in by_email
                        and anon_id not in by_anon
                        and anon_id not in anon_views
                    ):
                        # A new person; the anonymousId's view and the profile start as one dict.
                        own = _with_values(traits)
                        node = _Node(len(nodes) + 1, (EMAIL, email, ANONYMOUS_ID, anon_id), own, seq, seq, None, True)
                        nodes.append(node)
                        by_email[email] = node
                        by_anon[anon_id] = node
                        anon_views[anon_id] = own
                        self._last_seq = seq
                        seq += 1
                        continue
            self.apply(seq, message)
            seq += 1

    def _apply_identify_traits(
        self,
        node: _Node,
        seq: int,
        traits: dict[str, Any],
        anon_id: str | None,
        user_id: str | None,
    ) -> None:
        node_done = False
        set_count = 0
        if anon_id is not None:
            view = self._anon_views.get(anon_id)
            if view is None:
                if not node.traits and not node.shared and self._by_anon.get(anon_id) is node:
                    # The view and the profile start equal and take this same message: one dict serves both.
                    # Only the profile holding the anonymousId may share: `owner` below relies on it.
                    view = node.traits
                    node.shared = True
                else:
                    view = {}
                self._anon_views[anon_id] = view
            elif view is not node.traits:
                # The view goes one way, the profile another: the profile sharing it must stop.
                owner = self._by_anon.get(anon_id)
                if owner is not None and owner.traits is view:
                    owner.traits = dict(view)
                    owner.shared = False
            set_count = _apply_traits(view, traits)
            node_done = view is node.traits
        if user_id is not None:
            user_view = self._user_views.get(user_id)
            if user_view is None:
                user_view = self._user_views[user_id] = {}
            set_count = _apply_traits(user_view, traits)
        if not node_done:
            if node.shared:
                node.traits = dict(node.traits)
                node.shared = False
            set_count = _apply_traits(node.traits, traits)
        if not traits:
            return
        if set_count == len(node.traits):
            node.tseq = seq
            return
        tseq = node.tseq
        seqs = dict.fromkeys(node.traits, tseq) if isinstance(tseq, int) else tseq
        for name, value in traits.items():
            if value is None:
                seqs.pop(name, None)
            else:
                seqs[name] = seq
        node.tseq = seqs

    def _first_views(
        self, node: _Node, traits: dict[str, Any] | None, anon_id: str | None, user_id: str | None
    ) -> None:
        """The views of the ids of an identify that just created `node`, which holds its traits already.

        What `_apply_identify_traits` does for a node this new, in fewer steps: all the node's traits
        were set by this message (its `tseq` already says so).
        """
        if anon_id is not None:
            view = self._anon_views.get(anon_id)
            if view is None:
                # The view and the profile start equal and take the same messages: one dict serves both.
                self._anon_views[anon_id] = node.traits
                node.shared = True
            elif traits:
                _apply_traits(view, traits)
        if user_id is not None:
            user_view = self._user_views.get(user_id)
            if user_view is None:
                self._user_views[user_id] = dict(node.traits)
            elif traits:
                _apply_traits(user_view, traits)

    def _create(
        self, seq: int, user_id: str | None, email: str | None, anon_id: str | None, traits: dict[str, Any]
    ) -> _Node:
        flat: tuple[str, ...] = ()
        if user_id is not None:
            flat += (USER_ID, user_id)
        if email is not None:
            flat += (EMAIL, email)
        if anon_id is not None:
            flat += (ANONYMOUS_ID, anon_id)
        node = _Node(len(self._nodes) + 1, flat, traits, seq, seq)
        self._nodes.append(node)
        if user_id is not None:
            self._by_user[user_id] = node
        if email is not None:
            self._by_email[email] = node
        if anon_id is not None:
            self._by_anon[anon_id] = node
        return node

    def _resolve(self, seq: int, event: list[tuple[str, str]]) -> _Node:
        """Flat matching with limits and priorities; returns the profile the event resolved to."""
        while True:
            matched: list[_Node] = []
            new: list[tuple[str, str]] = []
            for kind, value in event:
                owner = self._index[kind].get(value)
                if owner is None:
                    if (kind, value) not in new:
                        new.append((kind, value))
                elif owner not in matched:
                    matched.append(owner)
            if len(matched) + len(new) == 1 or self._fits(matched, new):
                break
            # Over a limit: demote the event's lowest-priority id and match again.
            drop = max(range(len(event)), key=lambda i: (self._rank(event[i][0]), i))
            del event[drop]

        flat: tuple[str, ...] = sum(new, ())
        if not matched:
            node = _Node(len(self._nodes) + 1, flat, {}, seq, seq)
            self._nodes.append(node)
        else:
            node = matched[0]
            if len(matched) > 1:
                matched.sort(key=lambda n: n.num)
                node = matched[0]
                self._merge(node, matched[1:])
            if flat:
                node.ids += flat
            msgs = node.msgs
            if isinstance(msgs, int):
                node.msgs = [msgs, seq]
            else:
                msgs.append(seq)
        for kind, value in new:
            self._index[kind][value] = node
        return node

    def _fits(self, matched: list[_Node], new: list[tuple[str, str]]) -> bool:
        if not matched and len({kind for kind, _ in new}) == len(new):
            return True  # one value per type: within any limit, as every limit is at least 1
        counts: dict[str, int] = {}
        for node in matched:
            ids = node.ids
            for i in range(0, len(ids), 2):
                counts[ids[i]] = counts.get(ids[i], 0) + 1
        for kind, _ in new:
            counts[kind] = counts.get(kind, 0) + 1
        return all(count <= self._limit(kind) for kind, count in counts.items())

    def _merge(self, survivor: _Node, absorbed: list[_Node]) -> None:
        """Fold `absorbed` into `survivor`: ids, messages, traits (later seq wins) and the merge record."""
        everyone = [survivor, *absorbed]
        traits: dict[str, Any] = {}
        seqs: dict[str, int] = {}
        for node in everyone:
            tseq = node.tseq
            for name, value in node.traits.items():
                set_at = tseq if isinstance(tseq, int) else tseq[name]
                if name not in seqs or set_at > seqs[name]:
                    traits[name] = value
                    seqs[name] = set_at
        distinct = set(seqs.values())
        survivor.traits = traits
        survivor.tseq = distinct.pop() if len(distinct) == 1 else (seqs or 0)
        survivor.shared = False

        messages: list[int] = []
        for node in everyone:
            if isinstance(node.msgs, int):
                messages.append(node.msgs)
            else:
                messages.extend(node.msgs)
        messages.sort()
        survivor.msgs = messages

        merged = list(survivor.merged or ())
        ids = survivor.ids
        for node in absorbed:
            folded = [node.num, *(node.merged or ())]
            merged += folded
            for num in folded:
                self._nodes[num - 1] = survivor
            ids += node.ids
            for i in range(0, len(node.ids), 2):
                self._index[node.ids[i]][node.ids[i + 1]] = survivor
        survivor.ids = ids
        survivor.merged = merged

    def _limit(self, kind: str) -> int:
        return self._limits.get(kind, self._default_limit)

    def _rank(self, kind: str) -> tuple[int, int, str]:
        rank = self._priority.get(kind)
        return (0, rank, kind) if rank is not None else (1, 0, kind)

    # -- reading ---------------------------------------------------------------------------------

    def profiles(self) -> list[Profile]:
        """Every live profile, by id number."""
        return [_snapshot(node) for num, node in enumerate(self._nodes, 1) if node.num == num]

    def lookup(self, id_type: str, value: str) -> Profile | None:
        """The live profile holding external id `id_type` = `value`, or None."""
        index = self._index.get(id_type)
        node = index.get(value) if index is not None else None
        return _snapshot(node) if node is not None else None

    def get(self, profile_id: str) -> Profile:
        """The profile `profile_id`, or the live one it was merged into; raises `ProfileNotFound`."""
        number = profile_id[len(_PROFILE_PREFIX) :] if profile_id.startswith(_PROFILE_PREFIX) else ""
        if not (number.isascii() and number.isdigit()) or f"{_PROFILE_PREFIX}{int(number)}" != profile_id:
            raise ProfileNotFound(profile_id)
        if not 1 <= int(number) <= len(self._nodes):
            raise ProfileNotFound(profile_id)
        return _snapshot(self._nodes[int(number) - 1])

    def trait_view(self, kind: TraitViewKind, value: str) -> dict[str, Any] | None:
        """A copy of the traits identify calls gave this `anonymousId` or `userId`; None if none did."""
        views = self._views(kind)
        view = views.get(value)
        return dict(view) if view is not None else None

    def trait_views(self, kind: TraitViewKind) -> dict[str, dict[str, Any]]:
        """Copies of every `anonymousId` or `userId` trait view, by id, in first-identify order."""
        return {value: dict(view) for value, view in self._views(kind).items()}

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: every live profile and every trait view."""
        return {
            "profiles": [profile.to_dict() for profile in self.profiles()],
            "traitViews": {
                "anonymousId": self.trait_views("anonymousId"),
                "userId": self.trait_views("userId"),
            },
        }

    def _views(self, kind: str) -> dict[str, dict[str, Any]]:
        if kind == "anonymousId":
            return self._anon_views
        if kind == "userId":
            return self._user_views
        raise ValueError(f"expected a trait view kind of 'anonymousId' or 'userId', got {kind!r}")


def _with_values(traits: dict[str, Any] | None) -> dict[str, Any]:
    """The traits a first identify gives its new profile: those sent with a value."""
    if not traits:
        return {}
    own = dict(traits)
    if None in own.values():  # a null for a trait never set changes nothing
        own = {name: value for name, value in own.items() if value is not None}
    return own


def _apply_traits(target: dict[str, Any], traits: dict[str, Any]) -> int:
    """Apply one identify's traits with Segment's rules; return how many it set (rather than removed)."""
    set_count = 0
    for name, value in traits.items():
        if value is None:
            target.pop(name, None)
        else:
            target[name] = value
            set_count += 1
    return set_count


def _snapshot(node: _Node) -> Profile:
    ids: dict[str, list[str]] = {}
    flat = node.ids
    for i in range(0, len(flat), 2):
        ids.setdefault(flat[i], []).append(flat[i + 1])
    msgs = node.msgs
    return Profile(
        id=f"{_PROFILE_PREFIX}{node.num}",
        ids=ids,
        traits=dict(node.traits),
        messages=[msgs] if isinstance(msgs, int) else list(msgs),
        merged_from=[f"{_PROFILE_PREFIX}{num}" for num in node.merged or ()],
    )
