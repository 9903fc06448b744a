"""A sweep on SLURM: one job array, each task reading its own command from a file.

satconf writes one file per task (`task-<k>.argv`, the train.py command line
as NUL-separated words, so no value is ever re-parsed by a shell) and one
batch script with `#SBATCH --array=<tasks>%<throttle>`; each task reads
`task-$SLURM_ARRAY_TASK_ID.argv`. Every task has its own run folder
(`<prefix>-<k>`) and run record (engine `slurm`, job id `<array id>_<k>`), so
`runs list`, `runs logs` and `runs stop` work per task, and the SLURM engine's
status (squeue, sacct, scontrol, then the exit file the task wrote) applies
unchanged. A resume submits a new array of only the tasks to rerun.
"""

from __future__ import annotations

import shlex
import socket
from pathlib import Path
from typing import TYPE_CHECKING

from satconf.cluster import slurm
from satconf.cluster.plan import EXIT_NAME, LOG_NAME, SCRIPT_NAME
from satconf.runs.launcher import plain_values
from satconf.runs.records import (
    RunError,
    RunRecord,
    new_run_id,
    now_iso,
    public_env,
    update_record,
    write_record,
)

if TYPE_CHECKING:
    from satconf.launch import Prepared

_SLURM_OWNED_ENV = ("CUDA_VISIBLE_DEVICES",)


def array_spec(ks: list[int], throttle: int | None) -> str:
    """`0-3` for a whole range, `1,3` for a resume's few, with `%throttle`."""
    ks = sorted(ks)
    text = (f"{ks[0]}-{ks[-1]}" if ks == list(range(ks[0], ks[-1] + 1)) and len(ks) > 1
            else ",".join(map(str, ks)))
    return text + (f"%{throttle}" if throttle else "")


def array_script(first: Prepared, *, ks: list[int], throttle: int | None, runs: Path,
                 prefix: str, tasks: Path, sweep_id: str, name: str) -> str:
    plan = first.plan
    assert plan is not None
    local = plan.local
    output = str(runs / f"{prefix}-%a" / LOG_NAME)
    lines = slurm.directives(first.options, nodes=plan.nodes,
                             job_name=first.options.job_name or name, output=output)
    out = ["#!/bin/bash", f"# Written by satconf: sweep {sweep_id}, one array task per run."]
    out += [f"#SBATCH {line}" for line in lines]
    out.append(f"#SBATCH --array={array_spec(ks, throttle)}")
    out += ["", 'task="${SLURM_ARRAY_TASK_ID:?satconf: this script runs as a job array}"',
            f"run={shlex.quote(str(runs / prefix))}-\"$task\"",
            f'rm -f "$run/{EXIT_NAME}"  # a requeued task starts afresh',
            f"cd {shlex.quote(local.cwd)} || exit 1"]
    out += [f"export {k}={shlex.quote(v)}" for k, v in local.env.items()
            if k not in _SLURM_OWNED_ENV]
    out += [f"mapfile -d '' -t argv < {shlex.quote(str(tasks))}/task-\"$task\".argv",
            'srun "${argv[@]}"', "status=$?", f'echo "$status" > "$run/{EXIT_NAME}"',
            'exit "$status"']
    return "\n".join(out) + "\n"


def submit_array(prepared: dict[int, Prepared], *, sweep_id: str, name: str, folder: Path,
                 throttle: int | None, base: Path | None = None) -> tuple[str, dict[int, str]]:
    """Write the task files and records, sbatch the array; (array job id, k -> run id).

    The records are written before sbatch, so a refused array is kept, each task's
    record saying why (status failed), and raised as RunError."""
    if base is None:
        from satconf.workspace import runs_dir

        base = runs_dir()
    ks = sorted(prepared)
    prefix = new_run_id()
    tasks = folder / prefix
    tasks.mkdir(parents=True, exist_ok=True)
    run_ids: dict[int, str] = {}
    for k in ks:
        p = prepared[k]
        assert p.plan is not None
        argv = p.plan.local.argv
        (tasks / f"task-{k}.argv").write_bytes(b"".join(a.encode() + b"\0" for a in argv))
        run_id = f"{prefix}-{k}"
        run_folder = base / run_id
        run_folder.mkdir(parents=True, exist_ok=False)
        run_name = p.config.normal.get("name")
        write_record(run_folder, RunRecord(
            id=run_id, engine="slurm", profile=p.config.profile,
            name=run_name if isinstance(run_name, str) else None,
            values=plain_values(p.config.normal), argv=list(argv),
            env=public_env(dict(p.plan.local.env)), cwd=p.plan.local.cwd,
            python=p.config.python, gpus=p.config.gpus, host=socket.gethostname(),
            workspace=str(p.config.workspace.root), started_at=now_iso(), notes=list(p.notes),
            extra={"batch_script": str(tasks / SCRIPT_NAME), "nodes": p.plan.nodes,
                   "tasks_per_node": p.options.tasks(), "cluster": p.options.to_options(),
                   "sweep": {"id": sweep_id, "k": k}}))
        (run_folder / LOG_NAME).touch()
        run_ids[k] = run_id
    first = prepared[ks[0]]
    script = tasks / SCRIPT_NAME
    script.write_text(array_script(first, ks=ks, throttle=throttle, runs=base, prefix=prefix,
                                   tasks=tasks, sweep_id=sweep_id, name=name),
                      encoding="utf-8")
    try:
        job_id = slurm.submit(script, cwd=first.plan.local.cwd if first.plan else None)
    except slurm.SlurmError as exc:
        reason = str(exc)
        for run_id in run_ids.values():
            def refused(r: RunRecord) -> None:
                r.error = reason
                r.ended_at = now_iso()
            update_record(base / run_id, refused)
        raise RunError(reason) from None
    for k, run_id in run_ids.items():
        update_record(base / run_id, lambda r, k=k: setattr(r, "job_id", f"{job_id}_{k}"))
    return job_id, run_ids
