"""The training python's and the GPUs' findings word for word, as `satconf check` shows them.

The environment is the real probe of this interpreter (checks_support.environment); only
its GPUs are made up, and single facts a test is about (a package missing, a failed
import) are replaced. NVML's GPUs come from the SATCONF_FAKE_GPUS seam.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from satconf.checks.context import Context
from satconf.checks.finding import Finding, error, info, warning
from satconf.checks.hardware import check_hardware, environment_findings, launch_engine
from satconf.environment import EnvironmentInfo
from satconf.gpus import FAKE_ENV

from checks_support import config_for, environment, good_workspace

# The environment is handed in: no check here looks for the cached probe in SATCONF_HOME.
pytestmark = pytest.mark.unprobed

PY = "/opt/train/bin/python"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return good_workspace(tmp_path / "ws")


def env(gpus: tuple[tuple[int, int], ...] = ((8, 0),), **kw: Any) -> EnvironmentInfo:
    return dataclasses.replace(environment(gpus), python=PY, **kw)


def hardware(ws: Path, e: EnvironmentInfo, gpus: list[int] | None = None,
             options: dict[str, Any] | None = None, **values: Any) -> list[Finding]:
    config = dataclasses.replace(config_for(ws, gpus, **values), options=options or {})
    return check_hardware(Context.of(config, e), e)


def about(findings: list[Finding], field: str | None) -> list[Finding]:
    return [f for f in findings if f.field == field]


@pytest.fixture
def nvml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "gpus.json"
    fake.write_text(json.dumps([{"name": "Tesla V100", "memory_total": 32768,
                                 "capability": [7, 0]}]))
    monkeypatch.setenv(FAKE_ENV, str(fake))


# --- the training python ----------------------------------------------------------------

def summary(e: EnvironmentInfo) -> str:
    return [f for f in environment_findings(e) if f.level == "info"][-1].message


def test_the_summary_line_names_what_the_training_python_has() -> None:
    e = env(((8, 0), (9, 0)), python_version="3.11.7", torch="2.3.0", lightning="2.2.0",
            pytorch_lightning=None, cuda_version="12.1")
    assert summary(e) == ("training python 3.11.7 (/opt/train/bin/python): torch 2.3.0, "
                          "Lightning 2.2.0, CUDA 12.1, 2 GPU(s)")
    e = env((), python_version=None, torch="2.3.0", lightning="2.2.0",
            pytorch_lightning="2.1.0", cached=True)
    assert summary(e) == ("training python ? (/opt/train/bin/python): torch 2.3.0, "
                          "Lightning 2.1.0, no CUDA, 0 GPU(s), cached")
    assert summary(env((), torch=None, lightning=None, pytorch_lightning=None)).endswith(
        ": torch none, Lightning none, no CUDA, 0 GPU(s)")
    reasoned = [f for f in environment_findings(e, reason="the profile's") if f.level == "info"]
    assert reasoned[-1].message.startswith("training python ? (/opt/train/bin/python, the "
                                           "profile's): ")


def test_a_failed_probe_is_one_error_and_nothing_else() -> None:
    e = EnvironmentInfo(python=PY, error="the training python does not answer")
    assert environment_findings(e) == [error(
        None, "the training python does not answer", "set the training python (profile or "
        "workspace) to an interpreter with torch and Lightning; satconf check --refresh "
        "probes again")]


def test_missing_packages_each_say_where_to_install() -> None:
    e = env(torch=None, lightning=None, pytorch_lightning=None, packages={})
    assert [f for f in environment_findings(e) if f.level == "error"] == [
        error(None, f"torch is not installed in the training python {PY}",
              "install torch there, or choose the right interpreter"),
        error(None, f"Lightning is not installed in the training python {PY}",
              "pip install lightning (train.py imports pytorch_lightning)"),
        error(None, f"prefigure is not installed in the training python {PY}; train.py "
              "imports it first", "pip install prefigure==0.0.9")]
    assert not [f for f in environment_findings(e, needs_prefigure=False)
                if "prefigure" in f.message]
    # either Lightning package will do
    for kw in ({"lightning": None, "pytorch_lightning": "2.1.0"},
               {"lightning": "2.2.0", "pytorch_lightning": None}):
        assert not [f for f in environment_findings(env(**kw)) if "Lightning is not" in
                    f.message]


def test_a_package_that_breaks_on_import_is_an_error_other_problems_warnings() -> None:
    from satconf.checks.imports import import_hint

    broken = "pytorch_lightning: ImportError: cannot import name 'x' from 'y'"
    torch_broken = "import torch failed: ModuleNotFoundError: No module named 'numpy'"
    odd = "strategy registry: could not list"
    e = env(problems=(broken, torch_broken, odd), pytorch_lightning="2.1.0")
    found = environment_findings(e)
    assert found[:3] == [
        error(None, f"the training python {PY} has the package but cannot import it: {broken}",
              import_hint("ImportError: cannot import name 'x' from 'y'", broken, PY)),
        error(None, f"the training python {PY} has the package but cannot import it: "
              f"{torch_broken}", import_hint("ModuleNotFoundError: No module named 'numpy'",
                                             torch_broken, PY)),
        warning(None, f"probe: {odd}")]
    assert "Lightning 2.1.0 (fails to import)" in found[-1].message
    torch_needs = "import torch failed: ModuleNotFoundError: No module named 'lightning_x'"
    assert "fails to import" not in summary(env(problems=(torch_needs,)))


# --- GPUs -------------------------------------------------------------------------------

def test_gpus_that_do_not_exist_are_named(ws: Path) -> None:
    assert about(hardware(ws, env(((8, 0), (8, 0))), [0, 5, 7]), "gpus") == [
        error("gpus", "GPU 5, 7 does not exist (this machine has 0, 1)",
              "pick GPUs from the list")]


def test_no_usable_gpu_when_train_py_asks_for_one(ws: Path, nvml: None) -> None:
    cpu_torch = env((), torch="2.3.0+cpu")
    hint = "run where there is an NVIDIA GPU, with a CUDA build of torch"
    assert about(hardware(ws, cpu_torch), "gpus") == [error(
        "gpus", "torch 2.3.0+cpu in the training python sees no CUDA GPU, but train.py asks "
        "Lightning for accelerator='gpu'", hint)]
    # For bf16 NVML is asked about the cards (their capability): then it says so.
    found = hardware(ws, cpu_torch, precision="bf16-mixed")
    assert about(found, "gpus") == [error(
        "gpus", "torch 2.3.0+cpu in the training python sees no CUDA GPU; NVML lists 1 GPU(s), "
        "so torch is a CPU build, but train.py asks Lightning for accelerator='gpu'", hint)]
    assert about(found, "precision")[0].message == (
        "bf16-mixed needs compute capability 8.0 or newer; GPU 0 Tesla V100 (7.0) cannot do it")
    # GPUs a torch without CUDA listed count for nothing; without torch it says just that
    listed = env(((8, 0),), cuda_available=False, torch=None)
    assert about(hardware(ws, listed), "gpus") == [error(
        "gpus", "torch in the training python sees no CUDA GPU, but train.py asks Lightning "
        "for accelerator='gpu'", hint)]
    assert about(hardware(ws, cpu_torch, [0], strategy="ddp"), "strategy") == []
    assert about(hardware(ws, env(((9, 0),)), []), "gpus") == [error(
        "gpus", "no GPU is selected, but train.py asks Lightning for accelerator='gpu'",
        "select at least one GPU")]
    # a train.py that lets Lightning pick the CPU asks for nothing
    (ws / "train.py").write_text("import pytorch_lightning as pl\npl.Trainer(accelerator='auto')\n")
    assert about(hardware(ws, cpu_torch), "gpus") == []
    (ws / "train.py").write_text('pl.Trainer(accelerator = "gpu")\n')
    assert len(about(hardware(ws, cpu_torch), "gpus")) == 1


# --- precision --------------------------------------------------------------------------

def test_bf16_needs_compute_capability_8(ws: Path) -> None:
    e = env(((8, 0), (7, 5), (8, 6), (7, 0)))
    assert about(hardware(ws, e, precision="bf16-mixed"), "precision") == [error(
        "precision", "bf16-mixed needs compute capability 8.0 or newer; GPU 1 GPU1 (7.5), "
        "GPU 3 GPU3 (7.0) cannot do it", "use 16-mixed on these GPUs, or pick Ampere or newer "
        "GPUs")]
    assert about(hardware(ws, e, [0, 2], precision="bf16-mixed"), "precision") == []
    assert about(hardware(ws, e, precision="16-mixed"), "precision") == []


def test_transformer_engine_needs_its_package_and_capability_8_9(ws: Path) -> None:
    e = env(((8, 9), (8, 6), (8, 0)), packages={"prefigure": True})
    assert about(hardware(ws, e, precision="transformer-engine"), "precision") == [
        error("precision", "transformer-engine needs the transformer_engine package in the "
              "training python", "install transformer-engine or use bf16-mixed"),
        error("precision", "transformer-engine needs compute capability 8.9 or newer; GPU 1 "
              "GPU1 (8.6), GPU 2 GPU2 (8.0) cannot do it", "use bf16-mixed")]
    e = env(((8, 9),), packages={"transformer_engine": True})
    assert about(hardware(ws, e, precision="transformer-engine"), "precision") == []


def test_a_precision_lightning_does_not_know(ws: Path) -> None:
    e = env(precisions=("32", "16-mixed"))
    assert about(hardware(ws, e, precision="bf16-true"), "precision") == [error(
        "precision", "Lightning in the training python does not accept precision 'bf16-true'",
        "use one of 32, 16-mixed")]
    assert about(hardware(ws, env(precisions=()), precision="bf16-true"), "precision") == []
    assert about(hardware(ws, e, precision=""), "precision") == []


def test_a_capability_bound_precision_without_any_usable_gpu(ws: Path) -> None:
    hint = ("run on such a GPU; train.py asks Lightning for a GPU whatever the precision")
    cpu = env(())
    assert about(hardware(ws, cpu, precision="bf16-mixed"), "precision") == [error(
        "precision", "precision bf16-mixed needs a CUDA GPU of compute capability 8.0 or newer "
        "(Ampere or later, e.g. A100, RTX 30xx); no GPU is usable here", hint)]
    te_cpu = env((), packages={"transformer_engine": True})
    assert about(hardware(ws, te_cpu, precision="transformer-engine"), "precision") == [error(
        "precision", "precision transformer-engine needs a CUDA GPU of compute capability 8.9 "
        "or newer (Ada/Hopper) and the transformer_engine package; no GPU is usable here",
        hint)]
    # (without the package that error comes first, alone)
    assert len(about(hardware(ws, cpu, precision="transformer-engine"), "precision")) == 1
    assert about(hardware(ws, cpu, precision="16-mixed"), "precision") == []
    (ws / "train.py").write_text("pl.Trainer(accelerator='cpu')\n")  # bf16 on the CPU is fine
    assert about(hardware(ws, cpu, precision="bf16-mixed"), "precision") == []


# --- strategy and nodes -----------------------------------------------------------------

def test_strategies_lightning_lacks_or_that_need_more(ws: Path) -> None:
    e = env(((8, 0), (8, 0)), strategies=("auto", "ddp", "fsdp"), packages={})
    assert about(hardware(ws, e, strategy="deepspeed_stage_2"), "strategy") == [
        error("strategy", "Lightning in the training python has no strategy "
              "'deepspeed_stage_2'", "pick one it lists (satconf check --json shows them)"),
        error("strategy", "strategy deepspeed_stage_2 needs the deepspeed package in the "
              "training python", "pip install deepspeed, or use ddp")]
    assert about(hardware(ws, env((), strategies=()), strategy="fsdp"), "strategy") == [error(
        "strategy", "strategy fsdp needs a GPU; none is available",
        "use a GPU machine or strategy auto")]
    assert about(hardware(ws, e, strategy="fsdp"), "strategy") == []
    with_ds = env(strategies=("deepspeed_stage_2",), packages={"deepspeed": True})
    assert about(hardware(ws, with_ds, strategy="deepspeed_stage_2"), "strategy") == []
    assert about(hardware(ws, e, strategy="ddp"), "strategy") == [warning(
        "strategy", "plain ddp on 2 GPUs stops at the first step when a model has parameters "
        "without gradients, as stable-audio-tools' models do",
        "use ddp_find_unused_parameters_true")]
    assert about(hardware(ws, e, [0], strategy="ddp"), "strategy") == []
    assert about(hardware(ws, e, strategy=""), "strategy") == []


@pytest.mark.parametrize(("options", "engine"), [
    ({}, "local"), ({"cluster": {"engine": "SLURM"}}, "slurm"), ({"launcher": "torchrun"},
                                                                 "torchrun"),
    ({"cluster": {}}, "local"), ({"cluster": "slurm"}, "local"),
])
def test_the_launch_engine_of_a_profile(options: dict[str, Any], engine: str) -> None:
    assert launch_engine(options) == engine


def test_more_than_one_node_needs_a_cluster_launch(ws: Path) -> None:
    e = env()
    assert about(hardware(ws, e, num_nodes=2), "num_nodes") == [warning(
        "num_nodes", "num_nodes = 2 on a local launch: train.py would wait for the other nodes "
        "forever", "launch through SLURM (or torchrun) on the cluster, or set num_nodes = 1")]
    for launcher in ("slurm", "torchrun"):
        assert about(hardware(ws, e, options={"cluster": {"engine": launcher}}, num_nodes=4),
                     "num_nodes") == [info("num_nodes",
                                           f"num_nodes = 4: launched through {launcher}")]
    assert about(hardware(ws, e, num_nodes=1), "num_nodes") == []
