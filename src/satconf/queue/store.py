"""The queue's state: one SQLite database (WAL mode) under SATCONF_HOME.

Why SQLite: several processes (two `satconf launch --queue`, `queue cancel`, the
scheduler) change the queue at once, and one claim must read what is held and
write the assignment as one step. `BEGIN IMMEDIATE` takes the database's write
lock before the read, so two claimers are serialised by SQLite itself and one
GPU is never given to two runs, even if two schedulers ever ran at once. WAL
lets readers (`queue list`, the runs screen) read while a claim writes; every
committed change is on disk, so a killed process or a reboot loses nothing.

Entry states: queued -> starting (claimed, devices assigned) -> running (a run
record exists) -> done; or cancelled / refused (the checks before the start
found errors) / failed (the start itself failed).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from satconf.queue.request import GpuRequest

QUEUED, STARTING, RUNNING, DONE = "queued", "starting", "running", "done"
CANCELLED, REFUSED, FAILED = "cancelled", "refused", "failed"
ACTIVE = (STARTING, RUNNING)  # entries that hold their devices
WAITING = (QUEUED,)

OPEN_WAIT_S = 30.0  # how long opening waits for another process holding the database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    state TEXT NOT NULL,
    priority INTEGER NOT NULL DEFAULT 0,
    position REAL NOT NULL,
    name TEXT,
    spec TEXT NOT NULL,
    request TEXT NOT NULL,
    assigned TEXT,
    run_id TEXT,
    claimed_by INTEGER,
    claimed_at REAL,
    queued_at REAL NOT NULL,
    started_at REAL,
    ended_at REAL,
    status TEXT,
    message TEXT,
    force INTEGER NOT NULL DEFAULT 0,
    sweep_id TEXT,
    sweep_index INTEGER
);
CREATE INDEX IF NOT EXISTS entries_state ON entries (state);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sweeps (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    engine TEXT NOT NULL,
    spec TEXT NOT NULL,
    created_at REAL NOT NULL,
    max_failures INTEGER,
    state TEXT NOT NULL,
    job_ids TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS sweep_runs (
    sweep_id TEXT NOT NULL,
    k INTEGER NOT NULL,
    params TEXT NOT NULL,
    spec TEXT NOT NULL,
    entry_id INTEGER,
    run_id TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (sweep_id, k)
);
"""


class QueueError(Exception):
    """The queue cannot be read or changed; the message says why (one line)."""


@dataclass(frozen=True)
class Entry:
    id: int
    state: str
    priority: int
    position: float
    name: str | None
    spec: dict[str, Any]
    request: GpuRequest
    assigned: list[int] | None
    run_id: str | None
    claimed_by: int | None
    claimed_at: float | None
    queued_at: float
    started_at: float | None
    ended_at: float | None
    status: str | None
    message: str | None
    force: bool
    sweep_id: str | None
    sweep_index: int | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Entry:
        return cls(
            id=row["id"], state=row["state"], priority=row["priority"],
            position=row["position"], name=row["name"], spec=json.loads(row["spec"]),
            request=GpuRequest.from_json(json.loads(row["request"])),
            assigned=json.loads(row["assigned"]) if row["assigned"] else None,
            run_id=row["run_id"], claimed_by=row["claimed_by"], claimed_at=row["claimed_at"],
            queued_at=row["queued_at"], started_at=row["started_at"],
            ended_at=row["ended_at"], status=row["status"], message=row["message"],
            force=bool(row["force"]), sweep_id=row["sweep_id"], sweep_index=row["sweep_index"])

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "state": self.state, "priority": self.priority,
                "name": self.name, "request": self.request.to_json(),
                "assigned": self.assigned, "run_id": self.run_id, "queued_at": self.queued_at,
                "started_at": self.started_at, "ended_at": self.ended_at,
                "status": self.status, "message": self.message, "sweep_id": self.sweep_id,
                "sweep_index": self.sweep_index, "profile": self.spec.get("profile")}


def queue_dir() -> Path:
    from satconf.workspace import _home

    return _home("queue")


class QueueStore:
    """The queue database; every method is one transaction."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or queue_dir() / "queue.sqlite3"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            self.db = sqlite3.connect(self.path, timeout=OPEN_WAIT_S, isolation_level=None)
            self.db.row_factory = sqlite3.Row
            self._set_up(time.monotonic() + OPEN_WAIT_S)
        except (OSError, sqlite3.Error) as exc:
            raise QueueError(f"the queue database {self.path} cannot be opened ({exc})") from None
        with contextlib.suppress(OSError):
            os.chmod(self.path, 0o600)  # it holds the runs' settings and commands

    def _set_up(self, deadline: float) -> None:
        # Switching a new database to WAL takes an exclusive lock that SQLite's busy wait does
        # not cover: two processes opening a fresh queue at once see "database is locked" at
        # once. Each step is idempotent, so the loser tries again until the deadline.
        while True:
            try:
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=FULL")  # a queued run survives a power cut
                self.db.executescript(_SCHEMA)
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def close(self) -> None:
        self.db.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE: the write lock before any read, so read-then-write is atomic."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise QueueError(f"the queue is locked or broken ({exc})") from None
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")

    # -- entries ---------------------------------------------------------------------------

    def enqueue(self, spec: dict[str, Any], request: GpuRequest, *, name: str | None,
                priority: int = 0, force: bool = False, sweep_id: str | None = None,
                sweep_index: int | None = None) -> int:
        with self.transaction() as db:
            last = db.execute("SELECT MAX(position) FROM entries").fetchone()[0]
            cur = db.execute(
                "INSERT INTO entries (state, priority, position, name, spec, request, queued_at,"
                " force, sweep_id, sweep_index) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (QUEUED, priority, (last or 0) + 1, name, json.dumps(spec),
                 json.dumps(request.to_json()), time.time(), int(force), sweep_id, sweep_index))
            return int(cur.lastrowid or 0)

    def entries(self, states: tuple[str, ...] | None = None) -> list[Entry]:
        """Entries in queue order (priority, then position) within each state."""
        sql = "SELECT * FROM entries"
        args: tuple[Any, ...] = ()
        if states:
            sql += f" WHERE state IN ({','.join('?' * len(states))})"
            args = states
        rows = self.db.execute(sql + " ORDER BY priority DESC, position, id", args).fetchall()
        return [Entry.from_row(r) for r in rows]

    def get(self, entry_id: int) -> Entry:
        row = self.db.execute("SELECT * FROM entries WHERE id = ?", (entry_id,)).fetchone()
        if row is None:
            raise QueueError(f"no queue entry {entry_id} (see `satconf queue list`)")
        return Entry.from_row(row)

    def claim(self, choose: Callable[[list[Entry], list[Entry]], list[tuple[int, list[int]]]],
              owner: int) -> list[tuple[Entry, list[int]]]:
        """One atomic claim: `choose(queued, active)` picks (entry id, devices) pairs from
        the state read inside the transaction; those become `starting`."""
        now = time.time()
        with self.transaction() as db:
            queued = [Entry.from_row(r) for r in db.execute(
                "SELECT * FROM entries WHERE state = ? ORDER BY priority DESC, position, id",
                (QUEUED,)).fetchall()]
            active = [Entry.from_row(r) for r in db.execute(
                f"SELECT * FROM entries WHERE state IN ({','.join('?' * len(ACTIVE))})",
                ACTIVE).fetchall()]
            picks = choose(queued, active)
            by_id = {e.id: e for e in queued}
            out = []
            for entry_id, devices in picks:
                db.execute("UPDATE entries SET state=?, assigned=?, claimed_by=?, claimed_at=?"
                           " WHERE id=? AND state=?",
                           (STARTING, json.dumps(devices), owner, now, entry_id, QUEUED))
                out.append((by_id[entry_id], devices))
            return out

    def set_state(self, entry_id: int, state: str, *, only_from: tuple[str, ...] = (),
                  **fields: Any) -> bool:
        """Move an entry to `state` (only from `only_from` states, when given)."""
        cols = {"state": state, **fields}
        sets = ", ".join(f"{k}=?" for k in cols)
        sql = f"UPDATE entries SET {sets} WHERE id=?"
        args: list[Any] = [*cols.values(), entry_id]
        if only_from:
            sql += f" AND state IN ({','.join('?' * len(only_from))})"
            args += list(only_from)
        with self.transaction() as db:
            return db.execute(sql, args).rowcount == 1

    def cancel(self, entry_id: int) -> Entry:
        """Take a waiting entry off the queue (a running one is stopped with `runs stop`)."""
        entry = self.get(entry_id)
        if entry.state != QUEUED:
            hint = (f"; stop its run with `satconf runs stop {entry.run_id}`"
                    if entry.run_id else "")
            raise QueueError(f"queue entry {entry_id} is {entry.state}, not queued{hint}")
        if not self.set_state(entry_id, CANCELLED, only_from=(QUEUED,), ended_at=time.time()):
            raise QueueError(f"queue entry {entry_id} started meanwhile")
        return self.get(entry_id)

    def move(self, entry_id: int, to: int) -> list[Entry]:
        """Put a queued entry at position `to` (1 = next to start); returns the new order.

        It takes the priority of the entries around its new place, so it stays there."""
        with self.transaction() as db:
            order = [Entry.from_row(r) for r in db.execute(
                "SELECT * FROM entries WHERE state=? ORDER BY priority DESC, position, id",
                (QUEUED,)).fetchall()]
            moving = next((e for e in order if e.id == entry_id), None)
            if moving is None:
                raise QueueError(f"queue entry {entry_id} is not waiting in the queue")
            order.remove(moving)
            at = max(0, min(to - 1, len(order)))
            neighbour = order[at] if at < len(order) else (order[-1] if order else moving)
            order.insert(at, moving)
            for pos, e in enumerate(order, start=1):
                prio = neighbour.priority if e.id == entry_id else e.priority
                db.execute("UPDATE entries SET position=?, priority=? WHERE id=?",
                           (float(pos), prio, e.id))
        return self.entries((QUEUED,))

    def positions(self) -> dict[int, int]:
        """Queue entry id -> its place among the waiting ones (1 = next)."""
        return {e.id: i for i, e in enumerate(self.entries((QUEUED,)), start=1)}

    # -- settings --------------------------------------------------------------------------

    def setting(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM settings WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def set_setting(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key)"
                       " DO UPDATE SET value=excluded.value", (key, value))

    @property
    def paused(self) -> bool:
        return self.setting("paused") == "1"

    def slots(self) -> int:
        text = self.setting("cpu_slots", "1") or "1"
        return int(text) if text.isdigit() else 1
