"""Golden files: the batch script and the torchrun commands for 1, 2 and 8 nodes.

Built from a real workspace (the seed's defaults.ini) through the real config
and argv builder; only the temporary workspace path and the interpreter are
replaced by placeholders. `SATCONF_UPDATE_GOLDEN=1` rewrites a file that differs, and the
test still fails for it (nothing is ever compared with what the same run wrote).
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

import pytest

from satconf.cluster.options import ClusterOptions
from satconf.cluster.plan import build_cluster_plan, torchrun_plan
from satconf.runconfig import load_run_config

GOLDEN = Path(__file__).parent / "golden"
RUN_FOLDER = Path("/home/me/.local/share/satconf/runs/20260101-120000-abcd")

CASES: dict[int, dict] = {
    1: {"sets": ["name=small"], "opts": {"gpus_per_node": 1}},
    2: {"sets": ["name=medium", "strategy=ddp_find_unused_parameters_true", "batch_size=8"],
        "opts": {"gpus_per_node": 4, "partition": "gpu", "account": "audio-lab",
                 "time_limit": "2-00:00:00", "cpus_per_task": 8}},
    8: {"sets": ["name=big run", "strategy=deepspeed", "precision=bf16-mixed",
                 "save_dir=/scratch/ckpts"],
        "opts": {"gpus_per_node": 8, "gpu_request": "gpus-per-node", "job_name": "sat-big",
                 "extra_sbatch": ["#SBATCH --exclusive", "--mem=0"], "master_port": 29600}},
}


def _config(seed_workspace: Path, nodes: int):
    return load_run_config(seed_workspace, sets=[*CASES[nodes]["sets"], f"num_nodes={nodes}"])


def _placeholders(text: str, workspace: Path) -> str:
    for real, name in ((str(workspace.resolve()), "{WORKSPACE}"),
                       (shlex.quote(sys.executable), "{PYTHON}"), (sys.executable, "{PYTHON}")):
        text = text.replace(real, name)
    return text


def _check(name: str, text: str) -> None:
    path = GOLDEN / name
    # Read before any rewrite: the text is always judged against the committed file,
    # never against what this run just wrote.
    golden = path.read_text(encoding="utf-8") if path.is_file() else None
    if golden != text and os.environ.get("SATCONF_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        pytest.fail(f"{path} rewritten: review the diff, then rerun without "
                    "SATCONF_UPDATE_GOLDEN", pytrace=False)
    assert golden is not None, f"{path} is missing; run with SATCONF_UPDATE_GOLDEN=1 once"
    assert text == golden


@pytest.mark.parametrize("nodes", sorted(CASES))
def test_batch_script_golden(seed_workspace: Path, nodes: int) -> None:
    config = _config(seed_workspace, nodes)
    opts = ClusterOptions(engine="slurm", **CASES[nodes]["opts"])
    plan = build_cluster_plan(config, opts, folder=RUN_FOLDER)
    script = plan.script
    assert script is not None
    # The facts Lightning's SLURM environment checks, read back from the script itself.
    assert f"#SBATCH --nodes={nodes}\n" in script
    assert f"#SBATCH --ntasks-per-node={opts.gpus_per_node}\n" in script
    assert f"--output={RUN_FOLDER}/train.log" in script
    assert "srun " + shlex.join(config.plan().argv) in script
    _check(f"slurm-{nodes}-nodes.sbatch", _placeholders(script, seed_workspace))


@pytest.mark.parametrize("nodes", sorted(CASES))
def test_torchrun_commands_golden(seed_workspace: Path, nodes: int) -> None:
    config = _config(seed_workspace, nodes)
    opts = ClusterOptions(engine="torchrun", **CASES[nodes]["opts"])
    plan = torchrun_plan(config, opts, master_addr="node0.example.org")
    assert [c.node_rank for c in plan.commands] == list(range(nodes))
    flags = list(config.plan().argv[1:])
    for cmd in plan.commands:
        assert f"--nnodes={nodes}" in cmd.argv
        assert f"--nproc_per_node={opts.gpus_per_node}" in cmd.argv
        assert list(cmd.argv[-len(flags):]) == flags  # the same train.py flags on every node
    _check(f"torchrun-{nodes}-nodes.txt", _placeholders(plan.render(), seed_workspace))


def test_local_node_command_is_its_rank(seed_workspace: Path) -> None:
    config = _config(seed_workspace, 2)
    opts = ClusterOptions(engine="torchrun", gpus_per_node=4, node_rank=1, master_addr="n0")
    local = build_cluster_plan(config, opts).local_command()
    assert "--node_rank=1" in local.argv
    assert local.cwd == str(seed_workspace.resolve())
