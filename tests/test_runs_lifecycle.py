"""Runs through the real CLI: detached launch, records, failure, SIGKILLed satconf, stop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from satconf.runs import list_runs, load_run, log_path, run_status, stop_run

from conftest import SEED_INI, WAIT_S, make_workspace, wait_for

ARGV_TRAIN = """\
import json, os, sys
print("argv", json.dumps(sys.argv[1:]))
print("cvd", os.environ.get("CUDA_VISIBLE_DEVICES"))
print("secret", os.environ.get("DEMO_API_KEY"))
"""

FAILING_TRAIN = """\
import sys
for i in range(30):
    print(f"line {i}")
print("boom: the model config is broken", file=sys.stderr)
sys.exit(3)
"""

# Waits until stopped; SIGINT is answered the way Lightning does: clean up, then exit.
SLEEPY_TRAIN = """\
import sys, time
print("ready", flush=True)
try:
    while True:
        time.sleep(0.05)
except KeyboardInterrupt:
    print("interrupted; saving", flush=True)
    sys.exit(next((int(a[7:]) for a in sys.argv if a.startswith("--seed=")), 0))
"""

STUBBORN_TRAIN = """\
import signal, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("ready", flush=True)
while True:
    time.sleep(0.05)
"""


def log_has(run_id: str, text: str) -> Callable[[], bool]:
    return lambda: text in log_path(run_id).read_text(errors="replace")


def ended(run_id: str) -> Callable[[], bool]:
    return lambda: run_status(load_run(run_id)) != "running"


@pytest.fixture(autouse=True)
def no_leftover_runs(satconf_home: Path) -> Iterator[None]:
    yield
    for record in list_runs():
        if run_status(record) == "running":
            stop_run(record.id, grace=(0.5, 0.5))


def workspace(tmp_path: Path, train_py: str, ini: str | None = None) -> Path:
    """A workspace the checks let launch (valid model and dataset configs) running `train_py`;
    with `ini`, exactly that defaults.ini."""
    if ini is not None:
        return make_workspace(tmp_path / "ws", ini, train_py)
    from tui_support import launchable

    return launchable(tmp_path / "ws", train_py)


def test_detached_launch_records_everything_and_succeeds(tmp_path: Path, run_satconf) -> None:
    ws = workspace(tmp_path, ARGV_TRAIN)
    out = run_satconf("launch", "--workspace", str(ws), "--set", "batch_size=8", "--gpus", "1",
                      "--json", env={"DEMO_API_KEY": "hush"})
    assert out.returncode == 0, out.stderr
    started = json.loads(out.stdout)
    run_id = started["run_id"]
    assert Path(started["log"]) == log_path(run_id)
    wait_for(ended(run_id), "the run to end")
    record = load_run(run_id)
    assert run_status(record) == "succeeded" and record.exit_code == 0
    assert record.values["batch_size"] == 8 and record.values["name"] == "stable_audio_tools"
    assert record.argv[1:] == ["train.py", "--name=stable_audio_tools", "--batch-size=8"]
    assert record.cwd == str(ws) and record.gpus == [1]
    assert record.env == {"PYTHONUNBUFFERED": "1", "CUDA_VISIBLE_DEVICES": "1"}
    assert record.pid and record.pgid == record.pid and record.host
    assert record.started_at and record.ended_at and record.started_at <= record.ended_at
    log = log_path(run_id).read_text()
    assert 'argv ["--name=stable_audio_tools", "--batch-size=8"]' in log
    assert "cvd 1" in log
    assert "secret hush" in log  # the process gets the caller's environment...
    assert "hush" not in (log_path(run_id).parent / "record.json").read_text()  # ...not the record


def test_secret_named_variables_never_reach_the_record(tmp_path: Path) -> None:
    from satconf.command import LaunchPlan
    from satconf.runs import start_plan

    plan = LaunchPlan(argv=(sys.executable, "-c", "import os; print(os.environ['WANDB_API_KEY'])"),
                      env={"WANDB_API_KEY": "s3cr3t", "HF_TOKEN": "t0k", "DB_PASSWORD": "pw",
                           "MY_SECRET_X": "x", "KEEP_ME": "1",
                           # names are matched in any case: env vars are case-sensitive
                           "wandb_api_key": "low", "Hf_Token": "mixed"}, cwd=str(tmp_path))
    record = start_plan(plan)
    wait_for(ended(record.id), "the run to end")
    assert load_run(record.id).env == {"KEEP_ME": "1"}
    assert log_path(record.id).read_text().strip() == "s3cr3t"
    saved = (log_path(record.id).parent / "record.json").read_text()
    assert not [v for v in ("s3cr3t", "t0k", "low", "mixed") if f'"{v}"' in saved]


def test_failing_train_py_gives_failed_with_its_code_and_log_tail(tmp_path: Path,
                                                                  run_satconf) -> None:
    ws = workspace(tmp_path, FAILING_TRAIN)
    out = run_satconf("launch", "--workspace", str(ws))
    assert out.returncode == 0, out.stderr
    run_id = out.stdout.split()[1]
    wait_for(ended(run_id), "the run to end")
    shown = run_satconf("runs", "show", run_id, "--json")
    data = json.loads(shown.stdout)
    assert data["status"] == "failed" and data["exit_code"] == 3
    assert data["log_tail"][-1] == "boom: the model config is broken"
    assert data["log_tail"][-2] == "line 29" and len(data["log_tail"]) == 20
    text = run_satconf("runs", "show", run_id[:12]).stdout  # a unique prefix is enough
    assert "failed (exit code 3)" in text and "boom: the model config is broken" in text
    listed = json.loads(run_satconf("runs", "list", "--json").stdout)
    assert [(r["id"], r["status"]) for r in listed] == [(run_id, "failed")]


def test_foreground_returns_the_training_exit_code(tmp_path: Path, run_satconf) -> None:
    ws = workspace(tmp_path, FAILING_TRAIN)
    out = run_satconf("launch", "--workspace", str(ws), "--foreground")
    assert out.returncode == 3
    assert "line 0\n" in out.stdout and "boom" in out.stdout  # the log, streamed
    assert "failed (exit code 3)" in out.stderr


def test_launch_refuses_a_config_with_errors(tmp_path: Path, run_satconf) -> None:
    ini = SEED_INI.read_text().replace("batch_size = 4", "batch_size = 0")
    ws = workspace(tmp_path, ARGV_TRAIN, ini)
    out = run_satconf("launch", "--workspace", str(ws))
    assert out.returncode == 1
    assert "batch_size" in out.stderr and "nothing was launched" in out.stderr
    assert list_runs() == []


def test_missing_python_is_reported_and_recorded(tmp_path: Path) -> None:
    from satconf.command import LaunchPlan
    from satconf.runs import RunError, start_plan

    with pytest.raises(RunError, match="cannot start /nonexistent/python"):
        start_plan(LaunchPlan(argv=("/nonexistent/python", "train.py"), cwd=str(tmp_path)))
    [record] = list_runs()
    assert run_status(record) == "failed" and record.exit_code == 127
    assert "No such file" in (record.error or "")


def _start_foreground(ws: Path, *extra: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "satconf.cli", "launch", "--workspace", str(ws), "--foreground",
         *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:  # notes or warnings may come first
        seen.append(line)
        if line.startswith("run ") and " started (pid " in line:
            return proc, line.split()[1]  # "run ID started (pid N); log PATH"
    raise AssertionError("no run started:\n" + "".join(seen))


def test_run_outlives_a_killed_satconf_and_stops_cleanly(tmp_path: Path, run_satconf) -> None:
    ws = workspace(tmp_path, SLEEPY_TRAIN)
    proc, run_id = _start_foreground(ws)
    wait_for(log_has(run_id, "ready"), "the training to start")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    record = load_run(run_id)
    assert run_status(record) == "running"
    assert os.getpgid(record.pid) == record.pgid  # its own process group, still there
    out = run_satconf("runs", "stop", run_id)
    assert out.returncode == 0, out.stderr
    assert f"run {run_id}: stopped (exit code 0)" in out.stdout
    record = load_run(run_id)
    assert run_status(record) == "stopped" and record.exit_code == 0
    assert [(s.signal, s.result) for s in record.stop_steps] == [("SIGINT", "sent")]
    assert "interrupted; saving" in log_path(run_id).read_text()
    again = run_satconf("runs", "stop", run_id)
    assert again.returncode == 0 and "is not running (stopped)" in again.stdout


def test_ctrl_c_in_foreground_is_forwarded_as_sigint(tmp_path: Path) -> None:
    ws = workspace(tmp_path, SLEEPY_TRAIN)
    proc, run_id = _start_foreground(ws, "--set", "seed=5")  # the script exits 5 on SIGINT
    wait_for(log_has(run_id, "ready"), "the training to start")
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=WAIT_S)
    assert proc.returncode == 5, stderr
    assert "interrupted; saving" in stdout
    record = load_run(run_id)
    assert run_status(record) == "stopped" and record.exit_code == 5
    assert [s.signal for s in record.stop_steps] == ["SIGINT"]


# Shrugs off SIGINT (as a training stuck in a collective can); SIGTERM ends it.
DEAF_TRAIN = """\
import signal, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
print("ready", flush=True)
while True:
    time.sleep(0.05)
"""


def test_second_ctrl_c_in_foreground_stops_the_run_harder(tmp_path: Path) -> None:
    ws = workspace(tmp_path, DEAF_TRAIN)
    proc, run_id = _start_foreground(ws)
    assert proc.stderr is not None
    wait_for(log_has(run_id, "ready"), "the training to start")
    proc.send_signal(signal.SIGINT)
    for line in proc.stderr:  # the first Ctrl-C is acted on: SIGINT sent, and said so
        if "sent SIGINT to run" in line:
            break
    assert run_status(load_run(run_id)) == "running"  # the training ignored it
    proc.send_signal(signal.SIGINT)
    # SIGTERM ends it at once; a second SIGINT alone never would.
    try:
        _, stderr = proc.communicate(timeout=20)
    finally:
        proc.kill()  # only if it is still following a run it failed to stop
    assert proc.returncode == 128 + signal.SIGTERM, stderr
    assert "stopping run" in stderr
    record = load_run(run_id)
    assert [s.signal for s in record.stop_steps] == ["SIGINT", "SIGTERM"]
    assert run_status(record) == "stopped" and record.exit_signal == "SIGTERM"


def test_stop_escalates_to_sigterm_then_sigkill(tmp_path: Path) -> None:
    from satconf.runconfig import load_run_config
    from satconf.runs import start_run

    ws = workspace(tmp_path, STUBBORN_TRAIN)
    record = start_run(load_run_config(ws))
    wait_for(log_has(record.id, "ready"), "the training to start")
    record = stop_run(record.id, grace=(0.3, 0.3))
    assert [s.signal for s in record.stop_steps] == ["SIGINT", "SIGTERM", "SIGKILL"]
    assert record.exit_code == -9 and record.exit_signal == "SIGKILL"
    assert run_status(record) == "stopped"


def test_a_run_whose_processes_vanished_is_lost(tmp_path: Path) -> None:
    from satconf.runconfig import load_run_config
    from satconf.runs import start_run

    ws = workspace(tmp_path, SLEEPY_TRAIN)
    record = start_run(load_run_config(ws))
    wait_for(log_has(record.id, "ready"), "the training to start")
    # What a reboot does: supervisor and training gone, no exit code written.
    assert record.supervisor_pid is not None and record.pgid is not None
    os.kill(record.supervisor_pid, signal.SIGKILL)
    os.killpg(record.pgid, signal.SIGKILL)
    wait_for(lambda: run_status(load_run(record.id)) != "running", "the processes to go")
    record = load_run(record.id)
    assert record.exit_code is None and record.ended_at is None
    assert run_status(record) == "lost"


def test_a_record_read_before_the_end_is_not_taken_for_lost(tmp_path: Path) -> None:
    """A status check that read the record, then found the supervisor gone, raced the
    supervisor's last write (seen in CI under load as `lost` for a clean run)."""
    from satconf.command import LaunchPlan
    from satconf.runs import start_plan
    from satconf.runs.procs import process_alive

    # The run ends when the test says so (opening the FIFO), not after a guessed sleep.
    gate = tmp_path / "gate"
    os.mkfifo(gate)
    plan = LaunchPlan(argv=(sys.executable, "-c", f"open({str(gate)!r}).read()"),
                      cwd=str(tmp_path))
    stale = load_run(start_plan(plan).id)  # pid known, no exit code yet
    assert stale.exit_code is None and stale.supervisor_pid is not None
    with open(gate, "w"):
        pass  # the training's read returns: it exits 0
    wait_for(lambda: not process_alive(stale.supervisor_pid, stale.supervisor_start),
             "the supervisor to write the exit code and exit")
    assert stale.exit_code is None  # still the old snapshot
    assert run_status(stale) == "succeeded"


def test_logs_follow_prints_until_the_run_ends(tmp_path: Path, run_satconf) -> None:
    ws = workspace(tmp_path, FAILING_TRAIN)
    out = run_satconf("launch", "--workspace", str(ws), "--json")
    run_id = json.loads(out.stdout)["run_id"]
    followed = run_satconf("runs", "logs", run_id, "--follow")
    assert followed.returncode == 0
    assert followed.stdout.splitlines() == [f"line {i}" for i in range(30)] + [
        "boom: the model config is broken"]
    tail = run_satconf("runs", "logs", "last", "--tail", "2")
    assert tail.stdout.splitlines() == ["line 29", "boom: the model config is broken"]


def test_unknown_run_is_a_clear_error(run_satconf) -> None:
    out = run_satconf("runs", "show", "nope")
    assert out.returncode == 1 and "no run 'nope'" in out.stderr
    assert run_satconf("runs", "list").stdout.startswith("no runs yet")


FORKING_TRAIN = """\
import subprocess, sys, time
# A worker in the same process group, as DDP or DataLoader workers are.
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
print("ready", flush=True)
time.sleep(600)
"""


def test_stop_ends_what_a_lost_run_left_in_its_group(tmp_path: Path, run_satconf) -> None:
    from satconf.runconfig import load_run_config
    from satconf.runs import start_run
    from satconf.runs.procs import group_members

    record = start_run(load_run_config(workspace(tmp_path, FORKING_TRAIN)))
    wait_for(log_has(record.id, "ready"), "the training to start")
    assert record.supervisor_pid is not None and record.pid is not None
    os.kill(record.supervisor_pid, signal.SIGKILL)
    os.kill(record.pid, signal.SIGKILL)  # the leader only: its worker stays
    wait_for(lambda: run_status(load_run(record.id)) == "lost", "the run to be lost")
    assert len(group_members(record.pgid)) == 1
    out = run_satconf("runs", "stop", record.id, "--grace", "5")
    assert out.returncode == 0, out.stderr
    assert group_members(record.pgid) == []
    final = load_run(record.id)
    assert [s.signal for s in final.stop_steps] == ["SIGINT"]
    assert run_status(final) == "stopped"
