"""Trainings that stand for a local run in tests/test_runs_status.py and test_runs_stop.py.

Real process groups (started with a new session and the default signals, as the supervisor
starts the training) and records written with the real records API; no supervisor runs, so
satconf's own status and stop code is what those tests judge (also for `make mutate`).
"""

from __future__ import annotations

import itertools
import signal
import subprocess
import time
from pathlib import Path

from satconf.runs.procs import process_start
from satconf.runs.records import (
    RunRecord,
    now_iso,
    read_record,
    run_dir,
    write_record,
)

# What each training does with the gentle signals (the shell's trap outlives its exec).
OBEYS = "echo ready; exec sleep 60"
DEAF = "trap '' INT; echo ready; exec sleep 60"  # a collective stuck on SIGINT
STUBBORN = "trap '' INT TERM; echo ready; exec sleep 60"
# Takes a moment to save after SIGINT, then exits 0 (as Lightning does).
SAVES = ["-c", "import signal, sys, time\n"
               "def save(*_): time.sleep(0.3); sys.exit(0)\n"
               "signal.signal(signal.SIGINT, save)\n"
               "print('ready', flush=True)\n"
               "while True: time.sleep(0.05)\n"]
# The leader exits when told; its worker stays in the group (and, started in the
# background by sh, ignores SIGINT).
LEAVES_A_WORKER = "sleep 60 >/dev/null & echo ready; read _"


def default_signals() -> None:
    """As the supervisor starts the training: the default SIGINT and SIGTERM, whatever this
    test process inherited (a background job ignores SIGINT, and an exec keeps that)."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])


def training(procs: list[subprocess.Popen[str]], script: str | list[str]) -> subprocess.Popen[str]:
    """A shell `script`, or this python with the arguments `script`, as a run's training."""
    import sys

    argv = ["sh", "-c", script] if isinstance(script, str) else [sys.executable, *script]
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, start_new_session=True, preexec_fn=default_signals)
    procs.append(proc)
    assert proc.stdout is not None and proc.stdout.readline() == "ready\n"  # traps are set
    STARTS[proc.pid] = process_start(proc.pid)  # as the supervisor records it
    return proc


STARTS: dict[int, int | None] = {}
_ids = itertools.count()


def recorded(proc: subprocess.Popen[str] | None = None, base: Path | None = None,
             **fields: object) -> RunRecord:
    """The record of a run of `proc` (its group's leader), as the record file holds it."""
    run_id = f"20260101-000000-{next(_ids):04x}"
    folder = run_dir(run_id, base)
    folder.mkdir(parents=True)
    if proc is not None:
        fields = {"pid": proc.pid, "pgid": proc.pid, "pid_start": STARTS[proc.pid], **fields}
    fields.setdefault("started_at", now_iso())
    write_record(folder, RunRecord(id=run_id, **fields))  # type: ignore[arg-type]
    return read_record(folder)


def ended(proc: subprocess.Popen[str]) -> None:
    proc.wait(timeout=30)


def ago(seconds: float) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(time.time() - seconds, timezone.utc).isoformat()


def steps(record: RunRecord) -> list[str]:
    return [s.signal for s in record.stop_steps]


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid
