"""On a real one-machine SLURM cluster that this test module starts itself.

`scripts/slurm-up.sh` installs Debian's slurm-wlm and munge where missing and
starts munged, slurmctld and slurmd; the fixture stops what it started. Where
that cannot happen (not root, no apt, no network, daemons refuse) the tests
skip with the script's reason. Everything goes through the real CLI.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from satconf.workspace import copy_demo

pytestmark = [pytest.mark.slurm, pytest.mark.slow]

GUARD_S = 300  # a guard against a hung job, not a speed check


def _show(run_satconf, run_id: str) -> dict:
    proc = run_satconf("runs", "show", run_id, "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _wait(run_satconf, run_id: str, until: tuple[str, ...]) -> dict:
    deadline = time.monotonic() + GUARD_S
    while True:
        data = _show(run_satconf, run_id)
        if data["status"] in until or time.monotonic() > deadline:
            return data
        time.sleep(2)


def test_two_task_ddp_job_completes_with_a_checkpoint(slurm_cluster: None, run_satconf,
                                                      tmp_path: Path) -> None:
    ws = copy_demo(tmp_path / "demo")
    proc = run_satconf(
        "launch", "--workspace", str(ws), "--engine", "slurm", "--json",
        "--nodes", "1", "--gpus-per-node", "0", "--tasks-per-node", "2",
        "--set", "strategy=ddp", "--set", "max_steps=4", "--set", "checkpoint_every=2",
        "--set", "num_workers=0", "--set", "batch_size=2", "--job-name", "satconf-test")
    assert proc.returncode == 0, proc.stderr
    launched = json.loads(proc.stdout)
    run_id, job_id = launched["run_id"], launched["job_id"]
    assert job_id and job_id.isdigit()

    data = _wait(run_satconf, run_id, ("succeeded", "failed", "stopped", "lost"))
    assert data["status"] == "succeeded", Path(data["log"]).read_text()[-4000:]
    assert data["engine"] == "slurm" and data["job_id"] == job_id and data["exit_code"] == 0
    data = _show(run_satconf, run_id)  # the result is kept in the record once seen
    assert data["status"] == "succeeded" and data["ended_at"]
    log = Path(data["log"]).read_text()
    # Two DDP processes under SLURM, as Lightning saw them.
    assert "strategy DDPStrategy" in log and "cpu x 2" in log
    assert "Starting with 2 processes" in log or "MEMBER: 2/2" in log
    ckpts = sorted((ws / "checkpoints").glob("epoch=*-step=*.ckpt"))
    assert [p.name.split("step=")[1] for p in ckpts] == ["2.ckpt", "4.ckpt"]
    script = (Path(data["log"]).parent / "job.sbatch").read_text()
    assert "#SBATCH --ntasks-per-node=2\n" in script and "#SBATCH --nodes=1\n" in script

    # `runs logs` reads the job's output file.
    logs = run_satconf("runs", "logs", run_id)
    assert logs.returncode == 0 and "finished at step 4" in logs.stdout


def test_stop_cancels_the_job(slurm_cluster: None, run_satconf, tmp_path: Path) -> None:
    ws = copy_demo(tmp_path / "demo")
    proc = run_satconf(
        "launch", "--workspace", str(ws), "--engine", "slurm", "--json",
        "--gpus-per-node", "0", "--set", "max_steps=-1", "--set", "num_workers=0")
    assert proc.returncode == 0, proc.stderr
    launched = json.loads(proc.stdout)
    run_id = launched["run_id"]
    try:
        assert _wait(run_satconf, run_id, ("running",))["status"] == "running"
        stop = run_satconf("runs", "stop", run_id, "--json")
        assert stop.returncode == 0, stop.stderr
        data = _wait(run_satconf, run_id, ("stopped", "failed", "succeeded", "lost"))
    finally:
        subprocess.run(["scancel", launched["job_id"]], capture_output=True)  # never left behind
    assert data["status"] == "stopped"
    assert [s["signal"] for s in data["stop_steps"]] == ["scancel"]
    squeue = subprocess.run(["squeue", "-h", "-j", data["job_id"]], capture_output=True,
                            text=True)
    assert squeue.stdout.strip() == ""


def test_sbatch_refusal_is_reported_and_kept(slurm_cluster: None, run_satconf,
                                             tmp_path: Path) -> None:
    """The test cluster has no GPUs: sbatch refuses a GPU job, and satconf says why."""
    ws = copy_demo(tmp_path / "demo")
    proc = run_satconf("launch", "--workspace", str(ws), "--engine", "slurm",
                       "--gpus-per-node", "1")
    assert proc.returncode == 1
    assert "sbatch refused the job" in proc.stderr and "Traceback" not in proc.stderr
    data = _show(run_satconf, "last")
    assert data["status"] == "failed" and data["job_id"] is None
    assert "sbatch refused the job" in data["error"]


def test_a_job_slurm_does_not_know_is_lost(slurm_cluster: None, run_satconf) -> None:
    from satconf.runs.records import RunRecord, now_iso, run_dir, write_record

    record = RunRecord(id="20260101-000000-0000", engine="slurm", job_id="987654321",
                       started_at=now_iso())
    run_dir(record.id).mkdir(parents=True)
    write_record(run_dir(record.id), record)
    assert _show(run_satconf, record.id)["status"] == "lost"
