"""Run status, derived from the record and the live processes, pluggable by engine.

An engine (`record.engine`, one of `satconf.runs.engines`) brings its own
status and stop: the local one (also used for `torchrun`, which runs under
the same supervisor) looks at process ids, defined here; a scheduler engine
such as SLURM asks the scheduler instead.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from satconf.runs.procs import (
    group_members,
    group_signal_refusal,
    is_foreign_leader,
    process_alive,
)
from satconf.runs.records import (
    RunError,
    RunRecord,
    StopStep,
    now_iso,
    parse_iso,
    run_dir,
    update_record,
)

RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"
STOPPED = "stopped"
LOST = "lost"
QUEUED = "queued"  # waiting in a scheduler's queue (scheduler engines only)
UNKNOWN = "unknown"
STATUSES = (QUEUED, RUNNING, SUCCEEDED, FAILED, STOPPED, LOST)

# Grace periods (seconds) after SIGINT and after SIGTERM. Lightning tears down
# on SIGINT; a big model may need a while to finish writing.
DEFAULT_GRACE: tuple[float, float] = (30.0, 10.0)
STARTING_WINDOW_S = 60.0  # a record with no pid yet this young is a run still starting

LOCAL_ENGINES = ("local", "torchrun")  # run under satconf's own supervisor on this machine

def find_engine(name: str) -> Any:
    """The engine (`satconf.runs.engines`) that started runs of this name, None if unknown."""
    from satconf.runs.engines import get_engine

    return get_engine(name)


def engine_for(record: RunRecord) -> Any:
    engine = find_engine(record.engine)
    if engine is None:
        raise RunError(f"run {record.id} was started by engine {record.engine!r}, "
                       "which this satconf does not know")
    return engine


def run_status(record: RunRecord) -> str:
    """running | succeeded | failed | stopped | lost (queued for a scheduler's runs);
    `unknown` for a run of an engine this satconf does not have."""
    engine = find_engine(record.engine)
    return engine.status(record) if engine is not None else UNKNOWN


def ended_status(record: RunRecord) -> str:
    """The status of a run that has ended, whatever engine ran it: a run the user
    stopped is `stopped` even when it then exited cleanly (Lightning saves and
    exits 0 on SIGINT)."""
    if record.stop_requested:
        return STOPPED
    if record.error or record.exit_code != 0:
        return FAILED
    return SUCCEEDED


def local_is_going(record: RunRecord) -> bool:
    if record.pid is not None and process_alive(record.pid, record.pid_start):
        return True
    return record.pgid is not None and bool(group_members(record.pgid)) and not (
        record.pid is not None and is_foreign_leader(record.pid, record.pid_start)
    )


def local_status(record: RunRecord) -> str:
    if record.exit_code is not None or record.ended_at:
        return ended_status(record)
    # The leader and the supervisor decide; scanning for the rest of the process group
    # is left to `stop`, so that listing many old runs stays quick.
    if record.pid is not None and process_alive(record.pid, record.pid_start):
        return RUNNING
    if record.supervisor_pid is not None and process_alive(record.supervisor_pid,
                                                           record.supervisor_start):
        return RUNNING  # just starting the process, or just writing its exit code
    if record.pid is None and record.supervisor_pid is None:
        started = parse_iso(record.started_at)
        if started is not None and time.time() - started.timestamp() < STARTING_WINDOW_S:
            return RUNNING
    # The record in hand may predate the end: the supervisor writes the exit code, then
    # exits, so with every process gone a fresh read tells an ended run from a lost one.
    fresh = _reread(record)
    if fresh is not None and (fresh.exit_code is not None or fresh.ended_at):
        return ended_status(fresh)
    return STOPPED if record.stop_requested else LOST


def _reread(record: RunRecord) -> RunRecord | None:
    if record.source is None:
        return None
    from satconf.runs.records import read_record

    try:
        return read_record(record.source)
    except RunError:
        return None


def _wait(cond: Callable[[], bool], timeout: float, poll: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if cond():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(poll)


def _signal_group(record: RunRecord, sig: signal.Signals) -> str:
    import os

    assert record.pgid is not None
    try:
        os.killpg(record.pgid, sig)
    except ProcessLookupError:
        return "gone"
    except PermissionError as exc:
        return f"error: {exc.strerror}"
    return "sent"


def local_stop(folder: Path, record: RunRecord, grace: tuple[float, float]) -> RunRecord:
    """SIGINT to the process group, then SIGTERM, then SIGKILL; each step recorded.

    `grace` is the wait after SIGINT and after SIGTERM; a first grace of 0
    skips SIGINT (for a second Ctrl-C, when SIGINT was already sent)."""
    if record.pgid is None:
        raise RunError(f"run {record.id} has no process group yet; try again in a moment")
    from satconf.runs.records import read_record, stop_lock

    with stop_lock(folder) as first:
        if not first:  # another `runs stop` took the steps meanwhile: its result is ours
            return read_record(folder)
        record = read_record(folder)  # what the stop before this one (if any) left
        return _local_stop_steps(folder, record, grace)


def _local_stop_steps(folder: Path, record: RunRecord, grace: tuple[float, float]) -> RunRecord:
    steps = ((signal.SIGINT, grace[0]), (signal.SIGTERM, grace[1]), (signal.SIGKILL, 5.0))
    if grace[0] <= 0:
        steps = steps[1:]
    for sig, wait_s in steps:
        if not local_is_going(record):
            break
        refusal = group_signal_refusal(record.pid, record.pid_start, record.pgid)
        if refusal is not None:
            raise RunError(f"not stopping run {record.id}: {refusal}; nothing was signalled")
        record, result = _recorded_signal(folder, sig)
        if result != "sent" or _wait(lambda r=record: not local_is_going(r), wait_s):
            break
    # The supervisor writes the exit code as soon as it reaps the process.
    _wait(lambda: _supervisor_done(folder), 10.0)
    from satconf.runs.records import read_record

    record = read_record(folder)
    if record.exit_code is None and not record.ended_at and not local_is_going(record):
        def mark(r: RunRecord) -> None:
            r.ended_at = now_iso()
            r.notes.append("exit code unknown: the supervisor was gone when the run stopped")
        record = update_record(folder, mark)
    return record


def _recorded_signal(folder: Path, sig: signal.Signals) -> tuple[RunRecord, str]:
    """Send `sig` to the run's group, the step recorded first: the supervisor reads whether a
    stop was asked the moment the training exits (the end's alert says "was stopped")."""
    step = StopStep(signal=sig.name, at=now_iso())
    record = update_record(folder, lambda r: r.stop_steps.append(step))
    result = _signal_group(record, sig)
    if result != "sent":
        def note(r: RunRecord) -> None:
            for taken in reversed(r.stop_steps):
                if (taken.signal, taken.at) == (step.signal, step.at):
                    taken.result = result
                    break
        record = update_record(folder, note)
    return record, result


def _supervisor_done(folder: Path) -> bool:
    from satconf.runs.records import read_record

    rec = read_record(folder)
    if rec.exit_code is not None or rec.ended_at:
        return True
    return not process_alive(rec.supervisor_pid, rec.supervisor_start)


def stop_run(run_id: str, grace: tuple[float, float] = DEFAULT_GRACE,
             base: Path | None = None) -> RunRecord:
    """Stop a running run; returns its final record. A finished run is returned as is."""
    from satconf.runs.records import load_run

    record = load_run(run_id, base)
    status = run_status(record)
    # A lost local run may have left processes in its group (e.g. DDP workers): stop those.
    stragglers = status == LOST and record.engine in LOCAL_ENGINES and local_is_going(record)
    if status not in (RUNNING, QUEUED) and not stragglers:
        return record
    return engine_for(record).stop(run_dir(record.id, base), record, grace)


def request_interrupt(run_id: str, base: Path | None = None) -> RunRecord:
    """Only the first, gentle step (SIGINT), recorded: what Ctrl-C in `--foreground` does."""
    from satconf.runs.records import load_run

    record = load_run(run_id, base)
    if run_status(record) != RUNNING or record.pgid is None:
        return record
    if group_signal_refusal(record.pid, record.pid_start, record.pgid) is not None:
        return record
    return _recorded_signal(run_dir(record.id, base), signal.SIGINT)[0]

