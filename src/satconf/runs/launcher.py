"""Start a run: write its record, hand it to a detached supervisor, wait for the pid.

`start_run` takes a `RunConfig` (recover applied, checked, planned);
`start_plan` takes any `LaunchPlan` (the cluster helpers start torchrun or
srun commands through it). Both return once the training process runs, or
raise `RunError` saying why it could not start.
"""

from __future__ import annotations

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


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """A JSON-safe copy (paths and enums as text)."""
    return json.loads(json.dumps(values, default=str))


def start_run(config: RunConfig, *, engine: str = "local", recover: bool = True,
              base: Path | None = None) -> RunRecord:
    """Start `config` detached; the record's `notes` say what recover chose."""
    from satconf.command import PlanError

    config, notes = prepare(config, recover=recover)
    try:
        plan = config.plan()
    except PlanError as exc:
        raise RunError(f"the config cannot become a command: {exc}") from None
    normal, _ = config.fields.validate(config.values)
    return start_plan(plan, values=normal, profile=config.profile, gpus=config.gpus,
                      python=config.python, workspace=str(config.workspace.root),
                      notes=notes, engine=engine, base=base)


def prepare(config: RunConfig, *, recover: bool = True) -> tuple[RunConfig, list[str]]:
    """Recover applied and the config checked, whatever engine starts it; raises RunError."""
    notes: list[str] = []
    if recover:
        from satconf.runs.recover import apply_recover

        config, message = apply_recover(config)
        if message:
            notes.append(message)
    errors = config.errors()
    if errors:
        lines = [f"{key}: {msg}" for key, msgs in errors.items() for msg in msgs]
        raise RunError("the config has errors; nothing was launched\n" + "\n".join(lines))
    return config, notes


def start_plan(plan: LaunchPlan, *, values: dict[str, Any] | None = None,
               profile: str | None = None, gpus: list[int] | None = None,
               python: str | None = None, workspace: str = "", notes: list[str] | None = None,
               engine: str = "local", extra: dict[str, Any] | None = None,
               base: Path | None = None) -> RunRecord:
    """Start `plan` under a detached supervisor and return its record (pid set)."""
    if base is None:
        from satconf.workspace import runs_dir

        base = runs_dir()
    values = _plain(values or {})
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
    """Start the supervisor; (training pid, supervisor pid) once it runs, else RunError."""
    read_fd, write_fd = os.pipe()
    try:
        with open(folder / SUPERVISOR_LOG, "ab") as slog:
            first = subprocess.Popen(
                [sys.executable, "-m", "satconf.runs.supervisor", str(folder), str(write_fd),
                 plan.cwd, "--", *plan.argv],
                stdin=subprocess.DEVNULL, stdout=slog, stderr=subprocess.STDOUT, env=env,
                cwd=folder, pass_fds=(write_fd,), start_new_session=True,
            )
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
    log = folder / SUPERVISOR_LOG
    tail = log.read_text(errors="replace").strip().splitlines()[-5:] if log.is_file() else []
    raise RunError("the run's supervisor did not report a start"
                   + (":\n" + "\n".join(tail) if tail else f"; see {log}"))


def _read_report(fd: int, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    data = b""
    while b"\n" not in data:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        data += chunk
    return data.decode("utf-8", "replace").strip()
