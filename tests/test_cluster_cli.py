"""`satconf launch --engine ...` through the real CLI in a subprocess."""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
from pathlib import Path

import pytest

from satconf.profiles import Profile, ProfileStore
from satconf.runconfig import load_run_config
from satconf.workspace import copy_demo

CPU_DDP = ["--set", "strategy=ddp", "--set", "num_workers=0", "--set", "batch_size=2",
           "--gpus-per-node", "0", "--tasks-per-node", "2"]


def test_dry_run_prints_the_batch_script(run_satconf, launchable_workspace: Path) -> None:
    proc = run_satconf("launch", "--workspace", str(launchable_workspace), "--engine", "slurm",
                       "--nodes", "2", "--gpus-per-node", "4", "--partition", "gpu",
                       "--time", "1-00:00:00", "--sbatch=--mem=64G", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    script = proc.stdout
    assert script.startswith("#!/bin/bash\n")
    for line in ("#SBATCH --nodes=2", "#SBATCH --ntasks-per-node=4", "#SBATCH --gres=gpu:4",
                 "#SBATCH --partition=gpu", "#SBATCH --time=1-00:00:00",
                 "#SBATCH --signal=SIGUSR1@90", "#SBATCH --mem=64G"):
        assert line + "\n" in script
    # --nodes became num_nodes, the same number train.py hands to Lightning.
    argv = load_run_config(launchable_workspace, sets=["num_nodes=2"]).plan().argv
    assert "srun " + shlex.join(argv) + "\n" in script


def test_dry_run_json_and_torchrun(run_satconf, launchable_workspace: Path) -> None:
    proc = run_satconf("launch", "--workspace", str(launchable_workspace), "--engine", "torchrun",
                       "--nodes", "2", "--gpus-per-node", "2", "--master-addr", "10.0.0.1",
                       "--dry-run", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["engine"] == "torchrun" and data["nodes"] == 2
    assert [c["node_rank"] for c in data["node_commands"]] == [0, 1]
    assert "--master_addr=10.0.0.1" in data["node_commands"][1]["argv"]
    assert [f for f in data["findings"] if f["level"] == "error"] == []


def test_engine_defaults_to_the_profile(run_satconf, launchable_workspace: Path) -> None:
    ProfileStore().save(Profile(name="on-cluster", options={
        "cluster": {"engine": "slurm", "gpus_per_node": 8, "account": "lab"}}))
    proc = run_satconf("launch", "--workspace", str(launchable_workspace), "--profile",
                       "on-cluster", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "#SBATCH --gres=gpu:8\n" in proc.stdout and "#SBATCH --account=lab\n" in proc.stdout
    local = run_satconf("launch", "--workspace", str(launchable_workspace), "--profile",
                        "on-cluster", "--engine", "local", "--dry-run", "--json")
    assert local.returncode == 0, local.stderr
    data = json.loads(local.stdout)
    assert data["engine"] == "local" and "batch_script" not in data


def test_cluster_errors_block_a_launch(run_satconf, launchable_workspace: Path) -> None:
    proc = run_satconf("launch", "--workspace", str(launchable_workspace), "--engine", "slurm",
                       "--gpus-per-node", "4", "--tasks-per-node", "2")
    assert proc.returncode == 1
    assert "✗ cluster.tasks_per_node" in proc.stderr and "nothing was launched" in \
        proc.stderr
    preview = run_satconf("launch", "--workspace", str(launchable_workspace), "--engine", "slurm",
                          "--gpus-per-node", "4", "--tasks-per-node", "2", "--dry-run")
    # A preview still shows the script; the findings go to stderr and the exit code says so.
    assert preview.returncode == 1 and "#SBATCH --ntasks-per-node=2" in preview.stdout
    assert "✗ cluster.tasks_per_node" in preview.stderr
    bad = run_satconf("launch", "--workspace", str(launchable_workspace), "--engine", "slurm",
                      "--time", "tomorrow", "--dry-run")
    assert bad.returncode == 2 and "cluster.time_limit" in bad.stderr
    assert "Traceback" not in proc.stderr + bad.stderr


def test_no_sbatch_is_an_error_with_a_hint(run_satconf, launchable_workspace: Path,
                                           tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    proc = run_satconf("launch", "--workspace", str(launchable_workspace), "--engine", "slurm",
                       env={"PATH": str(empty)})
    assert proc.returncode == 1
    assert "sbatch is not installed" in proc.stderr and "login node" in proc.stderr
    assert not (Path(os.environ["SATCONF_HOME"]) / "runs").exists()  # nothing half-made


@pytest.mark.slow
def test_torchrun_runs_this_node(run_satconf, tmp_path: Path) -> None:
    """The node-0 command of a one-node torchrun launch trains the demo with 2 processes."""
    from satconf.runs import load_run, log_path, run_status

    ws = copy_demo(tmp_path / "demo")
    proc = run_satconf("launch", "--workspace", str(ws), "--engine", "torchrun",
                       "--master-addr", "127.0.0.1", "--master-port", str(29400 + os.getpid()
                                                                        % 500),
                       *CPU_DDP, "--set", "max_steps=2", "--set", "checkpoint_every=2",
                       "--json")
    assert proc.returncode == 0, proc.stderr
    run_id = json.loads(proc.stdout)["run_id"]
    deadline = time.monotonic() + 300  # a guard against a hang, not a speed check
    while run_status(load_run(run_id)) == "running" and time.monotonic() < deadline:
        time.sleep(1)
    record = load_run(run_id)
    log = log_path(run_id).read_text()
    assert run_status(record) == "succeeded", log[-3000:]
    assert record.engine == "torchrun" and "torch.distributed.run" in record.argv
    assert "--nproc_per_node=2" in record.argv and sys.executable == record.argv[0]
    assert "strategy DDPStrategy" in log and "x 2" in log
    assert list((ws / "checkpoints").glob("epoch=*-step=2.ckpt"))


def test_torchrun_foreground_follows_this_node_to_its_end(run_satconf, tmp_path: Path) -> None:
    """`--engine torchrun --foreground` once raised a TypeError after starting the run."""
    from tui_support import launchable

    ws = launchable(tmp_path / "ws", "import os\nprint('rank', os.environ.get('RANK'))\n")
    proc = run_satconf("launch", "--workspace", str(ws), "--engine", "torchrun",
                       "--gpus-per-node", "0", "--master-addr", "127.0.0.1", "--master-port",
                       str(29000 + os.getpid() % 900), "--foreground", timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr and "rank 0" in proc.stdout
    assert "succeeded" in proc.stderr
