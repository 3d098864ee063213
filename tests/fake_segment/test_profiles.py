"""The profiles the fake Segment builds: trait merge rules, identity resolution, and a model check."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from fake_segment.exceptions import NotFound
from fake_segment.profiles import Profile, ProfileNotFound, ProfileStore

# -- helpers ------------------------------------------------------------------------------------


class Feed:
    """Applies messages to a store with increasing seqs, the way the message log numbers them."""

    def __init__(self, store: ProfileStore | None = None) -> None:
        self.store = store if store is not None else ProfileStore()
        self.seq = 0

    def send(self, kind: str, **fields: Any) -> int:
        self.seq += 1
        self.store.apply(self.seq, {"type": kind, **fields})
        return self.seq

    def identify(self, **fields: Any) -> int:
        return self.send("identify", **fields)

    def profile(self, id_type: str, value: str) -> Profile:
        found = self.store.lookup(id_type, value)
        assert found is not None, f"no profile holds {id_type}={value!r}"
        return found


@pytest.fixture
def feed() -> Feed:
    return Feed()


# -- trait merge rules --------------------------------------------------------------------------

TRAIT_RULES = [
    # (what the second identify sends for `plan`, what the profile then holds; MISSING = no such trait)
    pytest.param({"plan": "max"}, "max", id="a-value-replaces-the-old-one"),
    pytest.param({"plan": None}, "MISSING", id="null-removes-the-trait"),
    pytest.param({"plan": ""}, "", id="empty-string-is-stored-not-removed"),
    pytest.param({"plan": False}, False, id="false-is-stored-not-removed"),
    pytest.param({}, "pro", id="left-out-keeps-the-old-value"),
    pytest.param({"other": 1}, "pro", id="another-trait-leaves-it-alone"),
]


def _trait_after(traits: dict[str, Any] | None, name: str) -> Any:
    assert traits is not None
    return traits.get(name, "MISSING")


@pytest.mark.parametrize(("second", "expected"), TRAIT_RULES)
def test_anonymous_id_view_follows_segment_trait_rules(feed: Feed, second: dict[str, Any], expected: Any) -> None:
    feed.identify(anonymousId="a@x.io", traits={"plan": "pro"})
    feed.identify(anonymousId="a@x.io", traits=second)
    assert _trait_after(feed.store.trait_view("anonymousId", "a@x.io"), "plan") == expected


@pytest.mark.parametrize(("second", "expected"), TRAIT_RULES)
def test_user_id_view_follows_segment_trait_rules(feed: Feed, second: dict[str, Any], expected: Any) -> None:
    feed.identify(userId="u1", traits={"plan": "pro"})
    feed.identify(userId="u1", traits=second)
    assert _trait_after(feed.store.trait_view("userId", "u1"), "plan") == expected


@pytest.mark.parametrize(("second", "expected"), TRAIT_RULES)
def test_profile_traits_follow_segment_trait_rules(feed: Feed, second: dict[str, Any], expected: Any) -> None:
    feed.identify(anonymousId="a@x.io", traits={"plan": "pro"})
    feed.identify(userId="u1", anonymousId="a@x.io", traits=second)
    assert _trait_after(feed.profile("user_id", "u1").traits, "plan") == expected


def test_false_and_empty_string_are_kept_as_distinct_values(feed: Feed) -> None:
    feed.identify(anonymousId="a", traits={"flag": False, "name": "", "count": 0})
    assert feed.store.trait_view("anonymousId", "a") == {"flag": False, "name": "", "count": 0}


def test_null_for_a_trait_never_set_changes_nothing(feed: Feed) -> None:
    feed.identify(anonymousId="a", traits={"plan": None})
    assert feed.store.trait_view("anonymousId", "a") == {}
    assert feed.profile("anonymous_id", "a").traits == {}


def test_trait_view_returns_a_copy(feed: Feed) -> None:
    feed.identify(anonymousId="a", traits={"plan": "pro"})
    view = feed.store.trait_view("anonymousId", "a")
    assert view is not None
    view["plan"] = "hacked"
    assert feed.store.trait_view("anonymousId", "a") == {"plan": "pro"}
    assert feed.profile("anonymous_id", "a").traits == {"plan": "pro"}


def test_trait_views_come_from_identify_only(feed: Feed) -> None:
    feed.send("track", anonymousId="a", event="Opened", context={"traits": {"email": "a@x.io", "plan": "pro"}})
    feed.send("group", userId="u1", groupId="g1", traits={"plan": "team"})
    assert feed.store.trait_view("anonymousId", "a") is None
    assert feed.store.trait_view("userId", "u1") is None
    feed.identify(anonymousId="a")
    assert feed.store.trait_view("anonymousId", "a") == {}


def test_trait_view_rejects_an_unknown_kind(feed: Feed) -> None:
    with pytest.raises(ValueError, match="anonymousId"):
        feed.store.trait_view("email", "a@x.io")  # type: ignore[arg-type]


def test_views_are_per_id_while_the_profile_joins_them(feed: Feed) -> None:
    feed.identify(anonymousId="a", traits={"plan": "pro"})
    feed.identify(userId="u1", anonymousId="a", traits={"seats": 3})
    feed.identify(userId="u1", traits={"plan": None})
    assert feed.store.trait_view("anonymousId", "a") == {"plan": "pro", "seats": 3}
    assert feed.store.trait_view("userId", "u1") == {"seats": 3}
    assert feed.profile("anonymous_id", "a").traits == {"seats": 3}


def test_trait_views_lists_every_view_of_a_kind(feed: Feed) -> None:
    feed.identify(anonymousId="a", traits={"x": 1})
    feed.identify(anonymousId="b", userId="u", traits={"y": 2})
    assert feed.store.trait_views("anonymousId") == {"a": {"x": 1}, "b": {"y": 2}}
    assert feed.store.trait_views("userId") == {"u": {"y": 2}}


# -- identity resolution ------------------------------------------------------------------------


def test_anonymous_then_user_id_on_the_same_anonymous_id_is_one_profile(feed: Feed) -> None:
    first = feed.identify(anonymousId="anon_123", traits={"email": "jane@x.io"})
    second = feed.identify(anonymousId="anon_123", userId="use_123", traits={"plan": "pro"})
    [profile] = feed.store.profiles()
    assert profile.ids == {"email": ["jane@x.io"], "anonymous_id": ["anon_123"], "user_id": ["use_123"]}
    assert profile.messages == [first, second]
    assert profile.traits == {"email": "jane@x.io", "plan": "pro"}


def test_settings_page_example_second_user_id_for_one_email_makes_a_new_profile(feed: Feed) -> None:
    feed.identify(userId="abc123", traits={"email": "jane@example1.com", "plan": "pro"})
    seq = feed.identify(userId="abc456", traits={"email": "jane@example1.com", "plan": "max"})
    first, second = feed.store.profiles()
    assert first.ids == {"user_id": ["abc123"], "email": ["jane@example1.com"]}
    assert first.traits == {"email": "jane@example1.com", "plan": "pro"}
    # The email was demoted from the event: the new profile holds only the new user_id, and the traits.
    assert second.ids == {"user_id": ["abc456"]}
    assert second.traits == {"email": "jane@example1.com", "plan": "max"}
    assert second.messages == [seq]
    assert feed.profile("email", "jane@example1.com").id == first.id


def test_one_user_id_on_two_emails_is_one_profile_with_both_emails(feed: Feed) -> None:
    feed.identify(userId="u1", anonymousId="a@x.io", traits={"email": "a@x.io"})
    feed.identify(userId="u1", anonymousId="b@x.io", traits={"email": "b@x.io"})
    [profile] = feed.store.profiles()
    assert profile.ids == {
        "user_id": ["u1"],
        "email": ["a@x.io", "b@x.io"],
        "anonymous_id": ["a@x.io", "b@x.io"],
    }
    assert profile.traits == {"email": "b@x.io"}


def test_event_carrying_ids_of_two_anonymous_profiles_merges_them(feed: Feed) -> None:
    one = feed.identify(anonymousId="a1", traits={"plan": "pro", "seats": 1})
    two = feed.identify(anonymousId="a2", traits={"email": "jane@x.io", "plan": "max"})
    three = feed.identify(anonymousId="a1", traits={"email": "jane@x.io"})
    [merged] = feed.store.profiles()
    assert merged.id == "prof_1"
    assert merged.merged_from == ["prof_2"]
    assert merged.ids == {"anonymous_id": ["a1", "a2"], "email": ["jane@x.io"]}
    assert merged.messages == [one, two, three]
    # `plan` was set on both: message `two` came later, so its value wins.
    assert merged.traits == {"plan": "max", "seats": 1, "email": "jane@x.io"}
    assert feed.profile("anonymous_id", "a2").id == "prof_1"


def test_merge_takes_the_later_value_even_from_the_older_profile(feed: Feed) -> None:
    feed.identify(anonymousId="a1", traits={"plan": "pro"})
    feed.identify(anonymousId="a2", traits={"plan": "max"})
    feed.identify(anonymousId="a1", traits={"plan": "team"})
    feed.send("alias", userId="u", anonymousId="a1", previousId="a2")
    [merged] = feed.store.profiles()
    assert merged.traits == {"plan": "team"}


def test_merge_compares_when_each_trait_was_set_not_when_each_profile_last_changed(feed: Feed) -> None:
    feed.identify(anonymousId="a1", traits={"plan": "pro"})
    feed.identify(anonymousId="a2", traits={"plan": "max"})
    feed.identify(anonymousId="a1", traits={"seats": 2})  # profile 1 changes later, but not its plan
    feed.send("alias", userId="u", anonymousId="a1", previousId="a2")
    [merged] = feed.store.profiles()
    assert merged.traits == {"plan": "max", "seats": 2}


def test_absorbed_profile_leaves_lookups_but_get_follows_the_merge(feed: Feed) -> None:
    feed.identify(anonymousId="a1")
    feed.identify(anonymousId="a2")
    feed.identify(anonymousId="a3")
    feed.send("alias", userId="u", anonymousId="a3", previousId="a2")
    feed.identify(anonymousId="a1", userId="u")
    assert [p.id for p in feed.store.profiles()] == ["prof_1"]
    assert feed.store.get("prof_1").merged_from == ["prof_2", "prof_3"]
    assert feed.store.get("prof_3").id == "prof_1"
    assert {feed.profile("anonymous_id", a).id for a in ("a1", "a2", "a3")} == {"prof_1"}


def test_sixth_anonymous_id_for_one_user_id_cannot_join(feed: Feed) -> None:
    seqs = [feed.identify(userId="u1", anonymousId=f"a{i}", traits={"n": i}) for i in range(1, 6)]
    sixth = feed.identify(userId="u1", anonymousId="a6", traits={"n": 6})
    [profile] = feed.store.profiles()
    assert profile.ids["anonymous_id"] == ["a1", "a2", "a3", "a4", "a5"]
    # The event still resolves to the profile through its user_id, traits and all; a6 is not kept.
    assert profile.messages == [*seqs, sixth]
    assert profile.traits == {"n": 6}
    assert feed.store.lookup("anonymous_id", "a6") is None
    assert feed.store.trait_view("anonymousId", "a6") == {"n": 6}
    # a6 on its own later is a stranger: it starts a profile of its own.
    alone = feed.send("track", anonymousId="a6", event="Opened")
    assert feed.profile("anonymous_id", "a6").id == "prof_2"
    assert feed.profile("anonymous_id", "a6").messages == [alone]


def test_merge_that_would_exceed_a_limit_falls_back_to_the_higher_priority_id(feed: Feed) -> None:
    feed.identify(userId="u1", anonymousId="a1")
    feed.identify(userId="u2", traits={"email": "jane@x.io"})
    # Both profiles match, but together they would hold two user_ids: anonymous_id is dropped first.
    seq = feed.identify(anonymousId="a1", traits={"email": "jane@x.io", "plan": "pro"})
    first, second = feed.store.profiles()
    assert first.ids == {"user_id": ["u1"], "anonymous_id": ["a1"]}
    assert second.ids == {"user_id": ["u2"], "email": ["jane@x.io"]}
    assert second.messages[-1] == seq
    assert second.traits == {"email": "jane@x.io", "plan": "pro"}
    assert first.traits == {}
    assert feed.store.trait_view("anonymousId", "a1") == {"email": "jane@x.io", "plan": "pro"}


def test_track_with_context_traits_email_joins_the_email_profile(feed: Feed) -> None:
    feed.identify(anonymousId="jane@x.io", traits={"email": "jane@x.io", "Listrak_list_7": True})
    seq = feed.send("track", anonymousId="other", event="Email Opened", context={"traits": {"email": "jane@x.io"}})
    [profile] = feed.store.profiles()
    assert profile.ids == {"email": ["jane@x.io"], "anonymous_id": ["jane@x.io", "other"]}
    assert profile.messages[-1] == seq
    assert profile.traits == {"email": "jane@x.io", "Listrak_list_7": True}


def test_traits_email_wins_over_context_traits_email(feed: Feed) -> None:
    feed.identify(anonymousId="a", traits={"email": "top@x.io"}, context={"traits": {"email": "ctx@x.io"}})
    assert feed.profile("anonymous_id", "a").ids["email"] == ["top@x.io"]
    feed.identify(anonymousId="b", traits={"email": ""}, context={"traits": {"email": "ctx@x.io"}})
    assert feed.profile("anonymous_id", "b").ids["email"] == ["ctx@x.io"]


def test_group_traits_email_describes_the_group_not_the_user(feed: Feed) -> None:
    feed.send("group", userId="u1", groupId="g", traits={"email": "team@x.io"})
    assert feed.store.lookup("email", "team@x.io") is None
    feed.send("group", userId="u2", groupId="g", context={"traits": {"email": "u2@x.io"}})
    assert feed.profile("email", "u2@x.io").ids["user_id"] == ["u2"]


def test_alias_joins_previous_id_to_the_user_id(feed: Feed) -> None:
    first = feed.identify(anonymousId="anon_1", traits={"plan": "pro"})
    alias = feed.send("alias", userId="u1", previousId="anon_1")
    later = feed.identify(userId="u1", traits={"seats": 2})
    [profile] = feed.store.profiles()
    assert profile.ids == {"anonymous_id": ["anon_1"], "user_id": ["u1"]}
    assert profile.messages == [first, alias, later]
    assert profile.traits == {"plan": "pro", "seats": 2}


def test_alias_merges_an_anonymous_profile_into_a_known_user(feed: Feed) -> None:
    feed.identify(userId="u1", traits={"plan": "pro"})
    feed.identify(anonymousId="anon_9", traits={"cart": 3})
    feed.send("alias", userId="u1", previousId="anon_9")
    [profile] = feed.store.profiles()
    assert profile.merged_from == ["prof_2"]
    assert profile.traits == {"plan": "pro", "cart": 3}


@pytest.mark.parametrize(
    ("id_type", "value"),
    [("user_id", "u1"), ("email", "jane@x.io"), ("anonymous_id", "anon_1")],
)
def test_lookup_finds_the_profile_by_each_id_type(feed: Feed, id_type: str, value: str) -> None:
    feed.identify(userId="u1", anonymousId="anon_1", traits={"email": "jane@x.io"})
    feed.identify(anonymousId="someone-else")
    found = feed.store.lookup(id_type, value)
    assert found is not None
    assert found.id == "prof_1"
    assert feed.store.lookup(id_type, "nobody") is None


def test_lookup_of_an_unknown_id_type_finds_nothing(feed: Feed) -> None:
    feed.identify(userId="u1")
    assert feed.store.lookup("ios.idfa", "u1") is None


@pytest.mark.parametrize("profile_id", ["prof_2", "prof_0", "prof_01", "prof_x", "1", ""])
def test_get_of_an_unknown_profile_raises_profile_not_found(feed: Feed, profile_id: str) -> None:
    feed.identify(userId="u1")
    with pytest.raises(ProfileNotFound) as caught:
        feed.store.get(profile_id)
    assert isinstance(caught.value, NotFound)
    assert caught.value.status == 404
    assert repr(profile_id) in caught.value.message


def test_messages_without_any_id_are_not_resolved(feed: Feed) -> None:
    feed.identify(userId="", anonymousId=None, traits={"email": "a@x.io"})
    feed.identify(userId=42, traits={"plan": "pro"})
    feed.send("unknown", userId="u1")
    assert feed.store.profiles() == []
    assert feed.store.lookup("email", "a@x.io") is None


def test_seq_must_increase(feed: Feed) -> None:
    feed.store.apply(5, {"type": "identify", "userId": "u"})
    with pytest.raises(ValueError, match="arrival order"):
        feed.store.apply(5, {"type": "identify", "userId": "u"})


def test_to_dict_has_the_documented_keys(feed: Feed) -> None:
    feed.identify(userId="u1", anonymousId="a", traits={"email": "e@x.io", "ok": False})
    assert feed.store.to_dict() == {
        "profiles": [
            {
                "id": "prof_1",
                "ids": {"user_id": ["u1"], "email": ["e@x.io"], "anonymous_id": ["a"]},
                "traits": {"email": "e@x.io", "ok": False},
                "messages": [1],
                "mergedFrom": [],
            }
        ],
        "traitViews": {
            "anonymousId": {"a": {"email": "e@x.io", "ok": False}},
            "userId": {"u1": {"email": "e@x.io", "ok": False}},
        },
    }


def test_profile_is_a_snapshot(feed: Feed) -> None:
    feed.identify(anonymousId="a", traits={"plan": "pro"})
    before = feed.profile("anonymous_id", "a")
    feed.identify(anonymousId="a", traits={"plan": "max"})
    assert before.traits == {"plan": "pro"}
    assert before.messages == [1]


def test_clear_forgets_everything_and_restarts_numbering(feed: Feed) -> None:
    feed.identify(userId="u1", anonymousId="a", traits={"x": 1})
    feed.store.clear()
    assert feed.store.profiles() == []
    assert feed.store.trait_view("anonymousId", "a") is None
    assert feed.store.lookup("user_id", "u1") is None
    feed.store.apply(1, {"type": "identify", "userId": "u2"})
    assert feed.store.profiles()[0].id == "prof_1"


def test_custom_limits_let_one_user_id_per_email_hold_two_user_ids() -> None:
    feed = Feed(ProfileStore(limits={"email": 1, "user_id": 2}))
    feed.identify(userId="shopify_1", traits={"email": "jane@x.io"})
    feed.identify(userId="uuid_1", traits={"email": "jane@x.io"})
    third = feed.identify(userId="uuid_1", traits={"email": "other@x.io"})
    [profile] = feed.store.profiles()
    assert profile.ids == {"user_id": ["shopify_1", "uuid_1"], "email": ["jane@x.io"]}
    # A second email is over its limit of 1 and ranks below user_id: the event keeps only uuid_1.
    assert profile.messages[-1] == third
    assert feed.store.lookup("email", "other@x.io") is None


def test_a_batch_keeps_the_view_of_an_anonymous_id_that_no_profile_holds() -> None:
    store = ProfileStore(default_limit=1)
    store.apply(1, {"type": "identify", "userId": "u1", "anonymousId": "a1"})
    # a2 is over the one anonymous_id u1's profile may hold: it has a view, but no profile.
    store.apply(2, {"type": "identify", "userId": "u1", "anonymousId": "a2", "traits": {"plan": "pro"}})
    assert store.lookup("anonymous_id", "a2") is None
    store.apply_many(3, [{"type": "identify", "anonymousId": "a2", "traits": {"email": "new@x.io"}}])
    assert store.trait_view("anonymousId", "a2") == {"plan": "pro", "email": "new@x.io"}
    profile = store.lookup("email", "new@x.io")
    assert profile is not None and profile.traits == {"email": "new@x.io"} and profile.messages == [3]


def test_a_batch_of_new_people_numbers_them_in_order() -> None:
    store = ProfileStore()
    store.apply_many(
        1, [{"type": "identify", "anonymousId": f"a{i}", "traits": {"email": f"e{i}@x.io"}} for i in range(3)]
    )
    assert [(p.id, p.messages) for p in store.profiles()] == [("prof_1", [1]), ("prof_2", [2]), ("prof_3", [3])]
    with pytest.raises(ValueError, match="arrival order"):
        store.apply_many(3, [{"type": "identify", "anonymousId": "b"}])


def test_custom_priority_decides_which_id_the_event_loses() -> None:
    feed = Feed(ProfileStore(priority={"email": 1, "user_id": 2}))
    feed.identify(userId="abc123", traits={"email": "jane@x.io"})
    feed.identify(userId="abc456", traits={"email": "jane@x.io"})
    # user_id now ranks below email, so it is the one demoted: the event joins jane's profile.
    [profile] = feed.store.profiles()
    assert profile.ids == {"user_id": ["abc123"], "email": ["jane@x.io"]}
    assert profile.messages == [1, 2]
    assert feed.store.lookup("user_id", "abc456") is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"limits": {"user_id": 0}},
        {"default_limit": 0},
        {"limits": {"email": True}},
        {"priority": {"email": "1"}},
    ],
)
def test_invalid_settings_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="expected"):
        ProfileStore(**kwargs)


# -- model check --------------------------------------------------------------------------------


class NaiveProfiles:
    """A slow, obvious restatement of the rules, to check the compact store against."""

    def __init__(self, limits: dict[str, int], default_limit: int, priority: dict[str, int]) -> None:
        self.limits, self.default_limit, self.priority = limits, default_limit, priority
        self.profiles: list[dict[str, Any]] = []
        self.views: dict[str, dict[str, dict[str, Any]]] = {"anonymousId": {}, "userId": {}}

    def live(self) -> list[dict[str, Any]]:
        return [p for p in self.profiles if p["alive"]]

    def owner(self, kind: str, value: str) -> dict[str, Any] | None:
        owners = [p for p in self.live() if value in p["ids"].get(kind, [])]
        assert len(owners) <= 1
        return owners[0] if owners else None

    def rank(self, kind: str) -> tuple[int, int, str]:
        return (0, self.priority[kind], kind) if kind in self.priority else (1, 0, kind)

    def apply(self, seq: int, message: dict[str, Any]) -> None:
        def usable(value: Any) -> bool:
            return isinstance(value, str) and value != ""

        kind = message["type"]
        traits = message.get("traits") or {}
        context_traits = message.get("context", {}).get("traits", {})
        email = traits.get("email") if kind != "group" else None
        if not usable(email):
            email = context_traits.get("email")
        candidates = [
            ("user_id", message.get("userId")),
            ("email", email),
            ("anonymous_id", message.get("anonymousId")),
        ]
        if kind == "alias" and message.get("previousId") != message.get("anonymousId"):
            candidates.append(("anonymous_id", message.get("previousId")))
        event = [(k, v) for k, v in candidates if isinstance(v, str) and v]
        if not any(k != "email" for k, _ in event):
            return

        if kind == "identify":
            for view_kind in ("anonymousId", "userId"):
                if usable(message.get(view_kind)):
                    view = self.views[view_kind].setdefault(message[view_kind], {})
                    for name, value in traits.items():
                        if value is None:
                            view.pop(name, None)
                        else:
                            view[name] = value
        while True:
            owners: list[dict[str, Any]] = []
            for k, v in event:
                found = self.owner(k, v)
                if found is not None and found not in owners:
                    owners.append(found)
            values: dict[str, set[str]] = {}
            for p in owners:
                for k, vs in p["ids"].items():
                    values.setdefault(k, set()).update(vs)
            for k, v in event:
                values.setdefault(k, set()).add(v)
            if all(len(vs) <= self.limits.get(k, self.default_limit) for k, vs in values.items()):
                break
            lowest = max(range(len(event)), key=lambda i: (self.rank(event[i][0]), i))
            event.pop(lowest)

        if not owners:
            target: dict[str, Any] = {
                "num": len(self.profiles) + 1,
                "ids": {},
                "traits": {},
                "messages": [],
                "merged_from": [],
                "alive": True,
            }
            self.profiles.append(target)
        else:
            owners.sort(key=lambda p: p["num"])
            target = owners[0]
            for other in owners[1:]:
                other["alive"] = False
                target["merged_from"] += [other["num"], *other["merged_from"]]
                for k, vs in other["ids"].items():
                    target["ids"].setdefault(k, []).extend(vs)
                for name, (value, set_at) in other["traits"].items():
                    if name not in target["traits"] or target["traits"][name][1] < set_at:
                        target["traits"][name] = (value, set_at)
                target["messages"] = sorted(target["messages"] + other["messages"])
        for k, v in event:
            if v not in target["ids"].get(k, []):
                target["ids"].setdefault(k, []).append(v)
        target["messages"].append(seq)
        if kind == "identify":
            for name, value in traits.items():
                if value is None:
                    target["traits"].pop(name, None)
                else:
                    target["traits"][name] = (value, seq)

    def to_dicts(self) -> list[dict[str, Any]]:
        return [
            {
                "id": f"prof_{p['num']}",
                "ids": p["ids"],
                "traits": {name: value for name, (value, _) in p["traits"].items()},
                "messages": p["messages"],
                "mergedFrom": [f"prof_{n}" for n in p["merged_from"]],
            }
            for p in self.live()
        ]


USERS = st.sampled_from(["u1", "u2", "u3"])
ANONS = st.sampled_from([f"a{i}" for i in range(1, 8)])
EMAILS = st.sampled_from(["e1@x.io", "e2@x.io", "e3@x.io"])
TRAITS = st.dictionaries(
    st.sampled_from(["plan", "Listrak_list_1", "seats"]),
    st.sampled_from([None, True, False, "", "pro", 0]),
    max_size=3,
)


class ProfilesMachine(RuleBasedStateMachine):
    """Random traffic over a small pool of ids; the store must agree with the naive model."""

    limits: dict[str, int] = {"user_id": 1}
    default_limit = 5
    priority: dict[str, int] = {"user_id": 1, "email": 2}

    def __init__(self) -> None:
        super().__init__()
        self.store = ProfileStore(limits=self.limits, default_limit=self.default_limit, priority=self.priority)
        self.model = NaiveProfiles(self.limits, self.default_limit, self.priority)
        self.seq = 0
        self.resolvable: list[int] = []
        # Messages of an open batch wait, and reach the store together through apply_many.
        self.batching = False
        self.pending: list[dict[str, Any]] = []
        self.fresh = 0

    def send(self, message: dict[str, Any]) -> None:
        self.pending.append(message)
        if not self.batching:
            self.flush()

    @rule()
    def open_batch(self) -> None:
        self.batching = True

    @rule()
    def flush(self) -> None:
        batch, self.pending, batching = self.pending, [], self.batching
        self.batching = False
        if not batch:
            return
        if batching:
            self.store.apply_many(self.seq + 1, batch)
        else:
            self.store.apply(self.seq + 1, batch[0])
        for message in batch:
            self.seq += 1
            self.model.apply(self.seq, message)
            if "userId" in message or "anonymousId" in message:
                self.resolvable.append(self.seq)  # Segment drops the others at ingest (`no_user_anon_id`)

    @rule(
        user=st.none() | USERS,
        anon=st.none() | ANONS,
        email=st.none() | EMAILS,
        in_context=st.booleans(),
        traits=TRAITS,
    )
    def identify(
        self, user: str | None, anon: str | None, email: str | None, in_context: bool, traits: dict[str, Any]
    ) -> None:
        message: dict[str, Any] = {"type": "identify", "traits": dict(traits)}
        if user is not None:
            message["userId"] = user
        if anon is not None:
            message["anonymousId"] = anon
        if email is not None:
            if in_context:
                message["context"] = {"traits": {"email": email}}
            else:
                message["traits"]["email"] = email
        self.send(message)

    @rule(
        people=st.lists(st.tuples(TRAITS, st.none() | ANONS, st.none() | EMAILS), min_size=1, max_size=4),
    )
    def new_people_in_one_batch(self, people: list[tuple[dict[str, Any], str | None, str | None]]) -> None:
        """A first sync's batch: identifies of people nobody has seen, now and then with a known id."""
        self.open_batch()
        for traits, known_anon, known_email in people:
            self.fresh += 1
            anon = known_anon or f"new{self.fresh}"
            email = known_email or f"new{self.fresh}@x.io"
            self.send({"type": "identify", "anonymousId": anon, "traits": {**traits, "email": email}})
        self.flush()

    @rule(anon=ANONS, user=st.none() | USERS, email=st.none() | EMAILS)
    def track(self, anon: str, user: str | None, email: str | None) -> None:
        message: dict[str, Any] = {"type": "track", "event": "Opened", "anonymousId": anon}
        if user is not None:
            message["userId"] = user
        if email is not None:
            message["context"] = {"traits": {"email": email}}
        self.send(message)

    @rule(user=USERS, previous=ANONS, anon=st.none() | ANONS)
    def alias(self, user: str, previous: str, anon: str | None) -> None:
        message: dict[str, Any] = {"type": "alias", "userId": user, "previousId": previous}
        if anon is not None:
            message["anonymousId"] = anon
        self.send(message)

    @invariant()
    def agrees_with_the_model(self) -> None:
        assert [p.to_dict() for p in self.store.profiles()] == self.model.to_dicts()
        for kind in ("anonymousId", "userId"):
            assert self.store.trait_views(kind) == self.model.views[kind]

    @invariant()
    def no_profile_exceeds_a_limit(self) -> None:
        for profile in self.store.profiles():
            for kind, values in profile.ids.items():
                assert len(values) <= self.limits.get(kind, self.default_limit), profile

    @invariant()
    def every_id_value_resolves_to_exactly_one_live_profile(self) -> None:
        holders = Counter((k, v) for p in self.store.profiles() for k, vs in p.ids.items() for v in vs)
        assert all(count == 1 for count in holders.values()), holders
        for profile in self.store.profiles():
            for kind, values in profile.ids.items():
                for value in values:
                    found = self.store.lookup(kind, value)
                    assert found is not None
                    assert found.id == profile.id

    @invariant()
    def every_applied_seq_belongs_to_exactly_one_live_profile(self) -> None:
        seqs = sorted(seq for p in self.store.profiles() for seq in p.messages)
        assert seqs == self.resolvable

    @invariant()
    def every_profile_id_ever_given_resolves_to_a_live_profile(self) -> None:
        live = {p.id for p in self.store.profiles()}
        for profile in self.store.profiles():
            for absorbed in profile.merged_from:
                assert self.store.get(absorbed).id == profile.id
        assert live.isdisjoint(m for p in self.store.profiles() for m in p.merged_from)


class TightProfilesMachine(ProfilesMachine):
    """Small limits and an unusual priority, so that demotions and blocked merges happen often."""

    limits = {"user_id": 1, "email": 1}
    default_limit = 2
    priority = {"anonymous_id": 1, "user_id": 2}


_MACHINE_SETTINGS = settings(max_examples=150, stateful_step_count=30, deadline=None)
_MACHINE_SETTINGS_CHECKS = settings(_MACHINE_SETTINGS, suppress_health_check=[HealthCheck.too_slow])
TestProfilesAgreeWithTheModel = ProfilesMachine.TestCase
TestProfilesAgreeWithTheModel.settings = _MACHINE_SETTINGS_CHECKS
TestTightProfilesAgreeWithTheModel = TightProfilesMachine.TestCase
TestTightProfilesAgreeWithTheModel.settings = _MACHINE_SETTINGS_CHECKS
