"""Issue 14 on runs: a dead launcher, tampered records, pid reuse, rotation, modes
(items 2, 4, 9, 11, 13, 16, 17, 18, 19), with real supervisors, processes and signals."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from satconf.command import LaunchPlan
from satconf.runs import list_runs, load_run, log_path, run_status, start_plan, stop_run
from satconf.runs.logs import follow_chunks
from satconf.runs.records import RECORD, RunRecord, new_run_id, now_iso, write_record

from conftest import WAIT_S, wait_for

SLEEPER = "import time\nprint('ready', flush=True)\nwhile True:\n    time.sleep(0.05)\n"


@pytest.fixture(autouse=True)
def no_leftover_runs(satconf_home: Path) -> Iterator[None]:
    yield
    for record in list_runs():
        if run_status(record) == "running":
            stop_run(record.id, grace=(0.3, 0.3))


def _start(tmp_path: Path, code: str) -> RunRecord:
    return start_plan(LaunchPlan(argv=(sys.executable, "-c", code), cwd=str(tmp_path)))


def _ended(run_id: str) -> Callable[[], bool]:
    return lambda: run_status(load_run(run_id)) != "running"


# ---------------------------------------------------------------- item 2


def test_supervisor_outlives_a_launcher_that_stopped_listening(satconf_home: Path,
                                                               tmp_path: Path) -> None:
    """The report pipe's reader is gone before the supervisor writes to it (a SIGKILLed
    launcher): the supervisor records the pid anyway, and the exit code at the end."""
    folder = satconf_home / "runs" / new_run_id()
    folder.mkdir(parents=True)
    write_record(folder, RunRecord(id=folder.name, started_at=now_iso()))
    (folder / "train.log").touch()
    flag = tmp_path / "go"
    code = (f"import os, time\nwhile not os.path.exists({str(flag)!r}):\n    time.sleep(0.02)\n"
            "raise SystemExit(4)\n")
    read_fd, write_fd = os.pipe()
    os.close(read_fd)  # nobody listens
    with open(folder / "supervisor.log", "ab") as slog:
        first = subprocess.Popen(
            [sys.executable, "-m", "satconf.runs.supervisor", str(folder), str(write_fd),
             str(tmp_path), "--", sys.executable, "-c", code],
            pass_fds=(write_fd,), stdout=slog, stderr=subprocess.STDOUT, start_new_session=True)
    os.close(write_fd)
    first.wait()
    wait_for(lambda: load_run(folder.name).pid is not None, "the pid in the record")
    record = load_run(folder.name)
    assert run_status(record) == "running"
    flag.touch()
    wait_for(lambda: load_run(folder.name).exit_code is not None, "the exit code")
    record = load_run(folder.name)
    assert record.exit_code == 4 and run_status(record) == "failed"
    assert "Traceback" not in (folder / "supervisor.log").read_text()


# ---------------------------------------------------------------- item 4


def _follow(path: Path) -> tuple[threading.Event, list[bytes], threading.Thread]:
    stop = threading.Event()
    got: list[bytes] = []

    def run() -> None:
        got.extend(follow_chunks(path, stop, poll=0.01))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return stop, got, thread


def _seen(got: list[bytes], text: bytes) -> Callable[[], bool]:
    return lambda: text in b"".join(got)


@pytest.mark.parametrize("rotation", ["rename", "delete", "truncate"])
def test_follow_goes_by_name_across_rotation(tmp_path: Path, rotation: str) -> None:
    """`tail -F`: the old file is finished once, the new one read from its start, nothing
    twice (it used to print the old file again and again)."""
    log = tmp_path / "train.log"
    log.write_bytes(b"old 1\nold 2\n")
    stop, got, thread = _follow(log)
    wait_for(_seen(got, b"old 2\n"), "the old lines")
    if rotation == "rename":
        log.rename(tmp_path / "train.log.1")
        log.write_bytes(b"")
    elif rotation == "delete":
        log.unlink()
        log.write_bytes(b"")
    else:
        log.write_bytes(b"")  # `: > train.log`, in place
    with open(log, "ab") as f:
        f.write(b"new 1\n")
    wait_for(_seen(got, b"new 1\n"), "the new line")
    with open(log, "ab") as f:
        f.write(b"new 2\n")
    wait_for(_seen(got, b"new 2\n"), "the second new line")
    stop.set()
    thread.join(10)
    assert b"".join(got) == b"old 1\nold 2\nnew 1\nnew 2\n"


def test_cli_follow_across_rotation_prints_each_line_once(tmp_path: Path, run_satconf) -> None:
    flag = tmp_path / "done"
    record = _start(tmp_path, "import os, time\nprint('first', flush=True)\n"
                              f"while not os.path.exists({str(flag)!r}):\n    time.sleep(0.02)\n")
    log = log_path(record.id)
    wait_for(lambda: b"first" in log.read_bytes(), "the first line")
    proc = subprocess.Popen([sys.executable, "-m", "satconf.cli", "runs", "logs", record.id,
                             "--follow"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    assert proc.stdout.readline() == b"first\n"
    log.rename(log.with_name("train.log.1"))
    log.write_bytes(b"rotated\n")
    assert proc.stdout.readline() == b"rotated\n"
    flag.touch()
    out, err = proc.communicate(timeout=WAIT_S)
    assert proc.returncode == 0, err
    assert out == b""  # nothing more: the old file is not printed again


# ---------------------------------------------------------------- item 9 and 17


TAMPERED = {
    "pid-text": {"pid": "123"},
    "started-number": {"started_at": 5},
    "argv-number": {"argv": 5},
    "env-list": {"env": [1]},
}


def _good_record(run_id: str) -> dict:
    return RunRecord(id=run_id, started_at=now_iso(), exit_code=0,
                     ended_at=now_iso()).to_json()


def test_tampered_records_are_listed_as_unreadable(satconf_home: Path, run_satconf) -> None:
    runs = satconf_home / "runs"
    ids = []
    for i, (label, change) in enumerate(sorted(TAMPERED.items())):
        run_id = f"20260101-00000{i}-{label}"
        (runs / run_id).mkdir(parents=True)
        (runs / run_id / RECORD).write_text(json.dumps({**_good_record(run_id), **change}))
        ids.append(run_id)
    (runs / "20260101-000009-cut").mkdir()
    (runs / "20260101-000009-cut" / RECORD).write_text('{"id": "20260101-000009-cut", "pi')
    ids.append("20260101-000009-cut")
    good = "20260102-000000-good"
    (runs / good).mkdir()
    (runs / good / RECORD).write_text(json.dumps(_good_record(good)))
    out = run_satconf("runs", "list")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    rows = {line.split()[0]: line.split()[1] for line in out.stdout.splitlines()[1:]}
    assert rows == {good: "succeeded", **{i: "unreadable" for i in ids}}
    assert out.stderr.count("unreadable run record") == len(ids)
    listed = json.loads(run_satconf("runs", "list", "--json").stdout)
    assert sorted((r["id"], r["status"]) for r in listed) == sorted(
        [(good, "succeeded"), *((i, "unreadable") for i in ids)])
    shown = run_satconf("runs", "show", ids[0])
    assert shown.returncode == 1 and "`argv` must be a list of text" in shown.stderr
    assert len(shown.stderr.strip().splitlines()) == 1


def test_a_record_id_cannot_lead_out_of_the_runs_folder(satconf_home: Path, tmp_path: Path,
                                                        run_satconf) -> None:
    outside = satconf_home / "outside-dir"
    outside.mkdir()
    (outside / "train.log").write_text("a file outside the runs folder\n")
    folder = satconf_home / "runs" / "20260101-000000-abcd"
    folder.mkdir(parents=True)
    (folder / RECORD).write_text(json.dumps({**_good_record("x"), "id": "../../outside-dir"}))
    for ref in ("20260101-000000-abcd", "../outside-dir", "last"):
        out = run_satconf("runs", "logs", ref)
        assert "outside the runs folder" not in out.stdout
        assert out.returncode == 1 and "Traceback" not in out.stderr


# ---------------------------------------------------------------- item 11


def test_a_workspace_path_that_is_not_utf8(tmp_path: Path, run_satconf) -> None:
    odd = Path(os.fsdecode(bytes(tmp_path) + b"/ws-\xff"))
    odd.mkdir()
    record = _start(odd, "import os; print(os.getcwd())")
    wait_for(_ended(record.id), "the run to end")
    record = load_run(record.id)
    assert record.cwd == str(odd) and record.exit_code == 0
    shown = run_satconf("runs", "show", record.id)
    assert shown.returncode == 0 and "Traceback" not in shown.stderr
    assert "ws-" in shown.stdout


# ---------------------------------------------------------------- item 13


def test_runs_logs_streams_a_huge_log_in_constant_memory(tmp_path: Path) -> None:
    record = _start(tmp_path, "print('x')")
    wait_for(_ended(record.id), "the run to end")
    with open(log_path(record.id), "ab") as f:  # sparse: 600 MB that cost no disk
        f.truncate(600 * 1024 * 1024)
    probe = ("import resource, subprocess, sys\n"
             "subprocess.run([sys.executable, '-m', 'satconf.cli', 'runs', 'logs', sys.argv[1]],"
             " stdout=subprocess.DEVNULL, check=True)\n"
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")
    out = subprocess.run([sys.executable, "-c", probe, record.id], capture_output=True,
                         text=True, timeout=WAIT_S, check=True)
    assert int(out.stdout) < 200 * 1024  # KiB: the whole log would be 600 MB and more


# ---------------------------------------------------------------- item 16


@pytest.mark.parametrize("tamper", ["wrong-start", "no-start"])
def test_stop_never_signals_a_reused_pid(satconf_home: Path, run_satconf, tamper: str) -> None:
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"],
                                 start_new_session=True)
    try:
        folder = satconf_home / "runs" / "20260101-000000-reus"
        folder.mkdir(parents=True)
        from satconf.runs.procs import process_start

        start = process_start(bystander.pid)
        write_record(folder, RunRecord(
            id=folder.name, started_at=now_iso(), pid=bystander.pid, pgid=bystander.pid,
            pid_start=None if tamper == "no-start" else (start or 0) + 12345))
        out = run_satconf("runs", "stop", folder.name, "--grace", "0.2")
        assert "Traceback" not in out.stderr
        if tamper == "no-start":  # the pid is alive, and nothing tells it from the run's
            assert out.returncode == 1 and "nothing was signalled" in out.stderr
        else:  # the start time says it is another process: the run is gone
            assert out.returncode == 0 and "is not running (lost)" in out.stdout
        assert bystander.poll() is None  # alive: never signalled
        assert load_run(folder.name).stop_steps == []
    finally:
        bystander.kill()
        bystander.wait()


# ---------------------------------------------------------------- item 18


def test_records_and_logs_are_private(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        record = _start(tmp_path, "print('hello')")
    finally:
        os.umask(old)
    wait_for(_ended(record.id), "the run to end")
    folder = log_path(record.id).parent
    for name in ("record.json", "train.log", "supervisor.log", ".lock"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600, name


# ---------------------------------------------------------------- item 19

SLOW_TO_STOP = """
import signal, sys, time
def later(*_):
    time.sleep(1.0)
    sys.exit(0)
signal.signal(signal.SIGINT, later)
print('ready', flush=True)
while True:
    time.sleep(0.05)
"""


def test_two_stops_at_once_record_each_step_once(tmp_path: Path) -> None:
    record = _start(tmp_path, SLOW_TO_STOP)
    wait_for(lambda: b"ready" in log_path(record.id).read_bytes(), "the training to start")
    stoppers = [subprocess.Popen([sys.executable, "-m", "satconf.cli", "runs", "stop",
                                  record.id, "--grace", "20"], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for proc in stoppers:
        _, err = proc.communicate(timeout=WAIT_S)
        assert proc.returncode == 0, err
    final = load_run(record.id)
    assert [s.signal for s in final.stop_steps] == ["SIGINT"]
    assert run_status(final) == "stopped" and final.exit_code == 0


def test_a_lost_runs_clock_stops_at_its_last_sign_of_life(satconf_home: Path,
                                                          run_satconf) -> None:
    folder = satconf_home / "runs" / "20260101-000000-lost"
    folder.mkdir(parents=True)
    started = time.time() - 3600
    from datetime import datetime, timezone

    iso = datetime.fromtimestamp(started, timezone.utc).isoformat(timespec="milliseconds")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    write_record(folder, RunRecord(id=folder.name, started_at=iso, pid=dead.pid, pgid=dead.pid,
                                   pid_start=1, supervisor_pid=dead.pid, supervisor_start=1))
    (folder / "train.log").write_text("last words\n")
    for name in ("train.log", RECORD):
        os.utime(folder / name, (started + 75, started + 75))
    out = run_satconf("runs", "list")
    [row] = out.stdout.splitlines()[1:]
    assert row.split()[1] == "lost" and "0:01:15" in row
