"""The queue's scheduler: a small detached daemon, one per SATCONF_HOME, started on demand.

`python -m satconf.queue.scheduler` holds an exclusive `flock` on
`queue/scheduler.lock` for its whole life (a second one exits at once), claims
what fits the free devices in one SQLite transaction, checks each claimed run
again through the launch use case and starts it. Then it sleeps in `select`
on a fifo (`queue/wake`, written by whoever queues, cancels, moves or resumes)
and on a pidfd per running satconf run, so a run's end wakes it at once; it
looks again at most every RECHECK_S while runs wait, because another user's
process freeing a GPU sends no event. It exits when nothing waits and
nothing it started still runs, after letting go of the lock and looking once
more, so a run queued at that moment is never stranded.

It stays while the runs it started go on (to note each end, which is what
`--max-failures` acts on), so the queue's state is always the runs' state.

Killing it loses nothing: the runs it started are detached (their supervisors
write their records), the queue is on disk, and the next one reconciles what
it finds: runs that ended meanwhile are marked done, and a run claimed by a
scheduler that died before it started is put back in its place (or adopted,
when its record shows it did start).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from satconf.queue.linking import adoptable as _adoptable
from satconf.queue.linking import tag as _tag
from satconf.queue.store import (
    ACTIVE,
    DONE,
    FAILED,
    QUEUED,
    REFUSED,
    RUNNING,
    STARTING,
    Entry,
    QueueStore,
    queue_dir,
)

if TYPE_CHECKING:
    from satconf.runs.records import RunRecord

RECHECK_S = 30.0  # with runs waiting: how often foreign GPU use is looked at again
POLL_WITHOUT_PIDFD_S = 0.25  # where a run's end cannot be waited on, how often to look
SETTLE_S = 3.0  # after a run's process ends: the most its supervisor takes to record the end
LOCK_NAME, WAKE_NAME, LOG_NAME = "scheduler.lock", "wake", "scheduler.log"
READY_ENV = "SATCONF_SCHEDULER_READY_FD"  # written once the new scheduler holds its lock
READY_TIMEOUT_S = 10.0


_DAEMON = False  # only the scheduler's own process writes its log (stdout is the log)


def _say(message: str) -> None:
    if not _DAEMON:
        return
    with contextlib.suppress(OSError):
        print(time.strftime("%Y-%m-%d %H:%M:%S ") + message, flush=True)


def wake(folder: Path | None = None) -> None:
    """Wake the scheduler, if one is listening (never blocks, never fails)."""
    path = (folder or queue_dir()) / WAKE_NAME
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return  # no fifo, or nobody reads it (ENXIO): no scheduler to wake
    with contextlib.suppress(OSError):
        os.write(fd, b"!")
    os.close(fd)


def _try_lock(folder: Path) -> int | None:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def scheduler_running(folder: Path | None = None) -> bool:
    fd = _try_lock(folder or queue_dir())
    if fd is None:
        return True
    os.close(fd)
    return False


def ensure_scheduler(store: QueueStore | None = None) -> bool:
    """Start the scheduler if runs wait and none runs; wake it if one does. True when one
    was started. Call it after changing the queue (the change is committed first)."""
    folder = queue_dir()
    store = store or QueueStore()
    if not store.entries((QUEUED,)) or store.paused:
        wake(folder)
        return False
    if scheduler_running(folder):
        wake(folder)
        return False
    log = os.open(folder / LOG_NAME, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
    ready_r, ready_w = os.pipe()
    try:
        subprocess.Popen([sys.executable, "-m", "satconf.queue.scheduler"],
                         stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                         start_new_session=True, close_fds=True, cwd="/", pass_fds=(ready_w,),
                         env={**os.environ, READY_ENV: str(ready_w)})
        os.close(ready_w)
        ready_w = -1
        # Until it holds the lock, another satconf would start a second one (which would
        # exit at once): return once it does, or once it has exited (EOF).
        select.select([ready_r], [], [], READY_TIMEOUT_S)
    finally:
        os.close(log)
        os.close(ready_r)
        if ready_w >= 0:
            os.close(ready_w)
    return True


def _open_fifo(folder: Path) -> int:
    path = folder / WAKE_NAME
    with contextlib.suppress(FileExistsError):
        os.mkfifo(path, 0o600)
    # Read-write: the fifo never reports end-of-file when a waker closes it.
    return os.open(path, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)


class Scheduler:
    def __init__(self, store: QueueStore) -> None:
        self.store = store
        self.me = os.getpid()
        self.pidfds: dict[int, int] = {}  # training pid -> pidfd

    # -- reconcile -------------------------------------------------------------------------

    def reconcile(self) -> None:
        """Bring the queue up to date with the runs: ended runs done, dead claims undone."""
        from satconf.runs.records import RunError, load_run
        from satconf.runs.status import RUNNING as RUN_RUNNING
        from satconf.runs.status import run_status

        for entry in self.store.entries((STARTING,)):
            if entry.claimed_by == self.me or _claimer_alive(entry):
                continue
            record = _adoptable(entry)
            if record is not None:
                _tag(record, entry, entry.assigned or [])
                self.store.set_state(entry.id, RUNNING, only_from=(STARTING,),
                                     run_id=record.id, started_at=time.time())
                _say(f"entry {entry.id}: adopted run {record.id} (its scheduler died)")
            else:
                self.store.set_state(entry.id, QUEUED, only_from=(STARTING,), assigned=None,
                                     claimed_by=None, claimed_at=None)
                _say(f"entry {entry.id}: back in the queue (its scheduler died before the start)")
        for entry in self.store.entries((RUNNING,)):
            try:
                record = load_run(entry.run_id or "")
            except RunError:
                self.store.set_state(entry.id, DONE, only_from=(RUNNING,), status="lost",
                                     ended_at=time.time(), message="the run record is gone")
                continue
            status = run_status(record)
            if status == RUN_RUNNING and record.pid is not None and not _alive(record.pid):
                record = _settled(record)  # the process ended; its supervisor is writing that
                status = run_status(record)
            if status != RUN_RUNNING:
                self.store.set_state(entry.id, DONE, only_from=(RUNNING,), status=status,
                                     ended_at=time.time())
                _say(f"entry {entry.id}: run {record.id} {status}")
                if entry.sweep_id:
                    from satconf.queue.sweep import after_run_ended

                    after_run_ended(self.store, entry.sweep_id)

    # -- start -----------------------------------------------------------------------------

    def start_ready(self) -> int:
        from satconf.queue.gpus_free import free_devices
        from satconf.queue.request import fit

        slots = self.store.slots()
        threshold = int(self.store.setting("foreign_mib", "0") or 0) or None

        def choose(queued: list[Entry], active: list[Entry]) -> list[tuple[int, list[int]]]:
            if not queued:
                return []
            free = (free_devices(active, slots=slots, threshold_mib=threshold) if threshold
                    else free_devices(active, slots=slots))
            gpus, cpu = dict(free.gpus), list(free.slots)
            picks = []
            _say(f"free GPUs {sorted(gpus)}, slots {cpu}; busy {free.busy}")
            for entry in queued:  # first fit in queue order: a big request does not idle GPUs
                devices = fit(entry.request, gpus, free_slots=cpu)
                if devices is None:
                    continue
                picks.append((entry.id, devices))
                for d in devices:
                    if entry.request.cpu:
                        cpu.remove(d)
                    else:
                        gpus.pop(d, None)
            return picks

        self._refuse_impossible(slots)
        claimed = self.store.claim(choose, self.me)
        for entry, devices in claimed:
            self.start_entry(entry, devices)
        return len(claimed)

    def start_entry(self, entry: Entry, devices: list[int]) -> None:
        from satconf.launch import start
        from satconf.queue.spec import prepare_spec
        from satconf.runconfig import ConfigError, UsageError
        from satconf.runs.records import RunError

        gpus = [] if entry.request.cpu else devices
        try:
            prepared = prepare_spec(entry.spec, gpus)
        except (ConfigError, UsageError) as exc:
            self._refuse(entry, str(exc).splitlines()[0])
            return
        if prepared.errors and not entry.force:
            first = prepared.errors[0]
            self._refuse(entry, f"{len(prepared.errors)} error(s) at the start: "
                         + (f"{first.field}: " if first.field else "") + first.message)
            return
        try:
            record = start(prepared, force=entry.force)
        except RunError as exc:
            self.store.set_state(entry.id, FAILED, only_from=(STARTING,), message=str(exc),
                                 ended_at=time.time(), status="failed")
            _say(f"entry {entry.id}: the start failed: {exc}")
            return
        _tag(record, entry, devices)
        self.store.set_state(entry.id, RUNNING, only_from=(STARTING,), run_id=record.id,
                             started_at=time.time())
        _say(f"entry {entry.id}: started run {record.id} on "
             + (f"CPU slot {devices[0]}" if entry.request.cpu
                else "GPU " + ",".join(map(str, devices))))

    def _refuse_impossible(self, slots: int) -> None:
        """Refuse what no GPU of this machine can ever give (it would wait forever)."""
        from satconf.gpus import list_gpus

        have = {g.index: g.memory_total for g in list_gpus().gpus}
        for entry in self.store.entries((QUEUED,)):
            req = entry.request
            why = None
            if req.cpu:
                continue
            if req.ids is not None and not set(req.ids) <= set(have):
                why = f"GPU {','.join(map(str, sorted(set(req.ids) - set(have))))} does not exist"
            elif req.ids is None and req.count > len(have):
                why = f"it asks for {req.count} GPUs; this machine has {len(have)}"
            elif req.min_free_mib and not any(
                    not m or m >= req.min_free_mib for g, m in have.items()
                    if req.ids is None or g in req.ids):
                why = f"no GPU here has {req.min_free_mib} MiB in all"
            if why and self.store.set_state(entry.id, STARTING, only_from=(QUEUED,)):
                self._refuse(entry, why)

    def _refuse(self, entry: Entry, message: str) -> None:
        self.store.set_state(entry.id, REFUSED, only_from=(STARTING,), message=message,
                             ended_at=time.time(), status="refused")
        _say(f"entry {entry.id}: refused: {message}")
        if entry.sweep_id:
            from satconf.queue.sweep import after_run_ended

            after_run_ended(self.store, entry.sweep_id)

    # -- wait ------------------------------------------------------------------------------

    def wait(self, fifo: int, timeout: float | None) -> None:
        """Sleep until a wake-up, a satconf run's end, or `timeout`."""
        from satconf.runs.records import scan_runs
        from satconf.runs.status import LOCAL_ENGINES

        pids = set()
        records = {r.id: r for r in scan_runs()[0]}
        for entry in self.store.entries((RUNNING,)):
            record = records.get(entry.run_id or "")
            if record is None or record.ended_at or not _alive(record.pid):
                return  # it ended since the last look (a short run): look again now
        for record in records.values():
            if (record.engine in LOCAL_ENGINES and record.pid and not record.ended_at
                    and record.exit_code is None and _alive(record.pid)):
                pids.add(record.pid)
        for pid in set(self.pidfds) - pids:
            os.close(self.pidfds.pop(pid))
        for pid in pids - set(self.pidfds):
            try:
                self.pidfds[pid] = os.pidfd_open(pid)
            except ProcessLookupError:
                return  # gone already: look again now
            except (OSError, AttributeError):  # no pidfd (not Linux >= 5.3): look often
                timeout = POLL_WITHOUT_PIDFD_S if timeout is None else min(
                    timeout, POLL_WITHOUT_PIDFD_S)
        _ready, _, _ = select.select([fifo, *self.pidfds.values()], [], [], timeout)
        with contextlib.suppress(OSError):
            while os.read(fifo, 4096):
                pass

    def _needed(self) -> bool:
        """Runs wait (and the queue is not paused), or its runs go on and their ends must
        be noted (for `--max-failures`, and so `queue list` is right without it)."""
        waiting = bool(self.store.entries((QUEUED,))) and not self.store.paused
        return waiting or bool(self.store.entries(ACTIVE))

    def serve(self, lock_fd: int, folder: Path) -> int:
        fifo = _open_fifo(folder)
        _say(f"scheduler {self.me} started")
        while True:
            self.reconcile()
            if self.store.entries((QUEUED,)) and not self.store.paused:
                self.start_ready()
            if not self._needed():
                os.close(lock_fd)  # let go, then look again: a run queued just now is seen
                if not self._needed():
                    _say(f"scheduler {self.me}: nothing waits; exiting")
                    return 0
                relocked = _try_lock(folder)
                if relocked is None:
                    return 0  # another scheduler took over
                lock_fd = relocked
                os.ftruncate(lock_fd, 0)
                os.pwrite(lock_fd, f"{self.me}\n".encode(), 0)
                continue
            self.wait(fifo, RECHECK_S)


def _boot_time() -> float:
    try:
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith("btime "):
                return float(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0.0


def _claimer_alive(entry: Entry) -> bool:
    """The scheduler that claimed `entry` still runs (a claim from before a reboot never
    does, whatever process has its pid now)."""
    if entry.claimed_at is not None and entry.claimed_at < _boot_time():
        return False
    return _alive(entry.claimed_by)


def _alive(pid: int | None) -> bool:
    from satconf.runs.procs import process_alive

    return process_alive(pid)


def _settled(record: RunRecord) -> RunRecord:
    """The record once its supervisor has written the end (at most SETTLE_S)."""
    from satconf.runs.records import RunError, read_record

    deadline = time.monotonic() + SETTLE_S
    while record.source is not None and time.monotonic() < deadline:
        if record.ended_at or record.exit_code is not None:
            break
        if not _alive(record.supervisor_pid):
            break
        time.sleep(0.005)  # a few ms: the supervisor has reaped the process and is writing
        with contextlib.suppress(RunError):
            record = read_record(record.source)
    return record


def main() -> int:
    global _DAEMON
    _DAEMON = True
    folder = queue_dir()
    lock_fd = _try_lock(folder)
    if lock_fd is None:
        return 0  # one is running already
    os.ftruncate(lock_fd, 0)
    os.pwrite(lock_fd, f"{os.getpid()}\n".encode(), 0)  # who serves the queue, for `kill`
    ready = os.environ.pop(READY_ENV, "")
    if ready.isdigit():  # tell the satconf that started this one (its runs must not inherit it)
        with contextlib.suppress(OSError):
            os.write(int(ready), b"ok\n")
            os.close(int(ready))
    try:
        return Scheduler(QueueStore()).serve(lock_fd, folder)
    except Exception as exc:
        import traceback

        traceback.print_exc()
        _say(f"scheduler {os.getpid()} failed: {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
