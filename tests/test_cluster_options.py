"""Cluster options and cluster checks, on real workspaces and the real PATH lookup."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from satconf.checks.finding import Finding
from satconf.cluster.checks import cluster_findings
from satconf.cluster.options import (
    ClusterOptions,
    ClusterOptionsError,
    from_profile_options,
    option_errors,
    option_fields,
    parse_options,
    store_options,
    with_overrides,
)
from satconf.runconfig import load_run_config
from satconf.workspace import copy_demo


def test_defaults_are_the_local_engine_and_one_task_per_gpu() -> None:
    opts = ClusterOptions()
    assert opts.engine == "local"
    assert opts.tasks() == 1
    assert ClusterOptions(gpus_per_node=4).tasks() == 4
    assert ClusterOptions(gpus_per_node=0).tasks() == 1
    assert ClusterOptions(gpus_per_node=0, tasks_per_node=2).tasks() == 2


def test_profile_table_round_trips_and_keeps_only_changes() -> None:
    opts = parse_options({"engine": "slurm", "gpus_per_node": 8, "partition": "gpu",
                          "extra_sbatch": ["#SBATCH --mem=0", "  --exclusive "]})
    table = opts.to_options()
    assert table == {"engine": "slurm", "gpus_per_node": 8, "partition": "gpu",
                     "extra_sbatch": ["--mem=0", "--exclusive"]}
    assert from_profile_options({"cluster": table}) == opts
    assert from_profile_options({}) == ClusterOptions()


@pytest.mark.parametrize(("data", "needle"), [
    ({"time_limit": "two days"}, "cluster.time_limit: write minutes"),
    ({"engine": "kubernetes"}, "cluster.engine"),
    ({"gpus_per_node": -1}, "cluster.gpus_per_node"),
    ({"extra_sbatch": ["mem=4G"]}, "starts with -"),
    ({"partition": "gpu; rm -rf /"}, "cluster.partition"),
    ({"nodes": 2}, "no such cluster option"),
])
def test_bad_options_are_explained(data: dict, needle: str) -> None:
    with pytest.raises(ClusterOptionsError) as info:
        parse_options(data)
    assert needle in str(info.value)


@pytest.mark.parametrize("limit", ["90", "30:00", "12:00:00", "2-00", "2-00:00", "2-00:00:00"])
def test_slurm_time_formats(limit: str) -> None:
    assert ClusterOptions(time_limit=limit).time_limit == limit


def test_overrides_apply_only_what_was_given() -> None:
    base = ClusterOptions(engine="slurm", partition="gpu", gpus_per_node=4)
    out = with_overrides(base, partition=None, account="lab", engine=None)
    assert (out.engine, out.partition, out.account, out.gpus_per_node) == ("slurm", "gpu",
                                                                           "lab", 4)


def test_option_fields_describe_every_option_for_a_form() -> None:
    fields = {f["key"]: f for f in option_fields()}
    assert list(fields) == list(ClusterOptions.model_fields)
    assert all(f["help"] for f in fields.values())
    assert fields["engine"]["choices"] == ["local", "slurm", "torchrun"]
    assert fields["gpu_request"]["type"] == "choice"
    assert fields["gpus_per_node"] == {**fields["gpus_per_node"], "type": "int", "default": 1,
                                       "minimum": 0}
    assert fields["extra_sbatch"]["type"] == "lines"
    assert fields["tasks_per_node"]["type"] == "int"
    json.dumps(option_fields())  # plain data


def _levels(findings: list[Finding]) -> dict[str | None, str]:
    return {f.field: f.level for f in findings}


def test_tasks_per_node_must_equal_gpus(seed_workspace: Path) -> None:
    config = load_run_config(seed_workspace)
    bad = cluster_findings(config, ClusterOptions(engine="slurm", gpus_per_node=4,
                                                  tasks_per_node=2), submitting=False)
    assert _levels(bad)["cluster.tasks_per_node"] == "error"
    good = cluster_findings(config, ClusterOptions(engine="slurm", gpus_per_node=4),
                            submitting=False)
    assert not [f for f in good if f.level == "error"]


def test_nodes_must_equal_num_nodes(seed_workspace: Path) -> None:
    config = load_run_config(seed_workspace, sets=["num_nodes=2"])
    opts = ClusterOptions(engine="slurm", extra_sbatch=["--nodes=4"])
    found = cluster_findings(config, opts, submitting=False)
    assert any(f.level == "error" and f.field == "num_nodes" and "--nodes=4" in f.message
               for f in found)
    same = ClusterOptions(engine="slurm", extra_sbatch=["-N 2"])
    assert not [f for f in cluster_findings(config, same, submitting=False)
                if f.level == "error"]


def test_missing_sbatch_is_an_error_with_a_hint(seed_workspace: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    config = load_run_config(seed_workspace)
    found = cluster_findings(config, ClusterOptions(engine="slurm"))
    missing = [f for f in found if "sbatch is not installed" in f.message]
    assert missing and missing[0].level == "error" and "login node" in missing[0].hint
    # A preview does not need sbatch.
    assert not [f for f in cluster_findings(config, ClusterOptions(engine="slurm"),
                                            submitting=False) if "sbatch" in f.message]


def test_job_named_bash_hides_slurm_from_lightning(seed_workspace: Path) -> None:
    config = load_run_config(seed_workspace)
    found = cluster_findings(config, ClusterOptions(engine="slurm", job_name="bash"),
                             submitting=False)
    assert _levels(found)["cluster.job_name"] == "error"


def test_cpu_only_is_fine_for_the_demo_but_not_for_train_py(seed_workspace: Path,
                                                            tmp_path: Path) -> None:
    opts = ClusterOptions(engine="slurm", gpus_per_node=0, tasks_per_node=2)
    real = cluster_findings(load_run_config(seed_workspace), opts, submitting=False)
    assert _levels(real)["cluster.gpus_per_node"] == "warning"
    demo = copy_demo(tmp_path / "demo")
    assert cluster_findings(load_run_config(demo), opts, submitting=False) == []


def test_torchrun_rank_and_gpu_selection(seed_workspace: Path) -> None:
    config = load_run_config(seed_workspace, sets=["num_nodes=2"], gpus="0,1")
    found = cluster_findings(config, ClusterOptions(engine="torchrun", gpus_per_node=4,
                                                    node_rank=2))
    levels = _levels(found)
    assert levels["cluster.node_rank"] == "error"
    assert levels["cluster.tasks_per_node"] == "error"  # 2 GPUs selected, 4 processes
    assert levels["cluster.master_addr"] == "info"


def test_local_engine_adds_no_findings(seed_workspace: Path) -> None:
    config = load_run_config(seed_workspace)
    assert cluster_findings(config, ClusterOptions()) == []


def test_option_errors_by_key_for_a_form() -> None:
    assert option_errors({"engine": "slurm", "gpus_per_node": 2}) == {}
    errors = option_errors({"time_limit": "soon", "master_port": 0, "colour": "red"})
    assert set(errors) == {"time_limit", "master_port", "colour"}
    assert errors["colour"] == ["no such cluster option"]


def test_store_options_keeps_other_launch_options() -> None:
    options = {"launcher": "x", "cluster": {"engine": "torchrun"}}
    out = store_options(options, ClusterOptions(engine="slurm", partition="gpu"))
    assert out == {"launcher": "x", "cluster": {"engine": "slurm", "partition": "gpu"}}
    assert store_options(out, ClusterOptions()) == {"launcher": "x"}


