"""The detached supervisor: `python -m satconf.runs.supervisor RUN_DIR REPORT_FD`.

Started by the launcher in a new session, it forks once more so that nothing
waits on it (the first process exits at once and the launcher reaps it),
starts the training command from the record (never through a shell) in its
own session and process group with stdout and stderr going to the run's log,
reports the pid on REPORT_FD, and waits. When the training process ends it
writes the exit code and end time into the record, so the record is complete
even when no satconf is open by then. The environment it was started with is
the training's (the launcher adds the plan's variables, secrets included,
which the record never holds).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

from satconf.runs.procs import process_start
from satconf.runs.records import LOG, RunRecord, now_iso, read_record, update_record

_reported: set[int] = set()


def _report(fd: int, message: str) -> None:
    """One line to the launcher, then the pipe is closed (once: the fd number may be reused)."""
    if fd in _reported:
        return
    _reported.add(fd)
    try:
        os.write(fd, (message.replace("\n", " ") + "\n").encode("utf-8", "replace"))
    finally:
        os.close(fd)


def _ignore(signum: int, frame: object) -> None:
    """A handler, not SIG_IGN: an exec resets handlers but keeps ignored signals ignored,
    and the training must receive SIGINT normally."""


def supervise(folder: Path, report_fd: int) -> int:
    record = read_record(folder)
    me = os.getpid()
    with open(folder / LOG, "ab", buffering=0) as log:
        try:
            proc = subprocess.Popen(
                record.argv, cwd=record.cwd or None, env=os.environ.copy(),
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            what = exc.strerror or str(exc)
            target = exc.filename or (record.argv[0] if record.argv else "?")
            message = f"cannot start {target}: {what}"
            code = 127 if isinstance(exc, FileNotFoundError) else 126
            log.write(f"satconf: {message}\n".encode())

            def failed(r: RunRecord) -> None:
                r.error = message
                r.exit_code = code
                r.ended_at = now_iso()
                r.supervisor_pid = me
            update_record(folder, failed)
            _report(report_fd, f"error {message}")
            return 1

    def started(r: RunRecord) -> None:
        r.pid = proc.pid
        r.pgid = proc.pid  # a new session makes the process its group's leader
        r.pid_start = process_start(proc.pid)
        r.supervisor_pid = me
        r.supervisor_start = process_start(me)
    update_record(folder, started)
    _report(report_fd, f"ok {proc.pid}")

    code = proc.wait()

    def ended(r: RunRecord) -> None:
        r.exit_code = code
        r.ended_at = now_iso()
        if code < 0:
            try:
                r.exit_signal = signal.Signals(-code).name
            except ValueError:
                r.exit_signal = f"signal {-code}"
    update_record(folder, ended)
    return 0


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: python -m satconf.runs.supervisor RUN_DIR REPORT_FD", file=sys.stderr)
        return 2
    folder, report_fd = Path(argv[1]), int(argv[2])
    if os.fork():
        os._exit(0)  # the launcher reaps this one; the child is adopted by init
    for sig in (signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _ignore)
    try:
        return supervise(folder, report_fd)
    except BaseException as exc:  # the record must say something; the details go to the log
        import traceback

        traceback.print_exc()
        with contextlib.suppress(OSError):
            _report(report_fd, f"error supervisor failed: {exc}")
        raise


if __name__ == "__main__":
    sys.exit(main(sys.argv))
