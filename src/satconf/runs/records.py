"""Run records: one folder per run under `runs_dir()`, a JSON record in it.

A record is written by three parties: the launcher (at start), the detached
supervisor (pid, then exit code and end time) and `stop_run` (each signal
sent). Every change is a read-modify-write under an exclusive `flock` on the
run's `.lock` file, and every write is atomic, so a reader never sees half a
record and no writer loses another's change. Records and locks are 0600:
a record holds the command line and the environment.

A record is read as untrusted input: it must be a regular file of bounded
size, every field must have its type, and its `id` must be its folder's
name (an id such as `../../x` would lead `runs logs` out of the runs folder).
A record that fails is reported as unreadable, never skipped in silence and
never fatal to listing the others.

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

from satconf.atomic import atomic_write_bytes
from satconf.fileerrors import read_limited

RECORD = "record.json"
LOG = "train.log"
SUPERVISOR_LOG = "supervisor.log"
LOCK = ".lock"
STOP_LOCK = ".stop-lock"
FORMAT = 1
PRIVATE = 0o600  # records and logs hold commands and environments
_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")

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
        """The record in `data`; ValueError naming the first field of the wrong type."""
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            raise ValueError("not a run record (no id)")
        if not valid_run_id(data["id"]):
            raise ValueError(f"the run id {data['id'][:60]!r} is not a run folder's name")
        known = {f.name for f in fields(cls)} - {"extra", "source"}
        kwargs = {k: v for k, v in data.items() if k in known}
        for key, value in kwargs.items():
            why = _FIELD_CHECKS[key](value) if key in _FIELD_CHECKS else None
            if why is not None:
                raise ValueError(f"`{key}` must be {why}, not {_short(value)}")
        kwargs["stop_steps"] = [StopStep.from_json(s) for s in data.get("stop_steps") or []
                                if isinstance(s, dict)]
        kwargs["extra"] = {k: v for k, v in data.items() if k not in known}
        return cls(**kwargs)


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def _is_int(value: Any) -> bool:
    return type(value) is int


def _check(test: Callable[[Any], bool], what: str) -> Callable[[Any], str | None]:
    return lambda value: None if test(value) else what


_TEXT = _check(lambda v: isinstance(v, str), "text")
_OPT_TEXT = _check(lambda v: v is None or isinstance(v, str), "text or null")
_OPT_INT = _check(lambda v: v is None or _is_int(v), "a whole number or null")
_TEXTS = _check(lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
                "a list of text")
_FIELD_CHECKS: dict[str, Callable[[Any], str | None]] = {
    "id": _TEXT, "engine": _TEXT, "cwd": _TEXT, "python": _TEXT, "host": _TEXT,
    "workspace": _TEXT,
    "profile": _OPT_TEXT, "name": _OPT_TEXT, "started_at": _OPT_TEXT, "ended_at": _OPT_TEXT,
    "exit_signal": _OPT_TEXT, "error": _OPT_TEXT, "job_id": _OPT_TEXT,
    "pid": _OPT_INT, "pgid": _OPT_INT, "pid_start": _OPT_INT, "supervisor_pid": _OPT_INT,
    "supervisor_start": _OPT_INT, "exit_code": _OPT_INT,
    "format": _check(_is_int, "a whole number"),
    "values": _check(lambda v: isinstance(v, dict), "an object"),
    "env": _check(lambda v: isinstance(v, dict) and all(
        isinstance(k, str) and isinstance(x, str) for k, x in v.items()),
        "an object of text values"),
    "argv": _TEXTS, "notes": _TEXTS,
    "gpus": _check(lambda v: v is None or (isinstance(v, list) and all(_is_int(g) for g in v)),
                   "a list of GPU indices or null"),
    "stop_steps": _check(lambda v: v is None or isinstance(v, list), "a list"),
}


def valid_run_id(run_id: str) -> bool:
    """A plain folder name: no separator, not `.` or `..` (so it stays in the runs folder)."""
    return (0 < len(run_id) <= 200 and run_id not in (".", "..")
            and set(run_id) <= _ID_CHARS)


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
        data = json.loads(read_limited(path).decode("utf-8"))
    except FileNotFoundError:
        raise RunError(f"no run record at {path}") from None
    except OSError as exc:
        raise RunError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise RunError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise RunError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})") from None
    except RecursionError:
        raise RunError(f"{path}: nested too deeply") from None
    except ValueError as exc:  # not a regular file, too large, an integer too long
        raise RunError(f"{path}: {exc}") from None
    try:
        record = RunRecord.from_json(data)
    except (TypeError, ValueError) as exc:
        raise RunError(f"{path}: {exc}") from None
    if record.id != folder.name:
        raise RunError(f"{path}: the record names run {record.id!r}, not its folder "
                       f"{folder.name!r}")
    record.source = folder
    return record


def record_bytes(record: RunRecord) -> bytes:
    text = json.dumps(record.to_json(), indent=2, ensure_ascii=False, default=str) + "\n"
    # A path that is not UTF-8 (Python's surrogate escapes) is written as the JSON escape
    # `\udcxx`, which reads back as the same text.
    return text.encode("utf-8", "backslashreplace")


def write_record(folder: Path, record: RunRecord) -> None:
    """Write the record atomically (0600); RunError when it cannot be written.

    A first record that cannot be written leaves no empty run folder behind.
    """
    path = folder / RECORD
    first = not path.exists()
    try:
        atomic_write_bytes(path, record_bytes(record), mode=PRIVATE)
    except OSError as exc:
        if first:
            _remove_if_empty(folder)
        raise RunError(f"the run record {path} cannot be written ({exc.strerror})") from None


def _remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):
        for leftover in folder.iterdir():
            if leftover.name != LOCK and not (leftover.name.startswith(f".{RECORD}.")
                                              and leftover.name.endswith(".tmp")):
                return
            leftover.unlink()
        folder.rmdir()


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    try:
        fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, PRIVATE)
    except OSError as exc:
        raise RunError(f"the run folder {folder} cannot be locked ({exc.strerror})") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


@contextlib.contextmanager
def stop_lock(folder: Path) -> Iterator[bool]:
    """Held for a whole stop of the run: True for the first stopper; a second one waits
    for the first to finish and gets False (so the steps are taken, and recorded, once)."""
    try:
        fd = os.open(folder / STOP_LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, PRIVATE)
    except OSError as exc:
        raise RunError(f"the run folder {folder} cannot be locked ({exc.strerror})") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            first = True
        except BlockingIOError:
            fcntl.flock(fd, fcntl.LOCK_EX)
            first = False
        yield first
    finally:
        os.close(fd)


def last_sign_of_life(record: RunRecord) -> float | None:
    """When a run without an end time was last seen doing something (its log or record
    changed): where a lost run's elapsed time stops."""
    if record.source is None:
        return None
    times = []
    for name in (LOG, RECORD):
        with contextlib.suppress(OSError):
            times.append((record.source / name).stat().st_mtime)
    return max(times) if times else None


def update_record(folder: Path, change: Callable[[RunRecord], None]) -> RunRecord:
    """Apply `change` to the stored record under the run's lock; returns the new record."""
    with locked(folder):
        record = read_record(folder)
        before = record.to_json()
        change(record)
        if record.to_json() != before:  # a change that changes nothing needs no disk
            write_record(folder, record)
    return record


def resolve_run_id(ref: str, base: Path | None = None) -> str:
    """An exact id, `last`, or a unique prefix of one."""
    if base is None:
        from satconf.workspace import runs_dir

        base = runs_dir()
    if not valid_run_id(ref):
        raise RunError(f"{ref[:60]!r} is not a run id (see `satconf runs list`)")
    if (base / ref / RECORD).is_file():
        return ref
    ids = sorted(p.name for p in _entries(base) if (p / RECORD).is_file())
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
    """Every readable run, newest first (`scan_runs` also names the unreadable ones)."""
    if base is None:
        from satconf.workspace import runs_dir

        base = runs_dir()
    return scan_runs(base)[0]


def _entries(base: Path) -> list[Path]:
    try:
        return list(base.iterdir()) if base.is_dir() else []
    except OSError:
        return []


def scan_runs(base: Path | None = None) -> tuple[list[RunRecord], list[tuple[str, RunError]]]:
    """Every readable run (newest first), and (folder name, why) for each unreadable record.

    A folder without a record (a launch still writing it) is neither.
    """
    if base is None:
        from satconf.workspace import runs_dir

        base = runs_dir()
    out: list[RunRecord] = []
    bad: list[tuple[str, RunError]] = []
    for folder in _entries(base):
        if os.path.lexists(folder / RECORD):
            try:
                out.append(read_record(folder))
            except RunError as exc:
                bad.append((folder.name, exc))
    out.sort(key=lambda r: (r.started_at or "", r.id), reverse=True)
    bad.sort(reverse=True)
    return out, bad
