"""Checkpoints judged by what train.py's loaders would fill, with real files written by torch.

`pretrained_ckpt_path` goes through `load_ckpt_state_dict` + `copy_state_dict`:
only keys the model itself has are copied, so an EMA training checkpoint
(`autoencoder.` and `autoencoder_ema.` keys) loads nothing without a word.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from satconf.checks import inspect_checkpoints, run_checks

from checks_support import (
    GOOD_MODEL,
    LATENT_MODEL,
    about,
    config_for,
    environment,
    good_workspace,
    write_json,
)

MAKE = r'''
import sys, torch
from safetensors.torch import save_file
out = sys.argv[1]
t = lambda: torch.zeros(2)
ae = {"encoder.layers.0.weight": t(), "encoder.layers.0.bias": t(),
      "decoder.layers.0.weight": t(), "decoder.layers.0.bias": t()}
def wrapped(prefix, ema):
    state = {f"{prefix}.{k}": v for k, v in ae.items()}
    if ema:  # ema_pytorch keeps an EMA and an online copy
        for copy in ("ema_model", "online_model"):
            state.update({f"{prefix}_ema.{copy}.{k}": v for k, v in ae.items()})
        state[f"{prefix}_ema.initted"] = torch.tensor(True)
    state["discriminator.convs.0.weight"] = t()
    return {"pytorch-lightning_version": "2.1.0", "global_step": 20, "state_dict": state,
            "model_config": {"model_type": "autoencoder"}}
torch.save(wrapped("autoencoder", ema=True), out + "/ae_ema.ckpt")
torch.save(wrapped("autoencoder", ema=False), out + "/ae_wrapped.ckpt")
torch.save({"state_dict": ae}, out + "/ae_unwrapped.ckpt")
save_file(ae, out + "/ae.safetensors")
save_file({"autoencoder_ema.ema_model." + k: v for k, v in ae.items()},
          out + "/ae_ema.safetensors")
torch.save({"state_dict": {"model.model.w": t(), "conditioner.c.w": t(),
                           "pretransform.model.encoder.w": t()}}, out + "/dit.ckpt")
# names as the fake checkout below builds them: one of its four tensors
torch.save({"state_dict": {"encoder.weight": t()}}, out + "/part.ckpt")
'''

# A checkout's own package, real enough for ckpt_inspect to build the model on `meta`.
FACTORY = '''\
import torch

def create_model_from_config(config):
    model = torch.nn.Module()
    model.encoder = torch.nn.Linear(4, 2)
    model.decoder = torch.nn.Linear(2, 4)
    return model
'''


@pytest.fixture(scope="module")
def ckpts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fill")
    subprocess.run([sys.executable, "-c", MAKE, str(folder)], check=True, timeout=300)
    return folder


def _found(tmp_path: Path, ckpts: Path, model: dict, key: str, name: str):
    ws = good_workspace(tmp_path / "ws")
    write_json(ws / "configs" / "model.json", model)
    config = config_for(ws, **{key: str(ckpts / name)})
    env = environment(python=sys.executable)
    # one cache for the module: each file is read by torch once, train.py's imports probed once
    return about(inspect_checkpoints(config, env, cache=ckpts / "cache"), key)


def test_ema_training_checkpoint_as_pretrained_loads_nothing(tmp_path: Path,
                                                              ckpts: Path) -> None:
    (found,) = _found(tmp_path, ckpts, GOOD_MODEL, "pretrained_ckpt_path", "ae_ema.ckpt")
    assert found.level == "error" and "would load nothing" in found.message
    assert "fills 0 of its 14 keys" in found.message
    assert "autoencoder_ema. (9)" in found.message and "autoencoder. (4)" in found.message
    assert "ckpt_path" in found.hint and "unwrap" in found.hint


def test_wrapped_checkpoint_without_ema(tmp_path: Path, ckpts: Path) -> None:
    (found,) = _found(tmp_path, ckpts, GOOD_MODEL, "pretrained_ckpt_path", "ae_wrapped.ckpt")
    assert found.level == "error" and "autoencoder. (4)" in found.message
    assert "Lightning 2.1.0 training checkpoint" in found.hint


@pytest.mark.parametrize("name", ["ae_unwrapped.ckpt", "ae.safetensors"])
def test_unwrapped_weights_fill_the_model(tmp_path: Path, ckpts: Path, name: str) -> None:
    (found,) = _found(tmp_path, ckpts, GOOD_MODEL, "pretrained_ckpt_path", name)
    assert found.level == "info" and "fills 4 of its 4 keys" in found.message


def test_ema_safetensors(tmp_path: Path, ckpts: Path) -> None:
    (found,) = _found(tmp_path, ckpts, GOOD_MODEL, "pretrained_ckpt_path",
                      "ae_ema.safetensors")
    assert found.level == "error" and "autoencoder_ema. (4)" in found.message
    assert "wrapped weights" in found.hint


def test_pretransform_weights_belong_in_their_own_flag(tmp_path: Path, ckpts: Path) -> None:
    (found,) = _found(tmp_path, ckpts, LATENT_MODEL, "pretrained_ckpt_path", "ae.safetensors")
    assert found.level == "error" and "pretransform_ckpt_path" in found.hint
    (good,) = _found(tmp_path, ckpts, LATENT_MODEL, "pretransform_ckpt_path",
                     "ae_unwrapped.ckpt")
    assert good.level == "info"
    (dit,) = _found(tmp_path, ckpts, LATENT_MODEL, "pretrained_ckpt_path", "dit.ckpt")
    assert dit.level == "info"
    (ema,) = _found(tmp_path, ckpts, LATENT_MODEL, "pretransform_ckpt_path", "ae_ema.ckpt")
    assert ema.level == "error" and "unwrap" in ema.hint


def test_fill_counted_against_the_model_the_checkout_builds(tmp_path: Path,
                                                            ckpts: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    models = ws / "stable_audio_tools" / "models"
    models.mkdir(parents=True)
    (ws / "stable_audio_tools" / "__init__.py").write_text("")
    (models / "__init__.py").write_text("")
    (models / "factory.py").write_text(FACTORY)
    env = environment(python=sys.executable)

    def check(name: str):
        config = config_for(ws, pretrained_ckpt_path=str(ckpts / name))
        return about(inspect_checkpoints(config, env, cache=ckpts / "cache"),
                     "pretrained_ckpt_path")

    (part,) = check("part.ckpt")
    assert part.level == "warning" and "fills only 1 of the model's 4 tensors" in part.message
    (ema,) = check("ae_ema.ckpt")
    assert ema.level == "error" and "fills 0 of the model's 4 tensors" in ema.message


def test_resuming_another_models_checkpoint(tmp_path: Path, ckpts: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    config = config_for(ws, ckpt_path=str(ckpts / "ae_ema.ckpt"))
    (found,) = about(run_checks(config), "ckpt_path", "error")  # no torch: the fast checks
    assert "saved by another model" in found.message and "in model, sample_rate" in found.message
    # The model config it embeds, given as the run's: nothing to say about ckpt_path.
    write_json(ws / "configs" / "model.json", {"model_type": "autoencoder"})
    assert not about(run_checks(config), "ckpt_path", "error")
