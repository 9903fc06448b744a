"""The detached supervisor: `python -m satconf.runs.supervisor RUN_DIR REPORT_FD CWD -- ARGV...`.

Started by the launcher in a new session, it forks once more so that nothing
waits on it (the first process exits at once and the launcher reaps it),
starts the training command (never through a shell) in its own session and
process group with stdout and stderr appended to the run's log (0600), records
the pid, then reports it on REPORT_FD, and waits. When the training process
ends it writes the exit code and end time into the record, so the record is
complete even when no satconf is open by then.

Nothing here depends on the launcher still listening: a launcher killed at
any moment leaves a closed pipe, and the report to it is best effort
(SIGPIPE ignored, the error swallowed) after the pid is already recorded.
Nothing depends on the disk either: a small reserve file, made while the run
starts, is given back when the exit code cannot otherwise be written (a log
that filled the disk), and as a last resort the record is rewritten in place.
The
environment it was started with is the training's (the launcher adds the
plan's variables, secrets included, which the record never holds).

Start-up speed is the point of the layout: until the training process runs,
only modules the interpreter has already loaded are used (`os`, `sys`,
`_signal`); the record is read and written afterwards.
"""

from __future__ import annotations

import _signal
import os
import sys

TYPE_CHECKING = False  # not `typing`: nothing but what is loaded already, until the start
if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from satconf.runs.records import RunRecord

LOG = "train.log"  # records.LOG, repeated so as not to import it before the start

_reported: set[int] = set()


def _report(fd: int, message: str) -> None:
    """One line to the launcher, then the pipe is closed (once: the fd number may be reused)."""
    if fd in _reported:
        return
    _reported.add(fd)
    try:
        os.write(fd, (message.replace("\n", " ") + "\n").encode("utf-8", "replace"))
    except OSError:
        pass  # the launcher is gone (EPIPE): the record already holds what it would say
    finally:
        try:  # noqa: SIM105 - contextlib is not loaded yet, and the start is not slowed for it
            os.close(fd)
        except OSError:
            pass


def _ignore(signum: int, frame: object) -> None:
    """A handler, not SIG_IGN: an exec resets handlers but keeps ignored signals ignored,
    and the training must receive SIGINT normally."""


def spawn(argv: list[str], cwd: str, log: str, close_fd: int) -> tuple[int, str | None]:
    """fork + exec `argv` in a new session; (pid, None), or (errno, what) if it could not run."""
    err_r, err_w = os.pipe()  # both close-on-exec: EOF on err_r means the exec happened
    pid = os.fork()
    if pid == 0:  # the child: only async-signal-safe work until exec
        try:
            os.close(err_r)
            os.close(close_fd)
            os.setsid()
            out = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.dup2(out, 1)
            os.dup2(out, 2)
            os.close(out)
            os.close(null)
            if cwd:
                try:
                    os.chdir(cwd)
                except OSError as exc:
                    os.write(err_w, f"{exc.errno}:{argv[0]} in {cwd}".encode("utf-8", "replace"))
                    os._exit(127)
            # Python ignores SIGPIPE and SIGXFSZ at start-up, and a launch from `nohup` or a
            # background job may ignore or block the rest: the training gets the defaults,
            # so that a stop's SIGINT and SIGTERM reach it.
            for sig in (_signal.SIGPIPE, _signal.SIGXFSZ, _signal.SIGINT, _signal.SIGTERM,
                        _signal.SIGHUP, _signal.SIGQUIT):
                _signal.signal(sig, _signal.SIG_DFL)
            _signal.pthread_sigmask(_signal.SIG_SETMASK, [])
            os.execvpe(argv[0], argv, os.environ)
        except OSError as exc:
            what = exc.filename if exc.filename is not None else argv[0]
            os.write(err_w, f"{exc.errno}:{what}".encode("utf-8", "replace"))
        finally:
            os._exit(127)
    os.close(err_w)
    data = b""
    while chunk := os.read(err_r, 4096):
        data += chunk
    os.close(err_r)
    if not data:
        return pid, None
    os.waitpid(pid, 0)
    code, _, what = data.decode("utf-8", "replace").partition(":")
    return int(code), what


RESERVE = ".reserve"  # space kept for the last record write of a run whose log fills the disk
RESERVE_BYTES = 256 * 1024


def supervise(folder: str, report_fd: int, cwd: str, argv: list[str]) -> int:
    for sig in (_signal.SIGINT, _signal.SIGHUP):
        _signal.signal(sig, _ignore)
    _signal.signal(_signal.SIGPIPE, _signal.SIG_IGN)  # a gone launcher is an error, not death
    log_file = os.path.join(folder, LOG)
    try:  # noqa: SIM105 - as in _report
        os.chmod(log_file, 0o600)  # the launcher made it; it holds whatever the training prints
    except OSError:
        pass
    _make_reserve(os.path.join(folder, RESERVE))  # before the training can fill the disk
    pid, failure = spawn(argv, cwd, log_file, report_fd)
    me = os.getpid()
    if failure is None:
        # The training runs; this process's own imports and writes go at a lower priority,
        # so that they do not slow the training's start on a busy machine.
        os.nice(5)

    from pathlib import Path

    from satconf.runs.procs import process_start
    from satconf.runs.records import now_iso

    run = Path(folder)
    if failure is not None:
        errno = pid
        message = f"cannot start {failure}: {os.strerror(errno)}"
        try:
            with open(run / LOG, "a", encoding="utf-8") as log:
                log.write(f"satconf: {message}\n")
        except OSError:
            pass  # the record below says it too

        def failed(r: RunRecord) -> None:
            r.error = message
            r.exit_code = 127 if errno == 2 else 126  # the shell's codes
            r.ended_at = now_iso()
            r.supervisor_pid = me
        _record(run, failed)
        _report(report_fd, f"error {message}")
        return 1

    def started(r: RunRecord) -> None:
        r.pid = pid
        r.pgid = pid  # a new session makes the process its group's leader
        r.pid_start = process_start(pid)
        r.supervisor_pid = me
        r.supervisor_start = process_start(me)
    _record(run, started)  # before the report: a launcher killed now loses nothing
    _report(report_fd, f"ok {pid} {me}")
    if not (run / RESERVE).exists():  # given back for the start: try to have one again
        _make_reserve(str(run / RESERVE))

    try:  # metrics and alerts (satconf.runs.watch) only read the log: never the run's concern
        from satconf.runs.watch import start_watcher

        watcher = start_watcher(run)
    except Exception:
        watcher = None
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except ChildProcessError:
            status = None
            break
    code = os.waitstatus_to_exitcode(status) if status is not None else None

    def ended(r: RunRecord) -> None:
        r.exit_code = code
        r.ended_at = now_iso()
        if code is not None and code < 0:
            import signal

            try:
                r.exit_signal = signal.Signals(-code).name
            except ValueError:
                r.exit_signal = f"signal {-code}"
    _record(run, ended)
    if watcher is not None:
        watcher.close(code)  # after the record: nothing waits on its alerts; never raises
    return 0


def _make_reserve(path: str) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError:
        return
    try:
        os.posix_fallocate(fd, 0, RESERVE_BYTES)
    except OSError:
        pass  # no reserve: the in-place rewrite is still there
    finally:
        os.close(fd)


def _say(message: str) -> None:
    """A line in supervisor.log, if the disk lets it (it may be the very thing that is full)."""
    try:  # noqa: SIM105 - used before contextlib is loaded
        print(f"satconf supervisor: {message}", flush=True)
    except OSError:
        pass


def _record(folder: Path, change: Callable[[RunRecord], None]) -> None:
    """Write `change` into the record whatever the disk does (see the module docstring)."""
    import contextlib
    import time

    from satconf.runs.records import RECORD, RunError, read_record, record_bytes, update_record

    for attempt in range(5):
        try:
            update_record(folder, change)
            break
        except (RunError, OSError) as exc:
            _say(f"the record could not be written ({exc}); try {attempt + 1}")
            try:
                os.unlink(folder / RESERVE)  # give the space back for the record
            except OSError:
                time.sleep(0.2 * (attempt + 1))
    else:
        # Last resort: the same file, rewritten in place (its blocks are already there).
        try:
            record = read_record(folder)
            change(record)
            fd = os.open(folder / RECORD, os.O_WRONLY)
            try:
                data = record_bytes(record)
                os.pwrite(fd, data, 0)
                os.ftruncate(fd, len(data))
                os.fsync(fd)
            finally:
                os.close(fd)
        except (RunError, OSError) as exc:
            _say(f"the record is not up to date: {exc}")
    with contextlib.suppress(OSError):
        if change.__name__ != "started":
            os.unlink(folder / RESERVE)


def main(argv: list[str]) -> int:
    if len(argv) < 6 or argv[4] != "--":
        print("usage: python -m satconf.runs.supervisor RUN_DIR REPORT_FD CWD -- ARGV...",
              file=sys.stderr)
        return 2
    folder, report_fd, cwd, command = argv[1], int(argv[2]), argv[3], argv[5:]
    if os.fork():
        os._exit(0)  # the launcher reaps this one; the child is adopted by init
    try:
        return supervise(folder, report_fd, cwd, command)
    except BaseException as exc:  # the launcher must hear something; the details go to the log
        import contextlib
        import traceback

        traceback.print_exc()
        with contextlib.suppress(OSError):
            _report(report_fd, f"error supervisor failed: {exc}")
        raise


if __name__ == "__main__":
    sys.exit(main(sys.argv))
