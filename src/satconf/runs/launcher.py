"""Start a run: write its record, hand it to a detached supervisor, wait for the pid.

`start_plan` takes any `LaunchPlan` (the local and torchrun engines start
through it); `start_run` is the short way for a `RunConfig` on this machine.
Both return once the training process runs, or raise `RunError` saying why
it could not start.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from satconf.runs.procs import process_start
from satconf.runs.records import (
    LOG,
    SUPERVISOR_LOG,
    RunError,
    RunRecord,
    new_run_id,
    now_iso,
    public_env,
    update_record,
    write_record,
)

if TYPE_CHECKING:
    from satconf.command import LaunchPlan
    from satconf.runconfig import RunConfig

REPORT_TIMEOUT_S = 30.0


def plain_values(values: dict[str, Any]) -> dict[str, Any]:
    """A JSON-safe copy (paths and enums as text)."""
    return json.loads(json.dumps(values, default=str))


def start_run(config: RunConfig, *, recover: bool = True,
              base: Path | None = None) -> RunRecord:
    """Start `config` on this machine, recover applied, without the preflight checks (the
    launch use case, `satconf.launch`, is what checks); the record's notes say what
    recover chose. Raises RunError."""
    from satconf.command import PlanError
    from satconf.runs.engines.local import ENGINE

    notes: list[str] = []
    if recover:
        from satconf.runs.recover import apply_recover

        config, message = apply_recover(config)
        if message:
            notes.append(message)
    try:
        from satconf.cluster.options import ClusterOptions

        plan = ENGINE.plan(config, ClusterOptions())
    except PlanError as exc:
        raise RunError(f"the config has errors; nothing was launched\n{exc}") from None
    return ENGINE.start(config, plan, notes=notes, extra={}, base=base)


def start_plan(plan: LaunchPlan, *, values: dict[str, Any] | None = None,
               profile: str | None = None, gpus: list[int] | None = None,
               python: str | None = None, workspace: str = "", notes: list[str] | None = None,
               engine: str = "local", extra: dict[str, Any] | None = None,
               base: Path | None = None) -> RunRecord:
    """Start `plan` under a detached supervisor and return its record (pid set)."""
    if base is None:
        from satconf.workspace import runs_dir

        base = runs_dir()
    values = plain_values(values or {})
    run_id = new_run_id()
    folder = base / run_id
    folder.mkdir(parents=True, exist_ok=False)
    name = values.get("name")
    record = RunRecord(
        id=run_id, engine=engine, profile=profile,
        name=name if isinstance(name, str) else None, values=values,
        argv=list(plan.argv), env=public_env(dict(plan.env)), cwd=plan.cwd,
        python=python or (plan.argv[0] if plan.argv else ""), gpus=gpus,
        host=socket.gethostname(), workspace=workspace, started_at=now_iso(),
        notes=list(notes or []), extra=dict(extra or {}),
    )
    write_record(folder, record)
    (folder / LOG).touch()
    pid, supervisor = _spawn_supervisor(folder, plan, {**os.environ, **plan.env})

    def started(r: RunRecord) -> None:
        if r.pid is None:  # the supervisor may have been first
            r.pid = r.pgid = pid
            r.pid_start = process_start(pid)
            r.supervisor_pid = supervisor
            r.supervisor_start = process_start(supervisor)
    return update_record(folder, started)


def _spawn_supervisor(folder: Path, plan: LaunchPlan, env: dict[str, str]) -> tuple[int, int]:
    """Start the supervisor; (training pid, supervisor pid) once it runs, else RunError.

    The supervisor records the pids before it reports them, so a report lost
    on the way (a pipe cut, a slow start) is made up for from the record.
    """
    read_fd, write_fd = os.pipe()
    try:
        try:
            slog_fd = os.open(folder / SUPERVISOR_LOG,
                              os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise RunError(f"cannot write in the run folder {folder} ({exc.strerror})") from None
        try:
            first = subprocess.Popen(
                [sys.executable, "-m", "satconf.runs.supervisor", str(folder), str(write_fd),
                 plan.cwd, "--", *plan.argv],
                stdin=subprocess.DEVNULL, stdout=slog_fd, stderr=subprocess.STDOUT, env=env,
                cwd=folder, pass_fds=(write_fd,), start_new_session=True,
            )
        except OSError as exc:
            raise RunError(f"cannot start the run's supervisor ({exc.strerror})") from None
        finally:
            os.close(slog_fd)
        os.close(write_fd)
        write_fd = -1
        first.wait()  # it forks the real supervisor and exits at once
        message = _read_report(read_fd, REPORT_TIMEOUT_S)
    finally:
        os.close(read_fd)
        if write_fd >= 0:
            os.close(write_fd)
    status, _, detail = message.partition(" ")
    pids = detail.split()
    if status == "ok" and len(pids) == 2 and all(p.isdigit() for p in pids):
        return int(pids[0]), int(pids[1])
    if status == "error":
        raise RunError(detail)
    from satconf.runs.records import read_record

    with contextlib.suppress(RunError):
        recorded = read_record(folder)
        if recorded.pid is not None and recorded.supervisor_pid is not None:
            return recorded.pid, recorded.supervisor_pid
    log = folder / SUPERVISOR_LOG
    tail = log.read_text(errors="replace").strip().splitlines()[-5:] if log.is_file() else []
    raise RunError("the run's supervisor did not report a start"
                   + (":\n" + "\n".join(tail) if tail else f"; see {log}"))


def _read_report(fd: int, timeout: float) -> str:
    """The supervisor's one line, or what came of it by `timeout` ("" for nothing)."""
    deadline = time.monotonic() + timeout
    data = b""
    while b"\n" not in data and len(data) < 65536:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                break
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    return data.decode("utf-8", "replace").strip()
