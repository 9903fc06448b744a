"""A 4-run sweep of the demo trainer as one SLURM job array, on the one-machine cluster.

A failure is planted in one task (its trainer exits 3 while a marker file
exists); `sweep resume` must rerun that task alone.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from satconf.workspace import copy_demo

pytestmark = [pytest.mark.slurm, pytest.mark.slow]

GUARD_S = 400  # a guard against a hung job, not a speed check
PLANT = """
import os as _os, sys as _sys
if _os.path.exists("FAIL") and "--seed=3" in _sys.argv:
    print("planted failure", flush=True)
    _sys.exit(3)
"""


def _show(run_satconf, sweep_id: str) -> dict:
    proc = run_satconf("sweep", "show", sweep_id, "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _wait_ended(run_satconf, sweep_id: str) -> dict:
    deadline = time.monotonic() + GUARD_S
    while True:
        data = _show(run_satconf, sweep_id)
        if all(r["status"] not in ("queued", "running") for r in data["runs"]):
            return data
        assert time.monotonic() < deadline, data
        time.sleep(2)


def test_sweep_is_one_job_array_and_resume_reruns_only_the_failed_task(
        slurm_cluster: None, run_satconf, tmp_path: Path) -> None:
    ws = copy_demo(tmp_path / "demo")
    train = ws / "train.py"
    text = train.read_text()
    head = "from __future__ import annotations\n"
    train.write_text(text.replace(head, head + PLANT, 1))
    (ws / "FAIL").touch()
    proc = run_satconf(
        "sweep", "--workspace", str(ws), "--engine", "slurm", "--gpus-per-node", "0",
        "--set", "name=sw", "--set", "max_steps=2", "--set", "num_workers=0",
        "--set", "batch_size=2", "--set", "checkpoint_every=1000", "--grid", "seed=1,2,3,4",
        "--throttle", "2", "--json", timeout=120)
    assert proc.returncode == 0, proc.stderr
    sweep_id = json.loads(proc.stdout)["sweep_id"]

    data = _wait_ended(run_satconf, sweep_id)
    (job_id,) = data["job_ids"]
    status = {r["params"]["seed"]: r["status"] for r in data["runs"]}
    assert status == {"1": "succeeded", "2": "succeeded", "3": "failed", "4": "succeeded"}
    runs = {r["k"]: r for r in data["runs"]}
    for k, r in runs.items():  # one task each, with its own values
        shown = json.loads(run_satconf("runs", "show", r["run_id"], "--json").stdout)
        assert shown["job_id"] == f"{job_id}_{k}" and shown["name"] == f"sw-{k}"
        assert f"--seed={r['params']['seed']}" in shown["argv"]
        log = Path(shown["log"]).read_text()
        assert ("planted failure" in log) == (k == 2)
        assert k == 2 or "finished at step 2" in log
    shown0 = json.loads(run_satconf("runs", "show", runs[0]["run_id"], "--json").stdout)
    script = Path(shown0["batch_script"]).read_text()
    assert "#SBATCH --array=0-3%2\n" in script and "SLURM_ARRAY_TASK_ID" in script
    assert "#SBATCH --job-name=sw\n" in script
    table = run_satconf("sweep", "show", sweep_id)
    assert table.returncode == 0 and "SEED" in table.stdout and "failed" in table.stdout

    (ws / "FAIL").unlink()
    resume = run_satconf("sweep", "resume", sweep_id, "--json")
    assert resume.returncode == 0, resume.stderr
    assert json.loads(resume.stdout)["rerun"] == [2]
    again = _wait_ended(run_satconf, sweep_id)
    assert [r["status"] for r in again["runs"]] == ["succeeded"] * 4
    assert len(again["job_ids"]) == 2  # the resume was a second array, of one task
    after = {r["k"]: r for r in again["runs"]}
    assert all(after[k]["run_id"] == runs[k]["run_id"] for k in (0, 1, 3))  # not rerun
    assert after[2]["run_id"] != runs[2]["run_id"] and after[2]["attempts"] == 2
    nothing = run_satconf("sweep", "resume", sweep_id)
    assert nothing.returncode == 0 and "nothing to rerun" in nothing.stdout
