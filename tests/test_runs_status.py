"""A local run's status in each state, and stop's escalation, in this process.

Real process groups stand for the training (started here with a new session, as the
supervisor does), and records are written with the real records API; no supervisor runs,
so satconf's status and stop code is the one under test (also for `make mutate`).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from satconf.runs.procs import process_start
from satconf.runs.records import (
    STOP_LOCK,
    RunError,
    RunRecord,
    StopStep,
    now_iso,
    read_record,
    run_dir,
    update_record,
    write_record,
)
from satconf.runs.status import (
    STARTING_WINDOW_S,
    engine_for,
    local_is_going,
    request_interrupt,
    run_status,
    stop_run,
)

from conftest import wait_for

pytestmark = pytest.mark.unprobed  # nothing here needs the training python's probe

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


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        # before the leader is reaped (its number stays its group's): it and any worker left
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


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


# --- status ---------------------------------------------------------------------------

@pytest.mark.parametrize(("fields", "expected"), [
    ({"exit_code": 0}, "succeeded"),
    ({"exit_code": 2}, "failed"),
    ({"exit_code": 0, "error": "python not found"}, "failed"),
    ({"ended_at": "2026-01-01T00:00:00+00:00"}, "failed"),  # ended, exit code unknown
    ({"ended_at": "2026-01-01T00:00:00+00:00",
      "stop_steps": [StopStep("SIGINT", "2026-01-01T00:00:00+00:00")]}, "stopped"),
])
def test_an_ended_run_is_judged_by_its_record_alone(procs: list, fields: dict,
                                                     expected: str) -> None:
    live = training(procs, OBEYS)  # whatever still runs under its old pid
    assert run_status(recorded(live, **fields)) == expected


def test_a_run_is_running_while_its_leader_or_its_supervisor_lives(procs: list) -> None:
    leader = training(procs, OBEYS)
    assert run_status(recorded(leader)) == "running"
    me, my_start = os.getpid(), process_start(os.getpid())
    gone = recorded(leader, supervisor_pid=me, supervisor_start=my_start)
    os.killpg(leader.pid, signal.SIGKILL)
    ended(leader)
    assert run_status(gone) == "running"  # the supervisor is writing the exit code
    # ...not once the supervisor's pid belongs to another process
    assert run_status(recorded(leader, supervisor_pid=me,
                               supervisor_start=(my_start or 0) + 1)) == "lost"


def test_a_run_still_starting_is_running_for_a_minute() -> None:
    assert run_status(recorded(started_at=ago(5))) == "running"
    assert run_status(recorded(started_at=ago(STARTING_WINDOW_S + 5))) == "lost"
    assert run_status(recorded(started_at=None)) == "lost"
    # a supervisor that was recorded and is gone: not starting any more
    assert run_status(recorded(started_at=ago(5), supervisor_pid=dead_pid())) == "lost"


def test_a_record_read_before_the_end_is_read_again(procs: list) -> None:
    leader = training(procs, OBEYS)
    stale = recorded(leader)
    os.killpg(leader.pid, signal.SIGKILL)
    ended(leader)
    assert stale.source is not None
    update_record(stale.source, lambda r: setattr(r, "exit_code", 0))
    assert stale.exit_code is None and run_status(stale) == "succeeded"
    # a record that was not read from a folder has nothing to read again
    assert run_status(RunRecord(id="r", pid=leader.pid, pid_start=stale.pid_start,
                                started_at=ago(600))) == "lost"


def test_a_vanished_run_is_lost_or_stopped_when_asked_to(procs: list) -> None:
    leader = training(procs, OBEYS)
    record = recorded(leader)
    asked = recorded(leader, stop_steps=[StopStep("SIGINT", now_iso())])
    os.killpg(leader.pid, signal.SIGKILL)
    ended(leader)
    assert (run_status(record), run_status(asked)) == ("lost", "stopped")


def test_a_run_is_going_while_its_leader_lives_whatever_its_group(procs: list) -> None:
    leader = training(procs, OBEYS)
    assert local_is_going(recorded(leader, pgid=None))
    # ...and not when that pid is now another process leading its own group
    assert not local_is_going(recorded(leader, pid_start=(STARTS[leader.pid] or 0) + 1))


def test_an_engine_this_satconf_lacks_is_named() -> None:
    record = RunRecord(id="r1", engine="kubernetes")
    assert run_status(record) == "unknown"
    with pytest.raises(RunError, match="run r1 was started by engine 'kubernetes', which this "
                                       "satconf does not know"):
        engine_for(record)


# --- stop ---------------------------------------------------------------------------------

def test_stop_asks_gently_first_and_records_the_end(procs: list, tmp_path: Path) -> None:
    base = tmp_path / "runs"  # any runs folder, not only the default one
    leader = training(procs, OBEYS)
    record = recorded(leader, base)
    final = stop_run(record.id, grace=(5.0, 5.0), base=base)
    assert steps(final) == ["SIGINT"] and final.stop_steps[0].result == "sent"
    assert leader.wait(timeout=5) == -signal.SIGINT
    # No supervisor wrote an exit code: the stop says so, and the run has ended.
    assert final.ended_at and final.notes == ["exit code unknown: the supervisor was gone "
                                              "when the run stopped"]
    assert read_record(run_dir(record.id, base)) == final
    assert run_status(final) == "stopped"
    assert stop_run(record.id, base=base) == final  # an ended run is left as it is


def test_stop_escalates_when_the_training_shrugs_off_each_signal(procs: list) -> None:
    deaf, stubborn = training(procs, DEAF), training(procs, STUBBORN)
    assert steps(stop_run(recorded(deaf).id, grace=(0.2, 5.0))) == ["SIGINT", "SIGTERM"]
    assert deaf.wait(timeout=5) == -signal.SIGTERM
    final = stop_run(recorded(stubborn).id, grace=(0.2, 0.2))
    assert steps(final) == ["SIGINT", "SIGTERM", "SIGKILL"]
    assert stubborn.wait(timeout=5) == -signal.SIGKILL


def test_stop_waits_the_grace_for_the_training_to_save(procs: list, tmp_path: Path) -> None:
    from satconf.runs.records import parse_iso

    saver = training(procs, SAVES)
    final = stop_run(recorded(saver).id, grace=(10.0, 0.1))
    assert steps(final) == ["SIGINT"] and saver.wait(timeout=5) == 0
    assert all(parse_iso(s.at) for s in final.stop_steps)


# On SIGINT, exits 0 when the run's record already shows the stop, 3 when it does not.
CHECKS_THE_RECORD = ["-c", "import json, signal, sys, time\n"
                           "print('ready', flush=True)\n"
                           "record = sys.stdin.readline().strip()\n"
                           "def asked(*_):\n"
                           "    sys.exit(0 if json.load(open(record))['stop_steps'] else 3)\n"
                           "signal.signal(signal.SIGINT, asked)\n"
                           "print('armed', flush=True)\n"
                           "while True: time.sleep(0.05)\n"]


def test_the_stop_is_on_record_before_the_training_hears_of_it(procs: list) -> None:
    # (the supervisor tells the end's alert "was stopped" from the record as the run exits)
    from satconf.runs.records import RECORD

    for stop in (lambda r: stop_run(r.id, grace=(10.0, 0.1)), lambda r: request_interrupt(r.id)):
        watcher = training(procs, CHECKS_THE_RECORD)
        record = recorded(watcher)
        assert watcher.stdin is not None and watcher.stdout is not None and record.source
        watcher.stdin.write(f"{record.source / RECORD}\n")
        watcher.stdin.flush()
        assert watcher.stdout.readline() == "armed\n"
        stop(record)
        assert watcher.wait(timeout=10) == 0


def test_a_second_stop_skips_sigint(procs: list) -> None:
    deaf = training(procs, DEAF)
    record = recorded(deaf, stop_steps=[StopStep("SIGINT", now_iso())])
    assert steps(stop_run(record.id, grace=(0.0, 5.0))) == ["SIGINT", "SIGTERM"]
    assert deaf.wait(timeout=5) == -signal.SIGTERM


def test_stop_keeps_the_exit_code_the_supervisor_writes(procs: list) -> None:
    import threading

    leader = training(procs, OBEYS)
    me = os.getpid()  # stands for the supervisor: alive until it has written the code
    record = recorded(leader, supervisor_pid=me, supervisor_start=process_start(me))
    assert record.source is not None
    folder = record.source

    def supervise() -> None:
        code = leader.wait(timeout=30)
        time.sleep(0.3)  # a supervisor slow to write it (a loaded machine): stop waits
        update_record(folder, lambda r: setattr(r, "exit_code", code))

    writer = threading.Thread(target=supervise)
    writer.start()
    final = stop_run(record.id, grace=(5.0, 5.0))
    writer.join()
    assert final.exit_code == -signal.SIGINT and final.notes == []
    assert run_status(final) == "stopped"


def lock_state(path: Path) -> set[str]:
    """'held' and/or 'waiting' for the flock on `path`, as /proc/locks lists it."""
    inode = f":{path.stat().st_ino} "
    lines = [line for line in Path("/proc/locks").read_text().splitlines() if inode in line]
    return {"waiting" if "->" in line else "held" for line in lines}


def test_a_stop_while_another_goes_on_returns_what_that_one_did(procs: list) -> None:
    import threading

    from satconf.runs.records import stop_lock

    leader = training(procs, OBEYS)
    record = recorded(leader)
    assert record.source is not None
    folder = record.source
    got: list[RunRecord] = []
    with stop_lock(folder):  # another `satconf runs stop` is taking the steps
        second = threading.Thread(target=lambda: got.append(stop_run(record.id)))
        second.start()
        wait_for(lambda: "waiting" in lock_state(folder / STOP_LOCK), "the second stop to wait")
        os.killpg(leader.pid, signal.SIGINT)

        def stopped(r: RunRecord) -> None:  # what that stop records
            r.stop_steps.append(StopStep("SIGINT", now_iso()))
            r.ended_at = now_iso()

        done = update_record(folder, stopped)
    second.join(timeout=30)
    assert got == [done] and steps(done) == ["SIGINT"]


def test_stop_of_a_run_whose_training_already_ended_signals_nothing(procs: list) -> None:
    import threading

    leader = training(procs, OBEYS)
    os.killpg(leader.pid, signal.SIGKILL)
    ended(leader)
    me = os.getpid()  # the supervisor, about to write the exit code: the run is running
    record = recorded(leader, supervisor_pid=me, supervisor_start=process_start(me))
    assert record.source is not None and run_status(record) == "running"
    folder = record.source

    def supervise() -> None:  # writes the code once the stop holds its lock
        wait_for(lambda: (folder / STOP_LOCK).exists() and "held" in
                 lock_state(folder / STOP_LOCK), "the stop to start")
        update_record(folder, lambda r: setattr(r, "exit_code", -9))

    writer = threading.Thread(target=supervise)
    writer.start()
    final = stop_run(record.id)
    writer.join(timeout=30)
    assert final.exit_code == -9 and final.stop_steps == [] and final.notes == []


def test_stop_ends_the_workers_a_lost_run_left(procs: list) -> None:
    leader = training(procs, LEAVES_A_WORKER)
    assert leader.stdin is not None
    leader.stdin.close()  # its `read` ends: the leader exits
    leader.wait(timeout=5)
    record = recorded(leader)
    assert run_status(record) == "lost"
    final = stop_run(record.id, grace=(0.2, 5.0))
    assert steps(final) == ["SIGINT", "SIGTERM"]
    from satconf.runs.procs import group_members

    assert group_members(leader.pid) == []
    # With nothing left in the group a lost run is left as it is.
    lost = recorded(leader)
    assert stop_run(lost.id) == lost and read_record(run_dir(lost.id)) == lost


def test_stop_leaves_an_ended_run_alone_whatever_is_left(procs: list) -> None:
    leader = training(procs, LEAVES_A_WORKER)
    assert leader.stdin is not None
    leader.stdin.close()
    leader.wait(timeout=5)
    done = recorded(leader, exit_code=0, ended_at=now_iso())
    assert stop_run(done.id) == done and read_record(run_dir(done.id)) == done


def test_stop_never_signals_what_may_not_be_the_run(procs: list) -> None:
    leader = training(procs, OBEYS)
    unsure = recorded(leader, pid_start=None)
    with pytest.raises(RunError, match=f"not stopping run {unsure.id}: the record has no start "
                                       f"time for pid {leader.pid}.*nothing was signalled"):
        stop_run(unsure.id)
    assert leader.poll() is None
    assert read_record(run_dir(unsure.id)).stop_steps == []
    with pytest.raises(RunError, match="has no process group yet"):
        stop_run(recorded(leader, pgid=None).id)


def test_ctrl_c_in_the_foreground_only_sends_sigint(procs: list, tmp_path: Path) -> None:
    deaf = training(procs, DEAF)
    base = tmp_path / "runs"
    record = recorded(deaf, base)
    after = request_interrupt(record.id, base)
    assert steps(after) == ["SIGINT"] and after.stop_steps[0].result == "sent"
    assert read_record(run_dir(record.id, base)) == after
    assert deaf.poll() is None and run_status(after) == "running"
    # Nothing is sent to a run that is not running, or may not be the run.
    os.killpg(deaf.pid, signal.SIGKILL)
    ended(deaf)
    assert request_interrupt(record.id, base) == after
    live = training(procs, OBEYS)
    for fields in ({"pid_start": None}, {"pgid": None}):
        untouched = recorded(live, **fields)
        assert request_interrupt(untouched.id).stop_steps == []
    assert live.poll() is None


def test_ctrl_c_after_the_training_ended_is_recorded_as_gone(procs: list) -> None:
    leader = training(procs, OBEYS)
    os.killpg(leader.pid, signal.SIGKILL)
    ended(leader)
    me = os.getpid()  # the supervisor, still writing the exit code: the run is running
    record = recorded(leader, supervisor_pid=me, supervisor_start=process_start(me))
    after = request_interrupt(record.id)
    assert [(s.signal, s.result) for s in after.stop_steps] == [("SIGINT", "gone")]
    assert read_record(run_dir(record.id)) == after


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid
