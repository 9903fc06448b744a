"""Helpers for the queue and sweep tests: a fast trainer workspace, presented GPUs, waits."""

from __future__ import annotations

import fcntl
import itertools
import json
import os
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from satconf.runs.records import RunRecord, list_runs

from checks_support import good_workspace

# A trainer that says which GPUs it sees, then works for a moment.
FAST_TRAIN = """\
import os, sys, time
print("CVD=" + os.environ.get("CUDA_VISIBLE_DEVICES", "<unset>"), flush=True)
time.sleep(float(os.environ.get("SATCONF_TEST_RUN_S", "0.3")))
"""
GUARD_S = 240.0  # a guard against a hang, not a speed check


def fast_workspace(root: Path, train_py: str = FAST_TRAIN) -> Path:
    ws = good_workspace(root)
    (ws / "train.py").write_text(train_py, encoding="utf-8")
    return ws


def present_gpus(path: Path, count: int = 2, **extra: object) -> Path:
    path.write_text(json.dumps([{"name": f"GPU{i}", "memory_total": 40000, **extra}
                                for i in range(count)]), encoding="utf-8")
    return path


def wait_for(cond: Callable[[], bool], what: str, timeout: float = GUARD_S) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def scheduler_pid(home: Path) -> int | None:
    """The pid the scheduler wrote into its lock file, while it holds the lock."""
    lock = home / "queue" / "scheduler.lock"
    try:
        fd = os.open(lock, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            return None  # nobody holds it
        except BlockingIOError:
            text = os.pread(fd, 32, 0).decode().strip()
            return int(text) if text.isdigit() else None
    finally:
        os.close(fd)


def wait_scheduler_gone(home: Path, timeout: float = GUARD_S) -> None:
    """Block on the scheduler's lock: it is released when the scheduler exits (an event)."""
    lock = home / "queue" / "scheduler.lock"
    fd = os.open(lock, os.O_RDONLY)
    try:
        import signal

        def give_up(*_: object) -> None:
            raise AssertionError("the scheduler did not exit")
        old = signal.signal(signal.SIGALRM, give_up)
        signal.alarm(int(timeout))
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, old)
    finally:
        os.close(fd)


def ended_runs(count: int) -> list[RunRecord]:
    """Wait until `count` runs have their end recorded; returns every run."""
    wait_for(lambda: sum(1 for r in list_runs() if r.ended_at) >= count,
             f"{count} runs to end")
    return list_runs()


def overlaps_per_device(records: list[RunRecord]) -> list[tuple[str, str]]:
    """Pairs of runs that held one device at the same time (from the records' times)."""
    by_device: dict[str, list[tuple[datetime, datetime, str]]] = {}
    for r in records:
        queue = r.extra["queue"]
        kind = "slot" if queue["request"]["cpu"] else "gpu"
        for dev in queue["assigned"]:
            by_device.setdefault(f"{kind}{dev}", []).append(
                (datetime.fromisoformat(r.started_at or ""),
                 datetime.fromisoformat(r.ended_at or ""), r.id))
    bad = []
    for spans in by_device.values():
        spans.sort()
        for (_, end, a), (start, _, b) in itertools.pairwise(spans):
            if start < end:
                bad.append((a, b))
    return bad
