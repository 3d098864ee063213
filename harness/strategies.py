"""Hypothesis strategies for valid histories (steps Listrak would accept), with the variety that finds bugs.

`histories()` builds a history one step at a time beside a `ListrakModel`, choosing only steps that
are legal in the state reached, so every history is valid, and so is every history the shrinker
makes by replaying the choices with some deleted. A setup creates one to three lists with their
fields and integrates some; then a story draws actions from a weighted menu. Each history draws a
theme that weights the menu (swarm testing: "values", "lifecycle", "integration", "balanced"), and
steps return to the contact the last one touched, so that deep situations (a value set, changed
and cleared across syncs) are common in 30 steps. Every choice shrinks towards the first list,
address and value, the balanced theme, subscribes and syncs, and fewer steps.

`Story` draws the same steps one at a time, for the conformance state machine (`harness.machine`).

`situations(history)` names the situations a history puts an implementation in (an unsubscribe
after a sync, a value shared by two addresses, ...), for tuning and for coverage reports.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TypeVar

from hypothesis import strategies as st

from fake_listrak.exceptions import InvalidParameter
from fake_listrak.models import Field, Settings, is_address
from fake_listrak.store import address_key

from .history import (
    DEFAULT_WRITE_KEY,
    REVISIONS,
    AddField,
    AdvanceClock,
    ClearField,
    Crash,
    CreateList,
    History,
    InjectFault,
    Integrate,
    RemoveIntegration,
    Resubscribe,
    SetField,
    Step,
    Subscribe,
    Sync,
    Unsubscribe,
)
from .model import ContactState, ListrakModel, SyncExpectation

__all__ = [
    "SITUATIONS",
    "TOKEN_LIFETIME_S",
    "Story",
    "addresses",
    "histories",
    "listrak_faults",
    "segment_faults",
    "situations",
]

_T = TypeVar("_T")

# The fake Listrak's default token lifetime: advancing the clock past it expires the sync's token.
TOKEN_LIFETIME_S = Settings().token_lifetime

# -- addresses -----------------------------------------------------------------------------------
_LOCAL_PARTS = (
    "ann",
    "Bob",
    "ZOE",
    "jean.luc",
    "first.middle.last",
    "o'neil",
    "müller",
    "José.García",
    "straße",
    "李雷",
    "анна",
    "x_y-z",
)
_TAGS = ("", "+news", "+Tag.2", "+ünï", "+")
_DOMAINS = ("example.com", "Example.ORG", "mail.example.co.uk", "bücher.de", "xn--bcher-kva.example", "例え.jp")
_LONG = "long.local.part.with.many.dots.and.more.text.to.reach.sixty.four.chars"


def _case(text: str, how: str) -> str:
    if how == "upper":
        return text.upper()
    if how == "title":
        return text[:1].upper() + text[1:]
    return text


# Strategies are built once: building one at every draw is the generator's main cost.
_LOCALS = st.one_of(
    st.sampled_from(_LOCAL_PARTS),
    st.integers(40, 64).map(lambda n: _LONG[:n].strip(".")),
    st.text(st.characters(codec="utf-8", categories=("L", "N"), include_characters="._-'"), min_size=1, max_size=16),
)


@st.composite
def addresses(draw: st.DrawFn) -> str:
    """An address Listrak accepts: upper case, plus-tags, dots, long local parts and unicode among them."""
    local = draw(_LOCALS)
    local = _case(local, _pick(draw, ("as-is", "title", "upper")))
    tag = _pick(draw, _TAGS)
    address = f"{local}{tag}@{_pick(draw, _DOMAINS)}"
    if not is_address(address):  # pragma: no cover - every part above is address-safe, but be sure
        address = f"{local[:40]}@example.com"
    return address


# -- values --------------------------------------------------------------------------------------
_USER_IDS = ("u-1", "42", "007", "1e3", "-3.5", "ünï", "用户7", "CUST-0042", " 12 ", "0", "ID 9", "Ω")
_FILLERS = ("9", "ü", "x")
_FRESH_VALUES = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12)


def _fits(found: Field, value: str) -> bool:
    try:
        found.check(value)
    except InvalidParameter:
        return False
    return True


@functools.cache
def _ints(low: int, high: int) -> st.SearchStrategy[int]:
    """`st.integers(low, high)`, built once: Hypothesis's own strategy cache costs more per draw than
    the draw itself, and a history draws a hundred of these."""
    return st.integers(low, high)


_BOOLS = st.booleans()


# -- faults --------------------------------------------------------------------------------------
_times = st.integers(1, 3)
# The fake Listrak's API paths (a fault's path is a regular expression the whole path must match).
API_PATHS = "/email/v1/.*"


def segment_faults() -> st.SearchStrategy[dict[str, object]]:
    """Fault specs for the fake Segment: 500/503, 429 with a short Retry-After, drops and short hangs."""
    return st.one_of(
        st.fixed_dictionaries({"action": st.just("status"), "status": st.sampled_from((500, 503)), "times": _times}),
        st.fixed_dictionaries(
            {
                "action": st.just("status"),
                "status": st.just(429),
                "headers": st.fixed_dictionaries({"Retry-After": st.sampled_from(("1", "2"))}),
                "times": _times,
            }
        ),
        st.fixed_dictionaries({"action": st.just("drop"), "times": _times}),
        st.fixed_dictionaries({"action": st.just("drop"), "after": st.just(True), "times": _times}),
        st.fixed_dictionaries({"action": st.just("hang"), "hang_s": st.sampled_from((0.5, 1.0, 2.0)), "times": _times}),
    )


def listrak_faults() -> st.SearchStrategy[dict[str, object]]:
    """Fault specs for the fake Listrak: 500/503, revoked tokens (the next call gets a 401) and drops."""
    return st.one_of(
        st.fixed_dictionaries({"action": st.just("status"), "status": st.sampled_from((500, 503)), "times": _times}),
        # Aimed at the API, not the token endpoint: the token in hand dies, and the request (or, with
        # after, the next one) gets a 401 that the sync must answer by fetching a new token.
        st.fixed_dictionaries(
            {"action": st.just("revoke_tokens"), "path": st.just(API_PATHS), "after": st.booleans(), "times": _times}
        ),
        st.fixed_dictionaries({"action": st.just("drop"), "times": _times}),
    )


_SEGMENT_FAULTS = segment_faults()
_LISTRAK_FAULTS = listrak_faults()
_POOLS = st.lists(addresses(), min_size=2, max_size=3, unique_by=address_key)
_VALUE_POOLS = st.lists(st.sampled_from(_USER_IDS), min_size=2, max_size=3, unique=True)


# -- the generator -------------------------------------------------------------------------------
#
# Shrinking replays the same choices against a history with some steps deleted, so each choice is
# made from something that deleting a step rarely changes: the action from a fixed menu (one per
# theme), the list and address by their place in the history's own lists and address pool, a
# value by its place in the value pool. A choice that does not fit the state reached (unsubscribe
# when nobody is subscribed) falls back to the first contact it fits in a fixed order, or is
# skipped, so every history stays valid.

_LIST_NAMES = ("Newsletter", "Promotions", "VIP", "Ünïcode list")
_FIELD_NAMES = ("CustomerId", "LoyaltyNumber", "Kundennummer")
# How each list joins the integration: in the setup, later (once it has contacts), or never.
_EARLY, _LATE, _NEVER = "early", "late", "never"
_CONTACT_ACTIONS = ("subscribe", "set_field", "unsubscribe", "resubscribe", "clear_field")

# Swarm testing: each history draws a theme that weights some actions up, so that deep situations
# (a value set, changed and cleared across syncs; a contact unsubscribed and resubscribed across
# syncs) are common without forcing any sequence of steps; shrinking heads for the balanced theme.
_BASE_WEIGHTS = {
    "subscribe": 4,
    "sync": 3,
    "set_field": 4,
    "unsubscribe": 2,
    "resubscribe": 2,
    "clear_field": 2,
    "integrate": 3,
    "remove_integration": 1,
    "advance_clock": 1,
    "add_field": 1,
    "inject_fault": 2,
    "crash": 1,
}
_THEMES: dict[str, dict[str, int]] = {
    "balanced": _BASE_WEIGHTS,
    "values": {
        **_BASE_WEIGHTS,
        **{"subscribe": 3, "set_field": 8, "clear_field": 4, "unsubscribe": 1, "resubscribe": 1},
        **{"remove_integration": 0, "advance_clock": 0, "add_field": 0},
    },
    "lifecycle": {
        **_BASE_WEIGHTS,
        **{"unsubscribe": 6, "resubscribe": 6, "set_field": 1, "clear_field": 1},
        **{"remove_integration": 0, "add_field": 0},
    },
    "integration": {**_BASE_WEIGHTS, "integrate": 6, "remove_integration": 4, "advance_clock": 2},
}


def _menu(theme: str, faults: bool, crashes: bool) -> list[str]:
    """The theme's actions, each repeated by its weight, after "pass" (no step), where shrinking an
    action heads: turning a step into a pass shortens the choices, and the shrinker then drops the
    step's own choices that follow."""
    skipped = {name for name, on in (("inject_fault", faults), ("crash", crashes)) if not on}
    return ["pass", *(name for name, weight in _THEMES[theme].items() if name not in skipped for _ in range(weight))]


@dataclass(slots=True)
class _Builder:
    max_steps: int
    reserve: int
    theme: str
    pool: list[str]
    values: list[str]
    model: ListrakModel = field(default_factory=ListrakModel)
    steps: list[Step] = field(default_factory=list)
    list_ids: list[int] = field(default_factory=list)
    plans: dict[int, str] = field(default_factory=dict)
    removed_any: bool = False
    # The (list, address key) the last contact step touched: steps return to it often, so one
    # contact lives through set-change-clear and subscribe-unsubscribe-resubscribe.
    focus: tuple[int, str] | None = None

    def room(self) -> int:
        return self.max_steps - len(self.steps) - self.reserve

    def add(self, step: Step) -> None:
        self.model.apply(step)
        self.steps.append(step)


_Pair = tuple[int, ContactState]


def _pick(draw: st.DrawFn, items: Sequence[_T]) -> _T:
    """One of the items, by an index that shrinks towards the first. (`st.sampled_from` would build,
    and validate, a new strategy at every draw: the generator's main cost.)"""
    return items[draw(_ints(0, len(items) - 1))]


def _prefer(draw: st.DrawFn, items: Sequence[_T], preferred: Sequence[_T]) -> _T:
    """Mostly one of `preferred` (when some are), else any of `items`."""
    if preferred and len(preferred) < len(items) and draw(_ints(0, 3)) != 3:
        return _pick(draw, preferred)
    return _pick(draw, items)


def _contact(draw: st.DrawFn, b: _Builder, fits: Callable[[int, ContactState], bool]) -> _Pair | None:
    """A contact the action fits: often the focus; else a list and an address by their place; else
    the first that fits, contacts of lists with a userId field first. None if none fits."""
    m = b.model
    odds = 2 if b.theme in ("balanced", "integration") else 9
    if b.focus is not None and draw(_ints(0, odds)) != odds:
        list_id, key = b.focus
        found = m.lists[list_id].contacts.get(key)
        if found is not None and fits(list_id, found):
            return list_id, found
    list_id = _pick(draw, b.list_ids)
    found = m.find(list_id, _pick(draw, b.pool))
    if found is not None and fits(list_id, found):
        return list_id, found
    fitting = [(lid, c) for lid, c in m.contacts() if fits(lid, c)]
    fitting.sort(key=lambda item: m.integration.get(item[0]) is None)
    return fitting[0] if fitting else None


def _field_of(draw: st.DrawFn, m: ListrakModel, list_id: int, field_ids: Iterable[int]) -> int:
    """One of the field ids, mostly the list's userId field: its changes are the ones an implementation must carry."""
    ordered = sorted(field_ids)
    userid = m.integration.get(list_id)
    return _prefer(draw, ordered, [userid] if userid in ordered else [])


def _value(draw: st.DrawFn, found: Field, pool: list[str], current: str | None) -> str:
    """A value for the field: mostly from the history's small pool (so that addresses share values),
    else empty, whitespace, exactly at maxLength, or any text. A pick equal to `current` moves on
    to the next in its list, so that a set mostly changes something."""
    if draw(_ints(0, 3)) != 3:
        # A Numeric field takes none of a text pool: it draws from the numeric-looking ids instead.
        candidates = [v for v in pool if _fits(found, v)] or [v for v in _USER_IDS if _fits(found, v)]
    else:
        at_max = _pick(draw, _FILLERS) * found.max_length
        fresh = draw(_FRESH_VALUES)[: found.max_length]
        candidates = [v for v in ("", "   ", at_max, fresh) if _fits(found, v)]
    if not candidates:
        return ""
    index = draw(_ints(0, len(candidates) - 1))
    if candidates[index] == (current or "") and len(candidates) > 1:
        index = (index + 1) % len(candidates)
    return candidates[index]


def _late(b: _Builder, list_id: int) -> bool:
    """A list that joins the integration late can join once it has contacts (and was never removed:
    what a list added back must show is not documented either)."""
    m = b.model
    return (
        b.plans.get(list_id) == _LATE
        and list_id not in m.integration
        and list_id not in m.removed
        and bool(m.lists[list_id].contacts)
    )


def _removable(b: _Builder, list_id: int) -> bool:
    """Removing a list is worth it once a sync has seen it integrated with contacts."""
    since = b.model.integrated_at[list_id]
    return any(s.step > since and any(lid == list_id for lid, _ in s.contacts) for s in b.model.syncs)


def _userid_field(draw: st.DrawFn, m: ListrakModel, list_id: int) -> int | None:
    """The field whose value becomes the userId: mostly one of the list's fields, sometimes none."""
    with_field: list[int | None] = list(sorted(m.lists[list_id].fields))
    return _prefer(draw, [*with_field, None], with_field)


def _new_field(draw: st.DrawFn, list_id: int, field_id: int) -> AddField:
    return AddField(
        list_id,
        field_id,
        _pick(draw, _FIELD_NAMES),
        _pick(draw, ("Text", "Text", "Text", "Text", "Numeric")),
        _pick(draw, (50, 12, 8, 255)),
    )


def _subscribe(draw: st.DrawFn, b: _Builder) -> Step | None:
    m = b.model
    # Mostly a list that is (or will be) integrated: that is where subscribes must show.
    list_id = _prefer(draw, b.list_ids, [lid for lid in b.list_ids if b.plans[lid] != _NEVER])
    address = _pick(draw, b.pool)
    if m.find(list_id, address) is not None:
        free = [(lid, a) for lid in b.list_ids for a in b.pool if m.find(lid, a) is None]
        free.sort(key=lambda item: item[0] not in m.integration)
        if not free:
            return None
        list_id, address = free[0]
    b.focus = (list_id, address_key(address))
    state = m.lists[list_id]
    chosen: dict[int, str] = {}
    if bool(state.fields) and draw(_BOOLS):
        field_id = _field_of(draw, m, list_id, state.fields)
        chosen[field_id] = _value(draw, state.fields[field_id], b.values, None)
    return Subscribe(list_id, address, chosen)


def _step(draw: st.DrawFn, b: _Builder, action: str, ids: Callable[[], int]) -> Step | None:
    """The step for the action in the state reached, or None when it has nothing to act on."""
    m = b.model
    if action == "subscribe":
        return _subscribe(draw, b)
    if action in ("set_field", "clear_field", "unsubscribe", "resubscribe"):
        fits: dict[str, Callable[[int, ContactState], bool]] = {
            "set_field": lambda lid, c: bool(m.lists[lid].fields),
            "clear_field": lambda lid, c: bool(c.values),
            "unsubscribe": lambda lid, c: c.subscribed,
            "resubscribe": lambda lid, c: not c.subscribed,
        }
        pair = _contact(draw, b, fits[action])
        if pair is None:
            return None
        list_id, contact = pair
        b.focus = (list_id, address_key(contact.address))
        if action == "set_field":
            state = m.lists[list_id]
            field_id = _field_of(draw, m, list_id, state.fields)
            value = _value(draw, state.fields[field_id], b.values, contact.values.get(field_id))
            return SetField(list_id, contact.address, field_id, value)
        if action == "clear_field":
            return ClearField(list_id, contact.address, _field_of(draw, m, list_id, contact.values))
        return (Unsubscribe if action == "unsubscribe" else Resubscribe)(list_id, contact.address)
    if action == "integrate":
        late = [lid for lid in b.list_ids if _late(b, lid)]
        if not late:
            return None
        list_id = _pick(draw, late)
        return Integrate(list_id, _userid_field(draw, m, list_id))
    if action == "remove_integration":
        removable = [lid for lid in b.list_ids if lid in m.integration and _removable(b, lid)]
        if b.removed_any or not removable:
            return None
        b.removed_any = True
        return RemoveIntegration(_pick(draw, removable))
    if action == "advance_clock":
        return AdvanceClock(_pick(draw, (TOKEN_LIFETIME_S + 1, 1, 60, 86_400)))
    if action == "add_field":
        open_lists = [lid for lid in b.list_ids if len(m.lists[lid].fields) < 2]
        return _new_field(draw, _pick(draw, open_lists), ids()) if open_lists else None
    if action == "inject_fault":
        if len(m.pending_faults) >= 2:
            return None
        target = _pick(draw, ("segment", "listrak"))
        return InjectFault(target, draw(_SEGMENT_FAULTS if target == "segment" else _LISTRAK_FAULTS))
    if action == "crash":
        return Crash(draw(_ints(1, 6))) if m.pending_crash is None else None
    if action == "pass":
        return None
    return Sync()


# The story being drawn (builder, menu, field ids): `_STORY_STEP` is built once and reads it from
# here, since building a strategy per step would cost more than drawing the step.
_STORY: ContextVar[tuple[_Builder, list[str], Callable[[], int]]] = ContextVar("_STORY")


@st.composite
def _story_step(draw: st.DrawFn) -> None:
    """One action of the story and the steps it adds. Its choices form one span, so the shrinker can
    delete a whole step (a fault, a value change) at once without shifting the choices after it."""
    b, menu, ids = _STORY.get()
    action = _pick(draw, menu)
    step = _step(draw, b, action, ids)
    if step is None:
        return
    b.add(step)
    if action in _CONTACT_ACTIONS and b.room() > 0 and draw(_ints(0, 2)) == 2:
        b.add(Sync())


_STORY_STEP = _story_step()


def _free_id(draw: st.DrawFn, taken: Callable[[int], bool]) -> int:
    """A drawn id, or the next free one after it: ids are unique (field ids in the whole account)."""
    wanted = draw(_ints(1, 10_000))
    while taken(wanted):
        wanted += 1
    return wanted


def _field_ids(draw: st.DrawFn, b: _Builder) -> Callable[[], int]:
    """A new field id at each call, drawn with `draw`."""
    return lambda: _free_id(draw, b.model.field_lists.__contains__)


def _setup(draw: st.DrawFn, b: _Builder, next_field_id: Callable[[], int]) -> None:
    """One to three lists, each with its fields and, if it joins early, its integration. Each list's
    steps come from one run of choices, so shrinking can drop a whole list."""
    for position in range(3):
        if b.room() <= 0 or (position > 0 and not draw(_BOOLS)):
            break
        list_id = _free_id(draw, b.model.lists.__contains__)
        b.add(CreateList(list_id, _pick(draw, _LIST_NAMES)))
        b.list_ids.append(list_id)
        b.plans[list_id] = _pick(draw, (_EARLY, _EARLY, _LATE) if position == 0 else (_EARLY, _LATE, _NEVER))
        # The first list has a field, so the userId rules always have something to bite on.
        for _ in range(draw(_ints(1 if position == 0 else 0, 1))):
            if b.room() > 0:
                b.add(_new_field(draw, list_id, next_field_id()))
        if b.plans[list_id] == _EARLY and b.room() > 0:
            b.add(Integrate(list_id, _userid_field(draw, b.model, list_id)))


def _close(b: _Builder) -> None:
    """End on a sync that nothing was armed against, so the last word is a clean run."""
    if b.model.pending_faults or b.model.pending_crash is not None:
        b.add(Sync())
    if not b.steps or not isinstance(b.steps[-1], Sync) or b.model.syncs[-1].faults or b.model.syncs[-1].crash:
        b.add(Sync())


def _reserve(faults: bool, crashes: bool) -> int:
    """Steps kept back for the closing syncs: one, and one more to absorb what is still armed."""
    return 2 if faults or crashes else 1


@st.composite
def _histories(draw: st.DrawFn, revision: str | None, max_steps: int, faults: bool, crashes: bool) -> History:
    chosen_revision = revision if revision is not None else _pick(draw, REVISIONS)
    theme = _pick(draw, tuple(_THEMES))
    # How many actions the story draws, drawn before anything of variable size: Hypothesis's
    # generator copies spans between places, and a copied address would otherwise shift this draw
    # (often to zero). About half the stories fill the history; lowering it, the shrinker deletes
    # the steps after.
    length = draw(_ints(0, 2 * max_steps))
    pool = draw(_POOLS)
    values = draw(_VALUE_POOLS)
    b = _Builder(max_steps, _reserve(faults, crashes), theme, pool, values)
    next_field_id = _field_ids(draw, b)
    _setup(draw, b, next_field_id)

    # The story: contacts come and go, values change, lists join and leave, syncs run. A change to
    # a contact is often followed at once by a sync, so that changes reach syncs one or two at a time.
    menu = _menu(theme, faults, crashes)
    _STORY.set((b, menu, next_field_id))
    for _ in range(length):
        if b.room() <= 0:
            break
        draw(_STORY_STEP)

    _close(b)
    return History(tuple(b.steps), chosen_revision, DEFAULT_WRITE_KEY)


def histories(
    revision: str | None = None, *, max_steps: int = 30, faults: bool = False, crashes: bool = False
) -> st.SearchStrategy[History]:
    """Valid histories of at most `max_steps` steps, ending with a sync; `revision` None draws one.

    `faults` adds fault injections on both fakes between syncs; `crashes` adds crash steps (for
    `cmd:` implementations). Either way the last sync runs with nothing armed against it.
    """
    if revision is not None and revision not in REVISIONS:
        raise ValueError(f"revision must be one of {', '.join(REVISIONS)}; got {revision!r}")
    minimum = 4 if faults or crashes else 3
    if max_steps < minimum:
        raise ValueError(f"max_steps must be at least {minimum} (a list, a step and the final sync); got {max_steps}")
    return _histories(revision, max_steps, faults, crashes)


class Story:
    """A history drawn step by step beside the model, as `histories()` draws one, for a state machine.

    `Story.begin(draw, ...)` draws a theme, the address and value pools and the setup (lists, fields,
    early integrations); `next_step(draw)` draws one action of the story and the step for it in the
    state reached, with the same choices `histories()` makes; `add(step)` takes a step the caller
    chose (a sync); `closing()` adds the syncs that end on a clean one. Every step is kept valid by
    the model and listed in `steps`; `room()` is what is left of `max_steps` before the closing syncs.
    """

    def __init__(self, builder: _Builder, menu: list[str]) -> None:
        self._b = builder
        self.menu = menu

    @classmethod
    def begin(cls, draw: st.DrawFn, *, max_steps: int = 30, faults: bool = False, crashes: bool = False) -> Story:
        """A story with its setup drawn; `faults` and `crashes` put those actions on the menu."""
        theme = _pick(draw, tuple(_THEMES))
        b = _Builder(max_steps, _reserve(faults, crashes), theme, draw(_POOLS), draw(_VALUE_POOLS))
        _setup(draw, b, _field_ids(draw, b))
        return cls(b, _menu(theme, faults, crashes))

    @property
    def model(self) -> ListrakModel:
        """The state the steps so far reached."""
        return self._b.model

    @property
    def steps(self) -> list[Step]:
        """Every step so far, in order."""
        return self._b.steps

    def room(self) -> int:
        """How many more steps fit before the closing syncs."""
        return self._b.room()

    def next_step(self, draw: st.DrawFn) -> Step | None:
        """Draw an action from the menu and add its step; None when the action has nothing to act on."""
        step = _step(draw, self._b, _pick(draw, self.menu), _field_ids(draw, self._b))
        if step is not None:
            self._b.add(step)
        return step

    def add(self, step: Step) -> None:
        """Add a step the caller chose (the model raises HistoryError if it is not valid here)."""
        self._b.add(step)

    def closing(self) -> list[Step]:
        """Add the syncs that end the story on one nothing was armed against; return them."""
        before = len(self._b.steps)
        _close(self._b)
        return self._b.steps[before:]

    def __repr__(self) -> str:
        return f"Story(theme={self._b.theme!r}, steps={self._b.steps!r})"


# -- situations ----------------------------------------------------------------------------------
SITUATIONS = (
    "subscribe-then-sync",
    "unsubscribe-after-sync",
    "resubscribe-seen",
    "value-set-changed-cleared",
    "integrated-after-contacts",
    "removed-from-integration",
    "shared-value",
    "no-userid-field",
    "several-lists-integrated",
    "value-whitespace",
    "value-numeric-looking",
    "value-unicode",
    "value-at-max-length",
    "address-upper-case",
    "address-plus-tag",
    "address-unicode",
    "address-long-local-part",
    "clock-past-token-lifetime",
    "fault-segment",
    "fault-listrak",
    "crash",
)
_NUMERIC = re.compile(r"^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$")


def situations(history: History) -> frozenset[str]:
    """The situations of `SITUATIONS` the history's syncs put an implementation in."""
    model = ListrakModel()
    found: set[str] = set()
    late_lists: set[int] = set()
    max_lengths: dict[int, int] = {}
    for step in history.steps:
        if isinstance(step, Integrate) and model.lists[step.list_id].contacts:
            late_lists.add(step.list_id)
        if isinstance(step, AddField):
            max_lengths[step.field_id] = step.max_length
        model.apply(step)
    syncs = model.syncs
    steps = history.steps
    previous = -1
    for sync in syncs:
        _one_sync(sync, steps, previous, max_lengths, found)
        if any(lid in late_lists for lid in sync.integration):
            found.add("integrated-after-contacts")
        previous = sync.step
    for earlier, later in itertools.pairwise(syncs):
        if later.clock - earlier.clock >= TOKEN_LIFETIME_S:
            found.add("clock-past-token-lifetime")
    _across_syncs(syncs, found)
    return frozenset(found)


def _one_sync(
    sync: SyncExpectation, steps: tuple[Step, ...], previous: int, max_lengths: dict[int, int], found: set[str]
) -> None:
    holders: dict[str, set[str]] = {}
    lists_with_contacts = {lid for lid, _ in sync.contacts}
    if len(lists_with_contacts) >= 2:
        found.add("several-lists-integrated")
    if any(sync.integration[lid] is None for lid in lists_with_contacts):
        found.add("no-userid-field")
    for (list_id, address), c in sync.contacts.items():
        if c.subscribed and c.subscription_step > previous and isinstance(steps[c.subscription_step], Subscribe):
            found.add("subscribe-then-sync")
        local = address.rpartition("@")[0]
        if address != address.lower():
            found.add("address-upper-case")
        if "+" in local:
            found.add("address-plus-tag")
        if not address.isascii():
            found.add("address-unicode")
        if len(local) >= 40:
            found.add("address-long-local-part")
        value = c.value
        if value is None:
            continue
        holders.setdefault(value, set()).add(address)
        if value != value.strip():
            found.add("value-whitespace")
        if _NUMERIC.match(value):
            found.add("value-numeric-looking")
        if not value.isascii():
            found.add("value-unicode")
        field_id = sync.integration[list_id]
        if field_id is not None and len(value) == max_lengths.get(field_id):
            found.add("value-at-max-length")
    if any(len(owners) >= 2 for owners in holders.values()):
        found.add("shared-value")
    for _, fault in sync.faults:
        found.add(f"fault-{fault.target}")
    if sync.crash is not None:
        found.add("crash")


def _across_syncs(syncs: list[SyncExpectation], found: set[str]) -> None:
    keys = {key for sync in syncs for key in sync.contacts}
    for key in keys:
        seen = [s.contacts[key] for s in syncs if key in s.contacts]
        states = [c.subscribed for c in seen]
        if _in_order(states, (True, False)):
            found.add("unsubscribe-after-sync")
        if _in_order(states, (True, False, True)):
            found.add("resubscribe-seen")
        values = [c.value for c in seen]
        for i, first in enumerate(values):
            if first is None:
                continue
            changed = next((j for j in range(i + 1, len(values)) if values[j] not in (None, first)), None)
            if changed is not None and None in values[changed + 1 :]:
                found.add("value-set-changed-cleared")
                break
    removed = {lid for sync in syncs for lid in sync.removed_lists}
    for list_id in removed:
        seen_at = [s.number for s in syncs if list_id in s.integration]
        if seen_at and any(list_id in s.removed_lists and s.number > seen_at[0] for s in syncs):
            found.add("removed-from-integration")


def _in_order(items: list[bool], pattern: tuple[bool, ...]) -> bool:
    position = 0
    for item in items:
        if item == pattern[position]:
            position += 1
            if position == len(pattern):
                return True
    return False
