"""`satconf check` and `launch --dry-run` through the real CLI in a subprocess."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from satconf.environment import probe

from checks_support import TRAIN_PY, good_workspace, write_json


@pytest.fixture(scope="module")
def probed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This interpreter probed once; tests copy the cache into their SATCONF_HOME."""
    cache = tmp_path_factory.mktemp("probe-cache")
    assert probe(sys.executable, cache=cache).error is None
    return cache


def _seed_cache(probed: Path, home: Path) -> None:
    shutil.copytree(probed, home / "cache" / "environment", dirs_exist_ok=True)


def test_good_workspace_exits_0(tmp_path: Path, run_satconf) -> None:
    ws = good_workspace(tmp_path / "ws")
    out = run_satconf("--workspace", str(ws), "check", "--no-probe")
    assert out.returncode == 0, out.stderr
    assert "errors (" not in out.stdout and "infos (" in out.stdout
    assert out.stdout.rstrip().endswith("0 errors, 0 warnings, 6 infos")


def test_errors_exit_1_grouped_with_hints(tmp_path: Path, run_satconf) -> None:
    ws = good_workspace(tmp_path / "ws")
    (ws / "configs" / "model.json").write_text('{"model_type": "lm",}')
    out = run_satconf("--workspace", str(ws), "check", "--no-probe",
                      "--set", "dataset_config=configs/missing.json")
    assert out.returncode == 1
    text = out.stdout
    assert text.index("errors (2):") < text.index("infos (")
    assert "✗ model_config:" in text and "line 1 column 21" in text
    assert "✗ dataset_config: file" in text and "→ relative paths" in text


def test_json_is_a_stable_list_errors_first(tmp_path: Path, run_satconf) -> None:
    ws = good_workspace(tmp_path / "ws")
    out = run_satconf("--workspace", str(ws), "check", "--no-probe", "--json",
                      "--set", "val_every=100", "--set", "model_config=")
    assert out.returncode == 1
    data = json.loads(out.stdout)
    assert all(set(item) == {"level", "field", "message", "hint"} for item in data)
    levels = [item["level"] for item in data]
    assert levels == sorted(levels, key=["error", "warning", "info"].index)
    assert {"field": "model_config", "level": "error"}.items() <= data[0].items()
    assert any(item["field"] == "val_every" and item["level"] == "warning" for item in data)


def test_unreadable_defaults_ini(tmp_path: Path, run_satconf) -> None:
    ws = good_workspace(tmp_path / "ws")
    (ws / "defaults.ini").write_bytes(b"\x00\x01binary")
    out = run_satconf("--workspace", str(ws), "check", "--no-probe")
    assert out.returncode == 1 and "binary" in out.stderr and "Traceback" not in out.stderr
    out = run_satconf("--workspace", str(ws), "check", "--no-probe", "--json")
    (only,) = json.loads(out.stdout)
    assert out.returncode == 1 and only["level"] == "error" and "binary" in only["message"]


@pytest.mark.parametrize("args", [["--set", "nosuchkey=1"], ["--gpus", "zero"],
                                  ["--set", "batch_size=many"], ["--frobnicate"]])
def test_usage_errors_exit_2(tmp_path: Path, run_satconf, args: list[str]) -> None:
    ws = good_workspace(tmp_path / "ws")
    out = run_satconf("--workspace", str(ws), "check", "--no-probe", *args)
    assert out.returncode == 2, out.stderr


def test_with_cached_probe_and_fake_gpus(tmp_path: Path, run_satconf, probed: Path,
                                         satconf_home: Path) -> None:
    _seed_cache(probed, satconf_home)
    ws = good_workspace(tmp_path / "ws")
    # Lightning's "auto" accelerator, as the demo uses: the CPU build of torch here is fine.
    (ws / "train.py").write_text(TRAIN_PY.replace('accelerator="gpu"', 'accelerator="auto"'))
    gpus = write_json(tmp_path / "gpus.json", [
        {"name": "Tesla V100", "memory_total": 32768, "capability": [7, 0]},
        {"name": "NVIDIA A100", "memory_total": 81920, "capability": [8, 0]}])
    env = {"SATCONF_FAKE_GPUS": str(gpus)}
    out = run_satconf("--workspace", str(ws), "check", "--json", "--set", "precision=bf16-mixed",
                      env=env)
    data = json.loads(out.stdout)
    assert out.returncode == 1 and "probing" not in out.stderr  # the cache answered
    (bf16,) = [d for d in data if d["field"] == "precision"]
    assert "Tesla V100 (7.0)" in bf16["message"]
    assert any("training python" in d["message"] and "cached" in d["message"] for d in data)
    out = run_satconf("--workspace", str(ws), "check", "--gpus", "1",
                      "--set", "precision=bf16-mixed", env=env)
    assert out.returncode == 0, out.stdout


def test_refresh_probes_again(tmp_path: Path, run_satconf, probed: Path,
                              satconf_home: Path) -> None:
    _seed_cache(probed, satconf_home)
    ws = good_workspace(tmp_path / "ws")
    out = run_satconf("--workspace", str(ws), "check", "--refresh", timeout=300)
    assert "probing the training python" in out.stderr
    # Whether torch sees a GPU, asked of torch itself (none is faked): without one,
    # train.py's accelerator='gpu' cannot start and the check must say so.
    cuda = subprocess.run([sys.executable, "-c", "import torch; print(torch.cuda.is_available())"],
                          capture_output=True, text=True, timeout=300)
    assert cuda.returncode == 0, cuda.stderr
    if cuda.stdout.strip() == "False":
        assert out.returncode == 1, out.stdout
        assert "sees no CUDA GPU" in out.stdout and "accelerator='gpu'" in out.stdout
    else:
        assert "accelerator='gpu'" not in out.stdout


def test_checkpoints_are_inspected_inline(tmp_path: Path, run_satconf, probed: Path,
                                          satconf_home: Path) -> None:
    _seed_cache(probed, satconf_home)
    ws = good_workspace(tmp_path / "ws")
    # an autoencoder's own weights (the workspace's model is an autoencoder)
    header = b'{"encoder.w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}'
    (ws / "model.safetensors").write_bytes(len(header).to_bytes(8, "little") + header + b"\0" * 4)
    out = run_satconf("--workspace", str(ws), "check", "--json",
                      "--set", "pretrained_ckpt_path=model.safetensors", timeout=300)
    data = json.loads(out.stdout)
    assert any(d["field"] == "pretrained_ckpt_path" and "starts from model.safetensors"
               in d["message"] for d in data)


def test_launch_dry_run_prints_plan_then_findings(tmp_path: Path, run_satconf) -> None:
    ws = good_workspace(tmp_path / "ws")
    write_json(ws / "configs" / "model.json", {"model_type": "gan"})
    out = run_satconf("--workspace", str(ws), "launch", "--dry-run")
    assert out.returncode == 1, out.stderr  # the plan is printed; its errors set the exit code
    assert "train.py" in out.stdout and "preflight" not in out.stdout
    assert "preflight:" in out.stderr and "'gan' is not one" in out.stderr
    clean = run_satconf("--workspace", str(ws), "launch", "--dry-run", "--json",
                        "--set", "model_config=configs/dataset.json")
    assert json.loads(clean.stdout)["argv"]



def test_fresh_demo_workspace_has_no_errors(tmp_path: Path, run_satconf) -> None:
    made = run_satconf("demo", "init", str(tmp_path / "demo"))
    assert made.returncode == 0, made.stderr
    out = run_satconf("--workspace", str(tmp_path / "demo"), "check", "--no-probe", "--json")
    assert out.returncode == 0, out.stdout
    data = json.loads(out.stdout)
    assert any("demo trainer makes" in d["message"] for d in data)
