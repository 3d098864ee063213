"""What the sync has delivered, in SQLite under the state directory, so that each run sends only
changes and a crash at any point loses nothing.

Per (list, address) pair the store keeps the state Segment was last *acknowledged* to hold
(`delivered`) and the change in flight (`pending`, written before its batch is sent and cleared
once Segment acknowledged it). A pending change may or may not have reached Segment: the next run
resends it with the same messageId if it still describes the contact (Segment drops the copy if it
had landed), or sends the contact's current state as a new change if not — so a subscribe that
landed without its acknowledgement is still undone by a `null` after an unsubscribe.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from queue import Queue
from types import TracebackType
from typing import NamedTuple

import orjson

from harness.reference.config import ConfigError, SyncConfig

__all__ = ["Change", "Recorder", "StateStore"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS delivered (
    list_id INTEGER NOT NULL, address TEXT NOT NULL,
    subscribed INTEGER NOT NULL, user_id TEXT NOT NULL, counter INTEGER NOT NULL,
    PRIMARY KEY (list_id, address)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pending (
    list_id INTEGER NOT NULL, address TEXT NOT NULL,
    subscribed INTEGER NOT NULL, user_id TEXT NOT NULL, counter INTEGER NOT NULL,
    PRIMARY KEY (list_id, address)
) WITHOUT ROWID;
"""
RUN_TABLES = """
CREATE TEMP TABLE seen (
    list_id INTEGER NOT NULL, address TEXT NOT NULL,
    subscribed INTEGER NOT NULL, user_id TEXT NOT NULL, unsubscribe_method TEXT,
    PRIMARY KEY (list_id, address)
) WITHOUT ROWID;
CREATE TEMP TABLE changes (
    n INTEGER PRIMARY KEY, list_id INTEGER NOT NULL, address TEXT NOT NULL,
    subscribed INTEGER NOT NULL, user_id TEXT NOT NULL, counter INTEGER NOT NULL,
    unsubscribe_method TEXT, observed INTEGER NOT NULL, was_subscribed INTEGER NOT NULL
);
"""
# A page of observations, given as one JSON array of [list id, address, subscribed, user id, method] rows.
RECORD_PAGE = """
INSERT OR REPLACE INTO seen
SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4 FROM json_each(?)
"""
# Contacts seen this run whose state differs from what Segment holds, or whose change is in flight.
# A pending change that still matches keeps its counter (and so its messageId).
DIFF_SEEN = """
INSERT INTO changes (list_id, address, subscribed, user_id, counter, unsubscribe_method, observed, was_subscribed)
SELECT s.list_id, s.address, s.subscribed, s.user_id,
       CASE WHEN p.address IS NOT NULL AND p.subscribed = s.subscribed AND p.user_id = s.user_id
            THEN p.counter ELSE MAX(COALESCE(d.counter, 0), COALESCE(p.counter, 0)) + 1 END,
       s.unsubscribe_method, 1,
       COALESCE(p.subscribed, d.subscribed, 0)
FROM seen AS s
LEFT JOIN delivered AS d ON d.list_id = s.list_id AND d.address = s.address
LEFT JOIN pending AS p ON p.list_id = s.list_id AND p.address = s.address
WHERE s.list_id = :list_id AND (
    p.address IS NOT NULL
    OR (s.subscribed = 1 AND (d.address IS NULL OR d.subscribed = 0 OR d.user_id <> s.user_id))
    OR (s.subscribed = 0 AND d.subscribed = 1)
)
"""
# Pairs Segment holds (or may hold) as subscribed whose contact is gone from the list: not subscribed.
# (Delivered pairs, then pairs only ever pending: two anti-joins, no UNION to sort.)
DIFF_GONE = """
INSERT INTO changes (list_id, address, subscribed, user_id, counter, unsubscribe_method, observed, was_subscribed)
SELECT d.list_id, d.address, 0, '',
       CASE WHEN p.address IS NOT NULL AND p.subscribed = 0 AND p.user_id = ''
            THEN p.counter ELSE MAX(d.counter, COALESCE(p.counter, 0)) + 1 END,
       NULL, 0, COALESCE(p.subscribed, d.subscribed)
FROM delivered AS d
LEFT JOIN pending AS p ON p.list_id = d.list_id AND p.address = d.address
WHERE d.list_id = :list_id AND (p.address IS NOT NULL OR d.subscribed = 1)
  AND NOT EXISTS (SELECT 1 FROM seen AS s WHERE s.list_id = d.list_id AND s.address = d.address)
UNION ALL
SELECT p.list_id, p.address, 0, '',
       CASE WHEN p.subscribed = 0 AND p.user_id = '' THEN p.counter ELSE p.counter + 1 END,
       NULL, 0, p.subscribed
FROM pending AS p
WHERE p.list_id = :list_id
  AND NOT EXISTS (SELECT 1 FROM delivered AS d WHERE d.list_id = p.list_id AND d.address = p.address)
  AND NOT EXISTS (SELECT 1 FROM seen AS s WHERE s.list_id = p.list_id AND s.address = p.address)
"""


class Change(NamedTuple):
    """One (list, address) pair whose Segment state must change, and how."""

    n: int
    list_id: int
    address: str
    subscribed: bool
    user_id: str
    counter: int
    unsubscribe_method: str | None
    observed: bool
    was_subscribed: bool


class Recorder:
    """What `StateStore.recording` hands the caller: queue a page of observations, or a list's diff."""

    def __init__(self, store: StateStore, work: Queue[Callable[[], None] | None]) -> None:
        self._store = store
        self._work = work
        self.changes: dict[int, int] = {}  # list id -> changes found, filled in as the writer gets there

    def __call__(self, rows: list[tuple[int, str, int, str, str | None]]) -> None:
        """Store a page of observations: (list id, address, subscribed 0/1, user id or '', unsubscribe method)."""
        self._work.put(lambda: self._store.record_seen(rows))

    def diff(self, list_id: int) -> None:
        """Work out `list_id`'s changes once every observation queued before this is stored."""

        def count() -> None:
            self.changes[list_id] = self._store.diff(list_id)

        self._work.put(count)


class StateStore:
    """The sync's SQLite state for one (write key, Segment URL, revision), locked for one run."""

    def __init__(self, config: SyncConfig) -> None:
        self.dry_run = config.dry_run
        self._epoch: str | None = None
        key = f"{config.segment_write_key}\x1f{config.segment_api_url.rstrip('/')}\x1f{config.revision}"
        # The file name never contains the write key, only a digest of it.
        self.path = Path(config.state_dir) / f"sync-{hashlib.sha256(key.encode()).hexdigest()[:16]}.sqlite3"
        self._lock_file: int | None = None
        self._db = self._open(config)
        # A run's observations live in temp tables: in memory, with room to work (64MB of cache).
        self._db.execute("PRAGMA temp_store = MEMORY")
        self._db.execute("PRAGMA cache_size = -65536")
        self._db.executescript(RUN_TABLES)
        _ = self.epoch  # a real run writes it at once, so a run killed before sending still has it

    def _open(self, config: SyncConfig) -> sqlite3.Connection:
        state_dir = Path(config.state_dir)
        if self.dry_run:
            # A dry run changes nothing: read the state if there is one, never create it.
            if self.path.exists():
                return sqlite3.connect(
                    f"file:{self.path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
                )
            db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
            db.executescript(SCHEMA)
            return db
        try:
            state_dir.mkdir(parents=True, exist_ok=True)
            self._lock_file = os.open(state_dir / ".sync.lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise ConfigError(f"Cannot use the state directory {state_dir}: {exc.strerror or exc}.") from None
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConfigError(f"Another sync is running with the state directory {state_dir}.") from None
        # One thread at a time, but not always the same one: see `recording`.
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(SCHEMA)
        return db

    @property
    def epoch(self) -> str:
        """A random id made with this state file; mixed into messageIds so no two state files share one."""
        if self._epoch is None:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'epoch'").fetchone()
            if row is not None:
                self._epoch = str(row[0])
            else:
                self._epoch = os.urandom(8).hex()
                if not self.dry_run:
                    with self._transaction():
                        self._db.execute("INSERT INTO meta VALUES ('epoch', ?)", (self._epoch,))
        return self._epoch

    def close(self) -> None:
        self._db.close()
        if self._lock_file is not None:
            os.close(self._lock_file)
            self._lock_file = None

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    # -- one run --------------------------------------------------------------------------
    def record_seen(self, rows: Iterable[tuple[int, str, int, str, str | None]]) -> None:
        """Contacts observed this run: (list id, address, subscribed 0/1, user id or '', unsubscribe method)."""
        # A contact met twice in one scan (it changed state mid-scan) keeps its last observation: json_each
        # yields the rows in order. One statement for the page, not one per row: sqlite3 gives up and takes
        # back the GIL around every row it steps, and while other threads parse pages each take-back waits
        # its turn, which made storing five times slower than SQLite's own work; one step holds it once.
        page = orjson.dumps(rows if isinstance(rows, list) else list(rows)).decode()
        self._db.execute(RECORD_PAGE, (page,))  # one statement is one transaction: no BEGIN and COMMIT to wait for

    @contextmanager
    def recording(self) -> Iterator[Recorder]:
        """Record observations, and work out each list's changes, in a writer thread while the caller reads on.

        SQLite does its B-tree work without the GIL, so storing one page overlaps fetching and parsing
        the next, and a list's diff overlaps reading the next list. Work is done in the order it was
        asked for. The store must not be used otherwise until the block ends; leaving it waits for all
        of it and raises what the writer raised; `Recorder.changes` then holds each list's count.
        """
        work: Queue[Callable[[], None] | None] = Queue(maxsize=4)
        recorder = Recorder(self, work)
        failed: list[BaseException] = []

        def write() -> None:
            while (task := work.get()) is not None:
                if not failed:
                    try:
                        task()
                    except BaseException as exc:  # raised in the caller when the block ends
                        failed.append(exc)

        writer = threading.Thread(target=write, name="sync-state-writer", daemon=True)
        writer.start()
        try:
            yield recorder
        finally:
            work.put(None)
            writer.join()
        if failed:
            raise failed[0]

    def diff(self, list_id: int) -> int:
        """Work out the changes for one list from this run's observations; returns how many."""
        with self._transaction():
            before = self._count_changes()
            self._db.execute(DIFF_SEEN, {"list_id": list_id})
            self._db.execute(DIFF_GONE, {"list_id": list_id})
            return self._count_changes() - before

    def changes(self, chunk: int = 5000) -> Iterator[Change]:
        """Every change worked out this run, in order, read a chunk at a time."""
        last = 0
        while True:
            rows = self._db.execute("SELECT * FROM changes WHERE n > ? ORDER BY n LIMIT ?", (last, chunk)).fetchall()
            if not rows:
                return
            for row in rows:
                yield Change(row[0], row[1], row[2], bool(row[3]), row[4], row[5], row[6], bool(row[7]), bool(row[8]))
            last = rows[-1][0]

    def mark_pending(self, changes: list[Change]) -> None:
        """Record a batch's changes as in flight, durably, before the batch is sent."""
        with self._transaction():
            self._db.executemany(
                "INSERT OR REPLACE INTO pending VALUES (?, ?, ?, ?, ?)",
                [(c.list_id, c.address, int(c.subscribed), c.user_id, c.counter) for c in changes],
            )

    def mark_delivered(self, changes: list[Change]) -> None:
        """Segment acknowledged the batch: its changes are what Segment now holds."""
        with self._transaction():
            self._db.executemany(
                "INSERT OR REPLACE INTO delivered VALUES (?, ?, ?, ?, ?)",
                [(c.list_id, c.address, int(c.subscribed), c.user_id, c.counter) for c in changes],
            )
            self._db.executemany(
                "DELETE FROM pending WHERE list_id = ? AND address = ? AND counter = ?",
                [(c.list_id, c.address, c.counter) for c in changes],
            )

    def pending_count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM pending").fetchone()[0])

    def _count_changes(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM changes").fetchone()[0])

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    __slots__ = ("_db",)

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN")

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._db.execute("COMMIT" if kind is None else "ROLLBACK")
