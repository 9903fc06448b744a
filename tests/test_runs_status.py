"""A local run's status in each state, in this process (the trainings: run_trainings.py).

Real process groups stand for the training and records are written with the real records
API; no supervisor runs, so satconf's status code is the one under test (also for
`make mutate`). Stopping: test_runs_stop.py.
"""

from __future__ import annotations

import os
import signal

import pytest

from run_trainings import (
    OBEYS,
    STARTS,
    ago,
    dead_pid,
    ended,
    recorded,
    training,
)
from satconf.runs.procs import process_start
from satconf.runs.records import (
    RunError,
    RunRecord,
    StopStep,
    now_iso,
    update_record,
)
from satconf.runs.status import (
    STARTING_WINDOW_S,
    engine_for,
    local_is_going,
    run_status,
)

pytestmark = pytest.mark.unprobed  # nothing here needs the training python's probe


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
