"""Small histories the harness's tests share: each exercises a whole family of rules in a few steps."""

from __future__ import annotations

from harness.history import (
    AddField,
    AdvanceClock,
    ClearField,
    CreateList,
    Integrate,
    RemoveIntegration,
    Resubscribe,
    SetField,
    Step,
    Subscribe,
    Sync,
    Unsubscribe,
)

__all__ = ["LIFECYCLE", "LISTS", "ONE_SYNC"]

# Subscribe, unsubscribe, a value change and a resubscribe, each seen by a sync.
LIFECYCLE: tuple[Step, ...] = (
    CreateList(7, "Newsletter"),
    AddField(7, 5, "CustomerId"),
    Subscribe(7, "Ann@X.io", {5: "u1"}),
    Subscribe(7, "bob@x.io"),
    Integrate(7, 5),
    Sync(),
    Unsubscribe(7, "Ann@X.io"),
    SetField(7, "bob@x.io", 5, "u2"),
    Sync(),
    Resubscribe(7, "Ann@X.io"),
    Sync(),
)
# Two lists (one without a userId field), a shared value, a value cleared, a list integrated late and one
# removed, the clock moved between syncs.
LISTS: tuple[Step, ...] = (
    CreateList(7),
    AddField(7, 5),
    CreateList(8),
    CreateList(9),
    Subscribe(7, "a+tag@Example.ORG", {5: "42"}),
    Subscribe(7, "b@x.io", {5: "42"}),
    Subscribe(8, "a+tag@Example.ORG"),
    Subscribe(9, "c@x.io"),
    Integrate(7, 5),
    Integrate(8),
    Sync(),
    ClearField(7, "b@x.io", 5),
    Unsubscribe(8, "a+tag@Example.ORG"),
    Integrate(9),
    AdvanceClock(4000),
    Sync(),
    RemoveIntegration(8),
    SetField(7, "a+tag@Example.ORG", 5, " 12 "),
    Resubscribe(8, "a+tag@Example.ORG"),
    Sync(),
)
# One contact, one list, one sync.
ONE_SYNC: tuple[Step, ...] = (CreateList(7), Subscribe(7, "a@x.io"), Integrate(7), Sync())
