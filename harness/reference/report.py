"""What a sync run did, told truthfully: for people (a paragraph) and machines (JSON)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["SyncReport"]


@dataclass(slots=True)
class SyncReport:
    """The outcome of one run. `ok` is True only when every change was delivered."""

    revision: str
    dry_run: bool = False
    lists: list[int] = field(default_factory=list)
    pages: int = 0
    contacts_seen: int = 0
    changes: int = 0
    messages_sent: int = 0
    batches_sent: int = 0
    retries: int = 0
    token_refreshes: int = 0
    undelivered: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures and self.undelivered == 0

    def fail(self, reason: str) -> None:
        self.failures.append(reason)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, **asdict(self)}

    def summary(self) -> str:
        """One paragraph: what was read, what was sent, and, when it failed, what was not and why."""
        lists = ", ".join(str(i) for i in self.lists) or "none"
        verb = "would send" if self.dry_run else "sent"
        text = (
            f"{'Dry run: ' if self.dry_run else ''}Read {self.contacts_seen:,} contacts in {self.pages:,} pages "
            f"from list{'s' if len(self.lists) != 1 else ''} {lists}; {self.changes:,} changed, "
            f"{verb} {self.messages_sent:,} messages in {self.batches_sent:,} batches "
            f"(revision {self.revision}) in {self.seconds:.1f}s"
        )
        if self.retries or self.token_refreshes:
            text += f", after {self.retries} retries and {self.token_refreshes} token refreshes"
        text += "."
        if self.ok:
            return text + (" Nothing was changed." if self.dry_run else " Every change was delivered.")
        not_sent = f" {self.undelivered:,} changes were NOT delivered" if self.undelivered else " The sync FAILED"
        return text + not_sent + ": " + "; ".join(self.failures) + " The next run will retry them."
