"""`satconf check` and the form see a profile's engine findings through the launch use case."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from satconf.launch import prepare
from satconf.runconfig import load_run_config


def test_prepare_includes_the_profiles_engine_findings(seed_workspace: Path) -> None:
    config = load_run_config(seed_workspace)
    bad = replace(config, options={"cluster": {"engine": "slurm", "gpus_per_node": 4,
                                               "tasks_per_node": 2}})
    fields = {f.field for f in prepare(bad, submitting=False).errors}
    assert "cluster.tasks_per_node" in fields
    good = replace(config, options={"cluster": {"engine": "slurm", "gpus_per_node": 2,
                                                "tasks_per_node": 2}})
    fields = {f.field for f in prepare(good, submitting=False).errors}
    assert "cluster.tasks_per_node" not in fields


def test_bad_engine_tables_are_findings_not_crashes(seed_workspace: Path) -> None:
    config = load_run_config(seed_workspace)
    found = prepare(replace(config, options={"cluster": {"engine": "slurm",
                                                         "time_limit": "soon"}}))
    assert ("error", "cluster.time_limit") in [(f.level, f.field) for f in found.findings]
    found = prepare(replace(config, options={"cluster": "nope"}))
    assert ("error", "cluster") in [(f.level, f.field) for f in found.findings]


def test_options_of_another_engine_are_said_to_be_unused(seed_workspace: Path) -> None:
    config = replace(load_run_config(seed_workspace),
                     options={"cluster": {"engine": "torchrun", "partition": "gpu"}})
    (found,) = [f for f in prepare(config, submitting=False).findings
                if f.field == "cluster.partition"]
    assert found.level == "info" and "torchrun engine does not use it" in found.message
