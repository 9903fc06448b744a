"""`satconf check` and the form see a profile's cluster findings through run_checks."""

from __future__ import annotations

from pathlib import Path

from satconf.checks import run_checks
from satconf.runconfig import load_run_config


def test_run_checks_includes_the_profiles_cluster_findings(seed_workspace: Path) -> None:
    config = load_run_config(seed_workspace)
    config.options = {"cluster": {"engine": "slurm", "gpus_per_node": 4, "tasks_per_node": 2}}
    fields = {f.field for f in run_checks(config) if f.level == "error"}
    assert "cluster.tasks_per_node" in fields
    config.options = {"cluster": {"engine": "slurm", "gpus_per_node": 2, "tasks_per_node": 2}}
    fields = {f.field for f in run_checks(config) if f.level == "error"}
    assert "cluster.tasks_per_node" not in fields
