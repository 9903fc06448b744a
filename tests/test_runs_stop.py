"""Stopping a local run: gentle signals first, escalation, the grace to save, what goes on
record, and what is never signalled; in this process (the trainings: run_trainings.py).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from run_trainings import (
    DEAF,
    LEAVES_A_WORKER,
    OBEYS,
    SAVES,
    STUBBORN,
    ended,
    recorded,
    steps,
    training,
)
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
)
from satconf.runs.status import (
    request_interrupt,
    run_status,
    stop_run,
)

from conftest import wait_for

pytestmark = pytest.mark.unprobed  # nothing here needs the training python's probe


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

