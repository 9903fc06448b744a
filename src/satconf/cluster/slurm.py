"""SLURM: the batch script Lightning expects, and sbatch / squeue / sacct / scancel.

The script asks for `--nodes` = num_nodes and `--ntasks-per-node` = the
processes per node (one per GPU), which is what Lightning's SLURM environment
checks; `--signal=SIGUSR1@90` lets Lightning save and requeue before the time
limit. It runs `srun <training python> train.py <flags>` in the workspace and
writes srun's exit status to a file, so a finished job's result is known even
where the cluster keeps no accounting.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from satconf.cluster.options import ClusterOptions
from satconf.command import LaunchPlan, PlanError

SBATCH_HINT = ("sbatch is not installed or not on PATH: run satconf on a SLURM login node, "
               "or pick --engine local / torchrun")
_TIMEOUT = 20.0  # seconds for one SLURM client call; a slow controller is not a hang

# Run status words, as the run records use them.
QUEUED, RUNNING, SUCCEEDED, FAILED, STOPPED = "queued", "running", "succeeded", "failed", "stopped"
_STATES: dict[str, str] = {
    "PENDING": QUEUED, "CONFIGURING": QUEUED, "REQUEUED": QUEUED, "REQUEUE_HOLD": QUEUED,
    "REQUEUE_FED": QUEUED, "RESV_DEL_HOLD": QUEUED,
    "RUNNING": RUNNING, "COMPLETING": RUNNING, "SUSPENDED": RUNNING, "RESIZING": RUNNING,
    "STAGE_OUT": RUNNING, "SIGNALING": RUNNING, "STOPPED": RUNNING,
    "COMPLETED": SUCCEEDED,
    "CANCELLED": STOPPED,
    "FAILED": FAILED, "TIMEOUT": FAILED, "NODE_FAIL": FAILED, "OUT_OF_MEMORY": FAILED,
    "BOOT_FAIL": FAILED, "DEADLINE": FAILED, "PREEMPTED": FAILED, "REVOKED": FAILED,
    "SPECIAL_EXIT": FAILED,
}
# Environment that SLURM itself decides on the node; never copied into the script.
_SLURM_OWNED_ENV = ("CUDA_VISIBLE_DEVICES",)


class SlurmError(Exception):
    """A SLURM client command that failed or is missing, with what it said."""


@dataclass(frozen=True)
class JobState:
    job_id: str
    slurm_state: str  # SLURM's word, e.g. RUNNING, COMPLETED; "" when SLURM no longer knows
    status: str | None  # queued / running / succeeded / failed / stopped; None: unknown
    exit_code: int | None = None
    source: str = ""  # squeue, sacct or scontrol


def sbatch_path() -> str | None:
    return shutil.which("sbatch")


class BatchScriptError(PlanError, ValueError):
    """A name or path that no #SBATCH line can carry; the message says which and why."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__({key: [message]})


_UNSAFE = re.compile(r'["\x00-\x1f\x7f]')


def _directive_value(text: str, what: str = "value", key: str = "sbatch") -> str:
    """A value sbatch reads back whole from an #SBATCH line (it honours double quotes).

    A double quote or a control character (a newline ends the line) cannot be
    quoted there: BatchScriptError, a PlanError, so every launch path reports it
    as a one-line error.
    """
    if re.fullmatch(r"[A-Za-z0-9_.,:+=@/%-]+", text):
        return text
    bad = _UNSAFE.search(text)
    if bad is not None:
        char = {'"': 'a double quote (")', "\n": "a newline"}.get(bad.group(),
                                                                   f"{bad.group()!r}")
        raise BatchScriptError(key, f"the {what} {text!r} holds {char}, which cannot be "
                               "written on an #SBATCH line; pick another")
    return f'"{text}"'


def directives(opts: ClusterOptions, *, nodes: int, job_name: str, output: str) -> list[str]:
    """The `#SBATCH` options, in a fixed order."""
    lines = [f"--job-name={_directive_value(job_name, 'job name', 'name')}",
             f"--nodes={nodes}",
             f"--ntasks-per-node={opts.tasks()}"]
    if opts.gpus_per_node > 0:
        lines.append(f"--gres=gpu:{opts.gpus_per_node}" if opts.gpu_request == "gres"
                     else f"--gpus-per-node={opts.gpus_per_node}")
    if opts.cpus_per_task is not None:
        lines.append(f"--cpus-per-task={opts.cpus_per_task}")
    if opts.partition:
        lines.append(f"--partition={_directive_value(opts.partition, 'partition', 'partition')}")
    if opts.account:
        lines.append(f"--account={_directive_value(opts.account, 'account', 'account')}")
    if opts.time_limit:
        lines.append(f"--time={opts.time_limit}")
    lines += ["--signal=SIGUSR1@90",
              f"--output={_directive_value(output, 'log path', 'SATCONF_HOME')}",
              "--open-mode=append"]
    for extra in opts.extra_sbatch:
        if _UNSAFE.search(extra.replace('"', "")):
            raise BatchScriptError("sbatch", f"the sbatch option {extra!r} holds a control "
                                   "character (a newline?), which cannot be written on an "
                                   "#SBATCH line")
        lines.append(extra)
    return lines


def batch_script(plan: LaunchPlan, opts: ClusterOptions, *, nodes: int, job_name: str,
                 output: str, exit_file: str | None = None) -> str:
    """The whole batch script for `plan` (the local launch plan of the same config)."""
    out = ["#!/bin/bash", "# Written by satconf: submit with `sbatch <this file>`."]
    out += [f"#SBATCH {line}" for line in directives(opts, nodes=nodes, job_name=job_name,
                                                     output=output)]
    out.append("")
    if exit_file is not None:
        out.append(f"rm -f {shlex.quote(exit_file)}  # a requeued job starts afresh")
    out.append(f"cd {shlex.quote(plan.cwd)} || exit 1")
    out += [f"export {k}={shlex.quote(v)}" for k, v in plan.env.items()
            if k not in _SLURM_OWNED_ENV]
    out.append("srun " + shlex.join(plan.argv))
    if exit_file is not None:
        out += ["status=$?", f"echo \"$status\" > {shlex.quote(exit_file)}", "exit \"$status\""]
    return "\n".join(out) + "\n"


def _run(argv: list[str], *, cwd: str | None = None,
         timeout: float = _TIMEOUT) -> subprocess.CompletedProcess[str]:
    if shutil.which(argv[0]) is None:
        raise SlurmError(f"{argv[0]} is not installed or not on PATH" if argv[0] != "sbatch"
                         else SBATCH_HINT)
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=cwd,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise SlurmError(f"{argv[0]} did not answer within {timeout:.0f} s") from None
    except OSError as exc:
        raise SlurmError(f"{argv[0]} could not run: {exc}") from None


def submit(script: Path, *, cwd: str | None = None) -> str:
    """Submit a batch script; returns the job id. Raises SlurmError with sbatch's message."""
    proc = _run(["sbatch", "--parsable", str(script)], cwd=cwd)
    if proc.returncode != 0:
        msg = (proc.stderr or proc.stdout).strip() or f"exit status {proc.returncode}"
        raise SlurmError(f"sbatch refused the job: {msg}")
    job_id = proc.stdout.strip().split(";")[0]
    if not job_id.isdigit():
        raise SlurmError(f"sbatch answered {proc.stdout.strip()!r}, not a job id")
    return job_id


def cancel(job_id: str) -> None:
    """Ask SLURM to cancel the job (all its steps); raises SlurmError."""
    proc = _run(["scancel", str(job_id)])
    if proc.returncode != 0:
        msg = (proc.stderr or proc.stdout).strip() or f"exit status {proc.returncode}"
        raise SlurmError(f"scancel {job_id}: {msg}")


def _word(state: str) -> str:
    # sacct writes e.g. "CANCELLED by 0"; scontrol may add "+" flags.
    return state.strip().split(" ")[0].rstrip("+").upper()


def _exit_code(text: str) -> int | None:
    code = text.strip().split(":")[0]
    return int(code) if code.isdigit() else None


class _Unreachable(Exception):
    """The controller does not answer: every other query would wait as long."""


_QUERY_TIMEOUT = 12.0
_UNREACHABLE_FOR_S = 60.0  # after a failed contact, status queries answer at once
_unreachable_until = 0.0


def _query(argv: list[str]) -> subprocess.CompletedProcess[str]:
    global _unreachable_until
    try:
        proc = _run(argv, timeout=_QUERY_TIMEOUT)
    except SlurmError as exc:
        if "did not answer" in str(exc):
            _unreachable_until = time.monotonic() + _UNREACHABLE_FOR_S
        raise _Unreachable(str(exc)) from None
    if proc.returncode != 0 and "Unable to contact" in proc.stderr:
        _unreachable_until = time.monotonic() + _UNREACHABLE_FOR_S
        raise _Unreachable(proc.stderr.strip())
    return proc


def _from_squeue(job_id: str) -> JobState | None:
    proc = _query(["squeue", "-h", "-j", job_id, "-o", "%T"])
    state = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not state:
        return None
    word = _word(state[0])
    return JobState(job_id, word, _STATES.get(word, RUNNING), None, "squeue")


def _from_sacct(job_id: str) -> JobState | None:
    if shutil.which("sacct") is None:
        return None
    try:
        proc = _query(["sacct", "-n", "-X", "-P", "-j", job_id, "-o", "State,ExitCode"])
    except _Unreachable:
        return None  # no accounting database is usual; scontrol may still know
    rows = [r for r in proc.stdout.strip().splitlines() if "|" in r]
    if proc.returncode != 0 or not rows:
        return None
    state, _, code = rows[-1].partition("|")
    word = _word(state)
    return JobState(job_id, word, _STATES.get(word), _exit_code(code), "sacct")


def _from_scontrol(job_id: str) -> JobState | None:
    if shutil.which("scontrol") is None:
        return None
    proc = _query(["scontrol", "-o", "show", "job", job_id])
    found = dict(re.findall(r"(JobState|ExitCode)=(\S+)", proc.stdout))
    if proc.returncode != 0 or "JobState" not in found:
        return None
    word = _word(found["JobState"])
    return JobState(job_id, word, _STATES.get(word), _exit_code(found.get("ExitCode", "")),
                    "scontrol")


def job_state(job_id: str) -> JobState:
    """What SLURM knows of the job: squeue while queued or running, then sacct, then
    scontrol (which keeps finished jobs for MinJobAge).

    status None with source "slurm": SLURM answered and no longer knows the job;
    status None with source "": SLURM cannot be asked from here (not installed, or
    the controller does not answer), so nothing is known."""
    if time.monotonic() < _unreachable_until or shutil.which("squeue") is None:
        return JobState(str(job_id), "", None, None, "")
    try:
        for probe in (_from_squeue, _from_sacct, _from_scontrol):
            found = probe(str(job_id))
            if found is not None:
                return found
    except _Unreachable:
        return JobState(str(job_id), "", None, None, "")
    return JobState(str(job_id), "", None, None, "slurm")
