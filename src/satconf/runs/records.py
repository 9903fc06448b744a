"""Run records: one folder per run under `runs_dir()`, a JSON record in it.

A record is written by three parties: the launcher (at start), the detached
supervisor (pid, then exit code and end time) and `stop_run` (each signal
sent). Every change is a read-modify-write under an exclusive `flock` on the
run's `.lock` file, and every write is atomic, so a reader never sees half a
record and no writer loses another's change.

This module imports only the standard library: the supervisor imports it and
must start fast.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from satconf.atomic import atomic_write_text

RECORD = "record.json"
LOG = "train.log"
SUPERVISOR_LOG = "supervisor.log"
LOCK = ".lock"
FORMAT = 1

# Never written to a record: anything that looks like a credential.
SECRET_MARKERS = ("KEY", "TOKEN", "SECRET", "PASSWORD")


class RunError(Exception):
    """A run that cannot be found, read, started or stopped; the message says why."""


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def parse_iso(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def is_secret(name: str) -> bool:
    upper = name.upper()
    return any(marker in upper for marker in SECRET_MARKERS)


def public_env(env: dict[str, str]) -> dict[str, str]:
    """The environment additions fit for a record: secrets left out by name."""
    return {k: v for k, v in env.items() if not is_secret(k)}


@dataclass
class StopStep:
    signal: str  # SIGINT, SIGTERM, SIGKILL (or an engine's own word, e.g. scancel)
    at: str  # ISO time the step was taken
    result: str = "sent"  # sent | gone (the process had already ended) | error text

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StopStep:
        return cls(signal=str(data.get("signal", "?")), at=str(data.get("at", "")),
                   result=str(data.get("result", "sent")))


@dataclass
class RunRecord:
    """Everything known about one run. Unknown JSON keys survive in `extra`."""

    id: str
    engine: str = "local"  # local | torchrun | slurm ...: picks the status and stop functions
    profile: str | None = None
    name: str | None = None  # the run name (`name` value), for lists
    values: dict[str, Any] = field(default_factory=dict)  # full snapshot, by INI key
    argv: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)  # what satconf set, secrets removed
    cwd: str = ""
    python: str = ""
    gpus: list[int] | None = None
    host: str = ""
    workspace: str = ""
    started_at: str | None = None
    ended_at: str | None = None
    pid: int | None = None  # the training process (its process group leader)
    pgid: int | None = None
    pid_start: int | None = None  # kernel start time of `pid`, to tell a reused pid apart
    supervisor_pid: int | None = None
    supervisor_start: int | None = None
    exit_code: int | None = None  # negative: killed by that signal (Popen's convention)
    exit_signal: str | None = None
    stop_steps: list[StopStep] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. which checkpoint recover chose
    error: str | None = None  # why the training process could not be started
    job_id: str | None = None  # for engines that hand the run to a scheduler
    extra: dict[str, Any] = field(default_factory=dict)
    format: int = FORMAT
    # The folder this record was read from (never stored): lets a status check read
    # the record again after finding the processes gone, since the supervisor writes
    # the exit code just before it exits.
    source: Path | None = field(default=None, compare=False, repr=False)

    @property
    def stop_requested(self) -> bool:
        return bool(self.stop_steps)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        extra = data.pop("extra")
        data.pop("source")
        return {**extra, **data}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunRecord:
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            raise ValueError("not a run record (no id)")
        known = {f.name for f in fields(cls)} - {"extra", "source"}
        kwargs = {k: v for k, v in data.items() if k in known}
        kwargs["stop_steps"] = [StopStep.from_json(s) for s in data.get("stop_steps") or []
                                if isinstance(s, dict)]
        kwargs["extra"] = {k: v for k, v in data.items() if k not in known}
        return cls(**kwargs)


def new_run_id() -> str:
    """Sortable by start time, unique without coordination."""
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + secrets.token_hex(2)


def run_dir(run_id: str, base: Path | None = None) -> Path:
    if base is None:
        from satconf.workspace import runs_dir

        base = runs_dir()
    return base / run_id


def log_path(run_id: str, base: Path | None = None) -> Path:
    """Where the run's stdout and stderr go."""
    return run_dir(run_id, base) / LOG


def read_record(folder: Path) -> RunRecord:
    path = folder / RECORD
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunError(f"no run record at {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RunError(f"cannot read {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise RunError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})") from None
    try:
        record = RunRecord.from_json(data)
    except (TypeError, ValueError) as exc:
        raise RunError(f"{path}: {exc}") from None
    record.source = folder
    return record


def write_record(folder: Path, record: RunRecord) -> None:
    text = json.dumps(record.to_json(), indent=2, ensure_ascii=False, default=str)
    atomic_write_text(folder / RECORD, text + "\n")


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def update_record(folder: Path, change: Callable[[RunRecord], None]) -> RunRecord:
    """Apply `change` to the stored record under the run's lock; returns the new record."""
    with locked(folder):
        record = read_record(folder)
        change(record)
        write_record(folder, record)
    return record


def resolve_run_id(ref: str, base: Path | None = None) -> str:
    """An exact id, `last`, or a unique prefix of one."""
    if base is None:
        from satconf.workspace import runs_dir

        base = runs_dir()
    if (base / ref / RECORD).is_file():
        return ref
    ids = sorted(p.name for p in base.iterdir() if (p / RECORD).is_file()) if base.is_dir() else []
    if ref in ("last", "latest"):
        if not ids:
            raise RunError("there are no runs yet")
        return ids[-1]
    matches = [i for i in ids if i.startswith(ref)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise RunError(f"no run {ref!r} (see `satconf runs list`)")
    raise RunError(f"{ref!r} matches {len(matches)} runs: {', '.join(matches[:5])}")


def load_run(run_id: str, base: Path | None = None) -> RunRecord:
    """The record of one run (exact id, `last`, or a unique prefix); raises RunError."""
    if base is None:
        from satconf.workspace import runs_dir

        base = runs_dir()
    return read_record(base / resolve_run_id(run_id, base))


def list_runs(base: Path | None = None) -> list[RunRecord]:
    """Every readable run, newest first. An unreadable record is skipped, never deleted."""
    if base is None:
        from satconf.workspace import runs_dir

        base = runs_dir()
    if not base.is_dir():
        return []
    out: list[RunRecord] = []
    for folder in base.iterdir():
        if (folder / RECORD).is_file():
            with contextlib.suppress(RunError):
                out.append(read_record(folder))
    out.sort(key=lambda r: (r.started_at or "", r.id), reverse=True)
    return out
