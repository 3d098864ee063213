"""The fake Segment as an object you start and stop: a real loopback server in a thread, plus
direct access to what arrived, and an in-process httpx transport that needs no socket."""

from __future__ import annotations

from typing import Any, Literal

from fake_segment.app import create_app
from fake_segment.backend import SegmentBackend
from fake_segment.exceptions import NotFound
from fake_segment.models import Discard, Settings, StoredMessage
from harness.fakekit.clock import Clock
from harness.fakekit.faults import Fault, parse_fault
from harness.fakekit.served import Served
from harness.fakekit.server import ServerThread

__all__ = ["FakeSegment", "WriteKeyView"]


class FakeSegment(Served):
    """A fake Segment on 127.0.0.1 (`with FakeSegment() as seg: seg.url, seg.messages()`)."""

    title = "the fake Segment"

    def __init__(
        self,
        *,
        write_keys: list[str] | None = None,
        retention: int = 100_000,
        dedupe_scope: Literal["global", "write_key"] = "global",
        clock: Clock | None = None,
        seed: int | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        threads: int = 8,
    ) -> None:
        settings = Settings(
            retention=retention,
            dedupe_scope=dedupe_scope,
            write_keys=frozenset(write_keys) if write_keys is not None else None,
        )
        self.backend = SegmentBackend(clock=clock, settings=settings, seed=seed)
        self.app = create_app(self.backend)
        self.server = ServerThread(self.app, host=host, port=port, threads=threads)

    @property
    def api_url(self) -> str:
        """The Tracking API base, `{url}/v1` (what SEGMENT_API_URL holds)."""
        return self.url + "/v1"

    # -- what arrived ---------------------------------------------------------------------
    def records(self, write_key: str | None = None, **filters: Any) -> list[StoredMessage]:
        """Stored messages with their seq, write key and Spec findings."""
        return self.backend.messages(write_key=write_key, **filters)

    def messages(self, write_key: str | None = None, **filters: Any) -> list[dict[str, Any]]:
        """The enriched messages, oldest first; filters as `SegmentBackend.messages`."""
        return [r.message for r in self.records(write_key, **filters)]

    def discards(self, write_key: str | None = None, reason: str | None = None) -> list[Discard]:
        return self.backend.discards(write_key=write_key, reason=reason)

    def profiles(self, write_key: str | None = None, **ids: str) -> list[dict[str, Any]]:
        """Identity-resolved profiles as JSON-ready dicts, optionally those holding the given ids."""
        return [{"writeKey": k, **p.to_dict()} for k, p in self.backend.profiles(write_key, **ids)]

    def profile(self, write_key: str | None = None, **ids: str) -> dict[str, Any]:
        """The one profile holding the given ids (`seg.profile(email="a@x.io")`)."""
        found = self.profiles(write_key, **ids)
        if len(found) != 1:
            raise NotFound(f"Expected one profile with {ids}, found {len(found)}.")
        return found[0]

    def traits(self, write_key: str, *, anonymous_id: str | None = None, user_id: str | None = None) -> dict[str, Any]:
        """The per-id trait view Segment holds for an anonymousId or a userId."""
        if (anonymous_id is None) == (user_id is None):
            raise ValueError("Give exactly one of anonymous_id or user_id.")
        if anonymous_id is not None:
            return self.backend.trait_view(write_key, "anonymousId", anonymous_id)
        assert user_id is not None
        return self.backend.trait_view(write_key, "userId", user_id)

    # -- control --------------------------------------------------------------------------
    def reset(self, write_key: str | None = None) -> None:
        self.backend.reset(write_key)

    def add_fault(self, **spec: Any) -> Fault:
        """Program a fault, e.g. `add_fault(action="status", status=500, times=2)`."""
        return self.backend.faults.add(parse_fault(spec))

    def for_write_key(self, write_key: str) -> WriteKeyView:
        """A view of this fake bound to one write key (what the pytest fixture hands out)."""
        return WriteKeyView(self, write_key)


class WriteKeyView:
    """One write key's partition of a shared fake: its own messages, profiles and faults."""

    def __init__(self, fake: FakeSegment, write_key: str) -> None:
        self.fake = fake
        self.write_key = write_key

    @property
    def url(self) -> str:
        return self.fake.url

    @property
    def api_url(self) -> str:
        return self.fake.api_url

    def records(self, **filters: Any) -> list[StoredMessage]:
        return self.fake.records(self.write_key, **filters)

    def messages(self, **filters: Any) -> list[dict[str, Any]]:
        return self.fake.messages(self.write_key, **filters)

    def discards(self, reason: str | None = None) -> list[Discard]:
        return self.fake.discards(self.write_key, reason)

    def profiles(self, **ids: str) -> list[dict[str, Any]]:
        return self.fake.profiles(self.write_key, **ids)

    def profile(self, **ids: str) -> dict[str, Any]:
        return self.fake.profile(self.write_key, **ids)

    def traits(self, *, anonymous_id: str | None = None, user_id: str | None = None) -> dict[str, Any]:
        return self.fake.traits(self.write_key, anonymous_id=anonymous_id, user_id=user_id)

    def reset(self) -> None:
        self.fake.reset(self.write_key)

    def add_fault(self, **spec: Any) -> Fault:
        """Program a fault that only hits this write key's requests."""
        return self.fake.add_fault(partition=self.write_key, **spec)
