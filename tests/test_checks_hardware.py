"""The training python and GPUs against precision, strategy and nodes.

The probe's GPUs are the one fake allowed: `EnvironmentInfo` values built here,
or `SATCONF_FAKE_GPUS` when the probe sees no CUDA.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from satconf.checks import run_checks
from satconf.environment import EnvironmentInfo
from satconf.gpus import FAKE_ENV

from checks_support import about, config_for, environment, good_workspace


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return good_workspace(tmp_path / "ws")


def test_good_setup_has_no_errors(ws: Path) -> None:
    findings = run_checks(config_for(ws, precision="bf16-mixed"), environment(((8, 0), (9, 0))))
    assert [f for f in findings if f.level != "info"] == []
    torch = environment().torch
    assert torch and any(f"torch {torch}" in f.message for f in about(findings, None, "info"))


def test_bf16_needs_ampere_on_every_selected_gpu(ws: Path) -> None:
    env = environment(((8, 0), (7, 0)))
    (found,) = about(run_checks(config_for(ws, precision="bf16-mixed"), env), "precision")
    assert found.level == "error" and "GPU 1 GPU1 (7.0)" in found.message
    # Selecting only the Ampere card clears it.
    assert not about(run_checks(config_for(ws, [0], precision="bf16-mixed"), env), "precision")


def test_transformer_engine_needs_package_and_ada(ws: Path) -> None:
    found = about(run_checks(config_for(ws, precision="transformer-engine"),
                             environment(((8, 0),))), "precision", "error")
    assert len(found) == 2
    env = environment(((8, 9),), packages={"transformer_engine": True, "prefigure": True})
    assert not about(run_checks(config_for(ws, precision="transformer-engine"), env),
                     "precision", "error")


def test_names_the_environments_lightning_does_not_know(ws: Path) -> None:
    env = environment(strategies=("auto", "ddp"), precisions=("16-mixed", "32"))
    findings = run_checks(config_for(ws, strategy="fsdp", precision="bf16-true"), env)
    assert any("no strategy 'fsdp'" in f.message for f in about(findings, "strategy", "error"))
    assert any("does not accept precision 'bf16-true'" in f.message
               for f in about(findings, "precision", "error"))


def test_deepspeed_needs_the_package(ws: Path) -> None:
    (found,) = about(run_checks(config_for(ws, strategy="deepspeed"), environment()),
                     "strategy", "error")
    assert "deepspeed package" in found.message


def test_fsdp_and_train_py_need_a_gpu(ws: Path, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "nogpus.json"
    empty.write_text(json.dumps({"gpus": [], "error": "No NVIDIA driver found"}))
    monkeypatch.setenv(FAKE_ENV, str(empty))
    findings = run_checks(config_for(ws, strategy="fsdp"), environment(()))
    assert any("needs a GPU" in f.message for f in about(findings, "strategy", "error"))
    assert any("accelerator='gpu'" in f.message for f in about(findings, "gpus", "error"))


def test_capability_from_nvml_seam_when_probe_has_no_cuda(ws: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "gpus.json"
    fake.write_text(json.dumps([{"name": "Tesla V100", "memory_total": 32768,
                                 "capability": [7, 0]}]))
    monkeypatch.setenv(FAKE_ENV, str(fake))
    findings = run_checks(config_for(ws, precision="bf16"), environment(()))
    (found,) = about(findings, "precision")
    assert "Tesla V100 (7.0)" in found.message
    # torch without CUDA cannot use the card NVML sees: a CPU build.
    (cpu,) = about(findings, "gpus", "error")
    assert "CPU build" in cpu.message


def test_selected_gpu_that_does_not_exist(ws: Path) -> None:
    (found,) = about(run_checks(config_for(ws, [0, 5]), environment(((8, 0),))), "gpus")
    assert "GPU 5 does not exist" in found.message


def test_plain_ddp_on_several_gpus(ws: Path) -> None:
    env = environment(((8, 0), (8, 0)))
    (found,) = about(run_checks(config_for(ws, strategy="ddp"), env), "strategy")
    assert found.level == "warning" and "ddp_find_unused_parameters_true" in found.hint
    assert not about(run_checks(config_for(ws, [1], strategy="ddp"), env), "strategy")


def test_num_nodes_needs_a_cluster_launch(ws: Path) -> None:
    config = config_for(ws, num_nodes=2)
    (found,) = about(run_checks(config, environment()), "num_nodes")
    assert found.level == "warning" and "SLURM" in found.hint
    config = replace(config, options={"cluster": {"engine": "slurm", "partition": "gpu"}})
    (found,) = about(run_checks(config, environment()), "num_nodes")
    assert found.level == "info" and "slurm" in found.message
    config = replace(config, options={"cluster": {"engine": "local"}})
    (found,) = about(run_checks(config, environment()), "num_nodes")
    assert found.level == "warning"


def test_broken_environment_is_one_clear_error(ws: Path) -> None:
    env = EnvironmentInfo(python="/opt/py/bin/python", error="the training python "
                          "'/opt/py/bin/python' does not exist or is not a file")
    findings = run_checks(config_for(ws), env)
    (found,) = about(findings, None, "error")
    assert "does not exist" in found.message and "training python" in found.hint
    assert not about(findings, "gpus")  # no hardware verdicts from a failed probe


def test_missing_torch_lightning_prefigure(ws: Path) -> None:
    env = environment(torch=None, lightning=None, pytorch_lightning=None, packages={})
    messages = [f.message for f in about(run_checks(config_for(ws), env), None, "error")]
    assert any("torch is not installed" in m for m in messages)
    assert any("Lightning is not installed" in m for m in messages)
    assert any("prefigure is not installed" in m for m in messages)


def test_prefigure_only_needed_when_train_py_uses_it(ws: Path) -> None:
    env = environment(packages={"wandb": True})
    assert any("prefigure" in f.message for f in about(run_checks(config_for(ws), env), None))
    (ws / "train.py").write_text("import argparse\nargs = parse()\nprint(args.name)\n")
    assert not any("prefigure" in f.message for f in about(run_checks(config_for(ws), env), None,
                                                           "error"))


def test_no_gpu_selected_on_a_gpu_machine(ws: Path) -> None:
    (found,) = about(run_checks(config_for(ws, []), environment(((9, 0),))), "gpus")
    assert "no GPU is selected" in found.message
