"""On a real one-machine SLURM cluster that this test module starts itself.

`scripts/slurm-up.sh` installs Debian's slurm-wlm and munge where missing and
starts munged, slurmctld and slurmd; the fixture stops what it started. Where
that cannot happen (not root, no apt, no network, daemons refuse) the tests
skip with the script's reason. Everything goes through the real CLI.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from satconf.workspace import copy_demo

pytestmark = [pytest.mark.slurm, pytest.mark.slow]

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"
GUARD_S = 300  # a guard against a hung job, not a speed check


def _controller_here() -> bool:
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == "slurmctld":
                return True
        except OSError:
            continue
    return False


def _node_idle() -> bool:
    # Without a controller here, sinfo would wait ~18 s to say it cannot reach one.
    if shutil.which("sinfo") is None or not _controller_here():
        return False
    proc = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True,
                          timeout=30)
    return proc.returncode == 0 and "idle" in proc.stdout


@pytest.fixture(scope="session")
def slurm_cluster() -> Iterator[None]:
    if _node_idle():
        yield  # someone else's cluster: use it, leave it running
        return
    if os.geteuid() != 0:
        pytest.skip("starting a SLURM test cluster needs root (apt-get, munged, slurmd)")
    if shutil.which("sbatch") is None and shutil.which("apt-get") is None:
        pytest.skip("slurm-wlm is not installed and there is no apt-get to install it")
    try:
        up = subprocess.run(["bash", str(SCRIPTS / "slurm-up.sh")], capture_output=True,
                            text=True, timeout=900)
    except subprocess.TimeoutExpired:
        subprocess.run(["bash", str(SCRIPTS / "slurm-down.sh")], capture_output=True)
        pytest.skip("scripts/slurm-up.sh did not finish in 15 minutes")
    if up.returncode != 0:
        subprocess.run(["bash", str(SCRIPTS / "slurm-down.sh")], capture_output=True)
        pytest.skip("no SLURM test cluster: " + (up.stderr.strip() or up.stdout.strip())[-800:])
    try:
        yield
    finally:
        subprocess.run(["bash", str(SCRIPTS / "slurm-down.sh")], capture_output=True,
                       timeout=120)


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
