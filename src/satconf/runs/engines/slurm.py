"""The SLURM engine: a batch script submitted with sbatch, followed as a run record.

A SLURM run is a record with `engine = "slurm"` and the `job_id`; its log is
the job's output file, which the batch script sends to the run folder's
`train.log`. Status asks SLURM (squeue, then sacct, then scontrol) and, once
SLURM has forgotten the job, reads the exit status the batch script wrote.
A finished job's result is written into the record, so it stays known.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from satconf.cluster import slurm
from satconf.cluster.options import ClusterOptions
from satconf.cluster.plan import EXIT_NAME, SCRIPT_NAME, EnginePlan, slurm_plan
from satconf.runconfig import RunConfig
from satconf.runs.launcher import plain_values
from satconf.runs.records import (
    LOG,
    RunError,
    RunRecord,
    StopStep,
    now_iso,
    public_env,
    read_record,
    run_dir,
    update_record,
    write_record,
)
from satconf.runs.status import (
    FAILED,
    LOST,
    QUEUED,
    RUNNING,
    STOPPED,
    UNKNOWN,
    ended_status,
)

if TYPE_CHECKING:
    from satconf.checks.finding import Finding

ENGINE_NAME = "slurm"


class SlurmEngine:
    name = ENGINE_NAME
    option_keys = ("gpus_per_node", "tasks_per_node", "gpu_request", "partition", "account",
                   "time_limit", "cpus_per_task", "job_name", "extra_sbatch")

    def plan(self, config: RunConfig, opts: ClusterOptions, *,
             folder: Path | None = None) -> EnginePlan:
        return slurm_plan(config, opts, folder=folder)

    def findings(self, config: RunConfig, opts: ClusterOptions, *,
                 submitting: bool) -> list[Finding]:
        from satconf.cluster.checks import cluster_findings

        return cluster_findings(config, opts, submitting=submitting)

    def start(self, config: RunConfig, plan: EnginePlan, *, notes: list[str],
              extra: dict[str, Any], base: Path | None = None) -> RunRecord:
        return submit(config, plan, notes=notes, extra=extra, base=base)

    def status(self, record: RunRecord) -> str:
        return slurm_status(record)

    def stop(self, folder: Path, record: RunRecord, grace: tuple[float, float]) -> RunRecord:
        return slurm_stop(folder, record, grace)


def submit(config: RunConfig, plan: EnginePlan, *, notes: list[str], extra: dict[str, Any],
           base: Path | None = None) -> RunRecord:
    """Write the planned batch script into a new run folder, sbatch it, record the job id.

    The script is the previewed one with the run folder filled in for its
    placeholder. The record is written before sbatch runs, so a refused
    submission is kept with its reason (status failed) and raised as RunError."""
    import socket

    from satconf.runs.records import new_run_id

    if base is None:
        from satconf.workspace import runs_dir

        base = runs_dir()
    run_id = new_run_id()
    folder = base / run_id
    folder.mkdir(parents=True, exist_ok=False)
    script = folder / SCRIPT_NAME
    text = plan.script or ""
    if plan.folder:
        text = text.replace(plan.folder, str(folder))
    script.write_text(text, encoding="utf-8")
    opts = plan.options
    name = config.normal.get("name")
    record = RunRecord(
        id=run_id, engine=ENGINE_NAME, profile=config.profile,
        name=name if isinstance(name, str) else None, values=plain_values(config.normal),
        argv=list(plan.local.argv), env=public_env(dict(plan.local.env)), cwd=plan.local.cwd,
        python=config.python, gpus=config.gpus, host=socket.gethostname(),
        workspace=str(config.workspace.root), started_at=now_iso(), notes=list(notes),
        extra={**extra, "batch_script": str(script), "nodes": plan.nodes,
               "tasks_per_node": opts.tasks(), "cluster": opts.to_options()},
    )
    write_record(folder, record)
    (folder / LOG).touch()
    try:
        job_id = slurm.submit(script, cwd=plan.local.cwd)
    except slurm.SlurmError as exc:
        reason = str(exc)

        def refused(r: RunRecord) -> None:
            r.error = reason
            r.ended_at = now_iso()
        update_record(folder, refused)
        raise RunError(reason) from None
    return update_record(folder, lambda r: setattr(r, "job_id", job_id))


def submit_run(config: RunConfig, opts: ClusterOptions, *, base: Path | None = None) -> RunRecord:
    """Plan and submit `config` (recover applied first), without the launch use case's checks:
    for scripts and tests that hold a config and options already."""
    from satconf.command import PlanError
    from satconf.runs.recover import apply_recover

    config, note = apply_recover(config)
    try:
        plan = slurm_plan(config, opts)
    except PlanError as exc:
        raise RunError(f"the config cannot become a command: {exc}") from None
    return submit(config, plan, notes=[note] if note else [], extra={}, base=base)


def _exit_file_code(folder: Path) -> int | None:
    try:
        text = (folder / EXIT_NAME).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return int(text) if text.lstrip("-").isdigit() else None


def slurm_status(record: RunRecord) -> str:
    """queued/running from SLURM; once the job ends, its result (kept in the record).

    The exit status the batch script wrote is read first: a finished job needs
    no question to SLURM, and stays known after SLURM forgets it."""
    if record.ended_at or record.exit_code is not None:
        return ended_status(record)
    if not record.job_id:
        return FAILED if record.error else LOST
    folder = run_dir(record.id)
    code = _exit_file_code(folder)
    if code is not None:
        state = slurm.JobState(record.job_id, "", None, code, "exit file")
    else:
        state = slurm.job_state(record.job_id)
        if state.status in (slurm.QUEUED, slurm.RUNNING):
            return QUEUED if state.status == slurm.QUEUED else RUNNING
        if state.status is None:
            if not state.source:
                return UNKNOWN  # SLURM cannot be asked from this machine right now
            return STOPPED if record.stop_requested else LOST
        code = state.exit_code if state.exit_code is not None else (
            0 if state.status == slurm.SUCCEEDED else 1)
        if state.status != slurm.SUCCEEDED and code == 0:
            code = 1  # cancelled or failed before srun returned: not a success

    def finish(r: RunRecord) -> None:
        r.exit_code = code
        r.ended_at = r.ended_at or now_iso()
        if state.slurm_state:
            r.extra["slurm_state"] = state.slurm_state
        if state.status == slurm.STOPPED and not r.stop_steps:
            r.stop_steps.append(StopStep(signal="scancel", at=now_iso(),
                                         result="cancelled outside satconf"))

    finish(record)  # the caller's copy too, for whoever shows it next
    with contextlib.suppress(OSError, RunError):  # a read-only runs folder: keep nothing
        update_record(folder, finish)
    return ended_status(record)


def slurm_stop(folder: Path, record: RunRecord, grace: tuple[float, float]) -> RunRecord:
    """scancel the job (SLURM signals every task), record it, wait for the job to end."""
    if not record.job_id:
        raise RunError(f"run {record.id} has no SLURM job id")
    try:
        slurm.cancel(record.job_id)
        result = "sent"
    except slurm.SlurmError as exc:
        result = f"error: {exc}"
    step = StopStep(signal="scancel", at=now_iso(), result=result)
    record = update_record(folder, lambda r: r.stop_steps.append(step))
    if result != "sent":
        raise RunError(result.removeprefix("error: "))
    deadline = time.monotonic() + sum(grace)
    while time.monotonic() < deadline:
        if slurm_status(read_record(folder)) not in (RUNNING, QUEUED):
            break
        time.sleep(0.5)
    return read_record(folder)


ENGINE = SlurmEngine()
