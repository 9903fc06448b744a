"""Text-to-audio configs, bf16 without a GPU, and paths the operating system refuses."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from satconf.checks import run_checks

from checks_support import (
    LATENT_MODEL,
    about,
    config_for,
    environment,
    good_workspace,
    write_json,
)

# As in stable-audio-tools' shipped text-to-audio configs, placeholder included.
T2A: dict[str, Any] = copy.deepcopy(LATENT_MODEL)
T2A["model"]["conditioning"] = {"cond_dim": 768, "configs": [
    {"id": "prompt", "type": "clap_text",
     "config": {"clap_ckpt_path": "/path/to/clap.ckpt", "audio_model_type": "HTSAT-base"}},
    {"id": "seconds_start", "type": "int", "config": {"min_val": 0, "max_val": 512}},
    {"id": "seconds_total", "type": "int", "config": {"min_val": 0, "max_val": 512}},
]}


def _t2a(root: Path, clap: str = "/path/to/clap.ckpt") -> Path:
    ws = good_workspace(root)
    model = copy.deepcopy(T2A)
    model["model"]["conditioning"]["configs"][0]["config"]["clap_ckpt_path"] = clap
    write_json(ws / "configs" / "model.json", model)
    return ws


def test_a_prompt_the_dataset_cannot_supply(tmp_path: Path) -> None:
    ws = _t2a(tmp_path / "ws", clap="clap.ckpt")
    (ws / "clap.ckpt").write_bytes(b"weights")
    config = config_for(ws, pretransform_ckpt_path="")
    (found,) = about(run_checks(config), "dataset_config", "error")
    assert "model.conditioning.configs[0].id needs 'prompt'" in found.message
    assert "Conditioner key prompt not found in batch metadata" in found.message
    # seconds_start/seconds_total come from the audio_dir dataset itself: not reported.
    assert "seconds" not in found.message
    (ws / "meta.py").write_text("def get_custom_metadata(info, audio):\n"
                                "    return {'prompt': info['relpath']}\n")
    write_json(ws / "configs" / "dataset.json", {"dataset_type": "audio_dir", "datasets": [
        {"id": "tones", "path": "data", "custom_metadata_module": "meta.py"}]})
    assert not about(run_checks(config), "dataset_config", "error")


def test_placeholder_and_missing_paths_inside_the_json(tmp_path: Path) -> None:
    ws = _t2a(tmp_path / "ws")
    (found,) = [f for f in about(run_checks(config_for(ws)), "model_config", "error")
                if "placeholder" in f.message]
    assert "model.conditioning.configs[0].config.clap_ckpt_path" in found.message
    assert "'/path/to/clap.ckpt'" in found.message
    write_json(ws / "configs" / "dataset.json", {
        "dataset_type": "audio_dir", "random_crop": True,
        "datasets": [{"id": "tones", "path": "data", "extra_file": "lists/train.txt"}]})
    (missing,) = [f for f in about(run_checks(config_for(ws)), "dataset_config", "error")
                  if "does not exist" in f.message]
    assert "datasets[0].extra_file is a path that does not exist" in missing.message
    # Every referenced file in place: no path finding at all.
    clean = _t2a(tmp_path / "clean", clap=str(tmp_path / "clap.ckpt"))
    (tmp_path / "clap.ckpt").write_bytes(b"weights")
    assert not [f for f in run_checks(config_for(clean)) if "path" in f.message
                and f.field == "model_config"]


def test_bf16_without_a_gpu_says_what_it_needs(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    no_gpu = environment(())
    (found,) = about(run_checks(config_for(ws, precision="bf16-mixed"), no_gpu), "precision")
    assert found.level == "error" and "compute capability 8.0" in found.message
    assert not about(run_checks(config_for(ws, precision="bf16-mixed"), environment()),
                     "precision")


def test_a_path_too_long_for_the_file_system_is_a_finding(tmp_path: Path, run_satconf) -> None:
    ws = good_workspace(tmp_path / "ws")
    long = "x" * 300 + "/model.json"
    (found,) = about(run_checks(config_for(ws, model_config=long)), "model_config", "error")
    assert "File name too long" in found.message and "255 bytes" in found.hint
    for key in ("save_dir", "pretrained_ckpt_path", "dataset_config"):
        assert about(run_checks(config_for(ws, **{key: long})), key, "error")
    out = run_satconf("--workspace", str(ws), "launch", "--dry-run",
                      "--set", f"pretrained_ckpt_path={long}")
    assert "Traceback" not in out.stderr and "File name too long" in out.stderr
