"""The queue with real processes: two satconf processes queueing at once, and kills.

GPUs are presented through SATCONF_FAKE_GPUS (the one fake); everything else is
real: the CLI in subprocesses, the detached scheduler, the supervisors, the
trainer processes and their records.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from queue_support import (
    ended_runs,
    fast_workspace,
    overlaps_per_device,
    present_gpus,
    scheduler_pid,
    wait_for,
    wait_scheduler_gone,
)
from satconf.queue.store import QueueStore
from satconf.runs.procs import process_alive
from satconf.runs.records import list_runs, log_path

pytestmark = pytest.mark.slow


def _satconf(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "satconf.cli", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _env(tmp_path: Path, run_s: float) -> dict[str, str]:
    return {**os.environ, "SATCONF_FAKE_GPUS": str(present_gpus(tmp_path / "gpus.json")),
            "SATCONF_TEST_RUN_S": str(run_s)}


def test_two_processes_queue_ten_runs_each_on_two_gpus(tmp_path: Path,
                                                      satconf_home: Path) -> None:
    ws = fast_workspace(tmp_path / "ws")
    env = _env(tmp_path, 0.2)
    seeds = "seed=" + ",".join(str(i) for i in range(10))
    procs = [_satconf("sweep", "--workspace", str(ws), "--no-probe", "--set", f"name={who}",
                      "--grid", seeds, env=env) for who in ("a", "b")]
    for p in procs:  # both at once: neither waits for the other to queue
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert "10 runs to the queue" in out

    records = ended_runs(20)
    assert len(records) == 20
    names = sorted(r.name or "" for r in records)
    assert names == sorted(f"{w}-{k}" for w in "ab" for k in range(10))
    assert all(r.exit_code == 0 for r in records), [(r.name, r.exit_code) for r in records]
    for r in records:
        (gpu,) = r.extra["queue"]["assigned"]
        assert r.gpus == [gpu] and r.env["CUDA_VISIBLE_DEVICES"] == str(gpu)
        assert f"CVD={gpu}" in log_path(r.id).read_text()  # what the process itself saw
    assert {r.extra["queue"]["assigned"][0] for r in records} == {0, 1}  # both GPUs used
    assert overlaps_per_device(records) == []  # no GPU ever ran two runs at once
    wait_scheduler_gone(satconf_home)  # it leaves once it has noted the last end
    store = QueueStore()
    assert [e.state for e in store.entries()] == ["done"] * 20
    assert {e.run_id for e in store.entries()} == {r.id for r in records}


def test_killed_scheduler_and_satconf_lose_nothing(tmp_path: Path, satconf_home: Path) -> None:
    ws = fast_workspace(tmp_path / "ws")
    env = _env(tmp_path, 1.5)
    sweep = _satconf("sweep", "--workspace", str(ws), "--no-probe", "--set", "name=k",
                     "--grid", "seed=0,1,2,3,4,5", env=env)
    _, err = sweep.communicate(timeout=120)
    assert sweep.returncode == 0, err
    wait_for(lambda: len([r for r in list_runs() if r.pid]) == 2, "two runs to start")
    pid = scheduler_pid(satconf_home)
    assert pid is not None
    # A satconf killed while it queues: its entry is in the queue whole, or not at all.
    late = _satconf("launch", "--workspace", str(ws), "--no-probe", "--queue", "--set",
                    "name=late", env=env)
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not process_alive(pid), "the scheduler to die")
    late.send_signal(signal.SIGKILL)
    late.communicate()
    running = [r for r in list_runs() if r.pid and not r.ended_at]
    assert running and all(process_alive(r.pid, r.pid_start) for r in running)  # they go on

    store = QueueStore()
    entries = store.entries()
    queued = [e for e in entries if e.state == "queued"]
    assert len(entries) in (6, 7) and len(queued) >= 4 - (len(list_runs()) - 2)
    assert all(e.spec["values"]["name"] for e in entries)  # whole entries only

    # satconf again: the queue continues where it was.
    again = subprocess.run([sys.executable, "-m", "satconf.cli", "queue", "list", "--json"],
                           env=env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["entries"]
    wait_scheduler_gone(satconf_home)
    records = ended_runs(len(entries))
    assert len(records) == len(entries)  # every entry ran, and once
    assert sorted(r.name or "" for r in records) == sorted(
        e.spec["values"]["name"] for e in entries)
    assert all(r.exit_code == 0 for r in records)
    assert overlaps_per_device(records) == []
    assert {e.state for e in QueueStore().entries()} == {"done"}


OPENER = """
import sys, time
from pathlib import Path
from satconf.queue.store import QueueStore
start = float(sys.argv[2])
while time.time() < start:  # every process opens the fresh database at the same moment
    pass
store = QueueStore(Path(sys.argv[1]))
store.close()
print("opened")
"""


def test_many_processes_opening_a_fresh_queue_at_once_all_get_it(tmp_path: Path) -> None:
    """Switching a new database to WAL is not covered by SQLite's busy wait: the processes
    that lose the race must wait and try again, not fail with "database is locked"."""
    import time

    path = tmp_path / "queue" / "queue.sqlite3"
    start = str(time.time() + 1.5)
    procs = [subprocess.Popen([sys.executable, "-c", OPENER, str(path), start], text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(8)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, [err[-500:] for _, err in outs]
    assert all(out.strip() == "opened" for out, _ in outs)
