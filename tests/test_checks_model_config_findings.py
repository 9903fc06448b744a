"""The model config checks' findings word for word (satconf.checks.model_config).

Each test writes a model config into a real workspace and runs the model config checks on
it, as `satconf check` and the form do.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from satconf.checks.context import Context
from satconf.checks.finding import Finding, error, warning
from satconf.checks.model_config import (
    MODEL_TYPES,
    PRETRANSFORM_TYPES,
    check_model_config,
    check_pretransform_options,
)

from checks_support import GOOD_MODEL, LATENT_MODEL, config_for, good_workspace, write_json

pytestmark = pytest.mark.unprobed  # the model config checks need no training python

K = "model_config"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return good_workspace(tmp_path / "ws")


def model(ws: Path, data: Any, **values: Any) -> list[Finding]:
    write_json(ws / "configs" / "model.json", data)
    return check_model_config(Context.of(config_for(ws, **values), None))


def latent(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(LATENT_MODEL)
    data.update(changes)
    return data


def test_a_good_model_config_has_no_findings(ws: Path) -> None:
    assert model(ws, GOOD_MODEL) == []
    assert model(ws, latent(), pretransform_ckpt_path="configs/model.json") == []


def test_model_type_missing_or_unknown(ws: Path) -> None:
    types = ", ".join(MODEL_TYPES)
    no_type = {k: v for k, v in GOOD_MODEL.items() if k != "model_type"}
    assert model(ws, no_type) == [error(K, 'the model config has no "model_type"',
                                        f'add "model_type": one of {types}')]
    assert model(ws, {**GOOD_MODEL, "model_type": "gan"}) == [
        error(K, "model_type 'gan' is not one stable-audio-tools builds", f"use one of {types}")]


def test_sizes_must_be_positive_whole_numbers(ws: Path) -> None:
    data = {k: v for k, v in GOOD_MODEL.items() if k != "sample_rate"}
    assert model(ws, {**data, "sample_size": True, "audio_channels": 0}) == [
        error(K, 'the model config has no "sample_rate" (train.py reads it before anything '
              'else)', 'add "sample_rate": a positive whole number'),
        error(K, '"sample_size" is True; it must be a positive whole number'),
        error(K, '"audio_channels" is 0; it must be a positive whole number (1 mono, 2 stereo)')]
    assert model(ws, {**GOOD_MODEL, "sample_rate": 1, "audio_channels": 1}) == []
    assert model(ws, {**GOOD_MODEL, "sample_size": -5})[0].message.startswith(
        '"sample_size" is -5')


def test_the_model_and_training_blocks(ws: Path) -> None:
    data = {k: v for k, v in GOOD_MODEL.items() if k != "model"}
    assert model(ws, {**data, "training": [1]}) == [
        error(K, 'the model config\'s "model" block is missing',
              'add "model": {...} as in stable-audio-tools\' example configs'),
        error(K, 'the model config\'s "training" block is not a JSON object',
              'add "training": {...} as in stable-audio-tools\' example configs')]


def test_pretransform_rules_word_for_word(ws: Path) -> None:
    data = latent(sample_size=100000)
    data["model"]["io_channels"] = 32
    data["model"]["pretransform"]["type"] = "vae"
    assert model(ws, data, pretrained_ckpt_path="x.ckpt") == [
        error(K, "model.pretransform.type 'vae' is not a known pretransform",
              f"use one of {', '.join(PRETRANSFORM_TYPES)}"),
        error(K, "sample_size 100000 does not divide by the pretransform's downsampling_ratio "
              "2048", "use a multiple of 2048, e.g. 98304"),
        error(K, "model.io_channels is 32 but the pretransform's latent_dim is 64",
              "set model.io_channels to 64")]
    small = latent(sample_size=1000)  # smaller than one latent frame: the ratio itself
    assert model(ws, small, ckpt_path="x.ckpt")[0].hint == "use a multiple of 2048, e.g. 2048"


def test_a_pretransform_block_that_is_not_one(ws: Path) -> None:
    data = latent()
    data["model"]["pretransform"] = "autoencoder"
    assert model(ws, data) == [error(K, 'model.pretransform must be a JSON object with "type" '
                                        'and "config"')]
    data["model"]["pretransform"] = {"type": "pqmf"}
    assert model(ws, data) == [error(K, 'model.pretransform has no "config" object',
                                     "add the pretransform's config (for an autoencoder: its "
                                     "model block)")]


def test_an_autoencoder_pretransform_needs_its_weights(ws: Path) -> None:
    found = model(ws, latent())
    assert found == [warning(K, "the pretransform is an autoencoder but no checkpoint loads "
                             "its weights: the model would train on noise latents",
                             "set pretransform_ckpt_path to the trained autoencoder")]
    for key in ("ckpt_path", "pretrained_ckpt_path", "pretransform_ckpt_path"):
        assert model(ws, latent(), **{key: "w.ckpt"}) == []
    other = latent()
    other["model"]["pretransform"]["type"] = "wavelet"
    assert model(ws, other) == []


def test_diffusion_cond_needs_its_demo_block(ws: Path) -> None:
    data = latent()
    data["training"] = {}
    assert model(ws, data, ckpt_path="w.ckpt") == [error(
        K, "diffusion_cond needs a training.demo block (num_demos, demo_cfg_scales, "
        "demo_cond)", "copy it from an example config")]
    data["training"] = {"demo": {"demo_cond": [{}, {}]}}
    assert model(ws, data, ckpt_path="w.ckpt") == [
        error(K, 'training.demo has no "num_demos" (diffusion_cond reads it)'),
        error(K, 'training.demo has no "demo_cfg_scales" (diffusion_cond reads it)')]
    data["training"] = {"demo": {"num_demos": 3, "demo_cfg_scales": [3], "demo_cond": [{}]}}
    assert model(ws, data, ckpt_path="w.ckpt") == [error(
        K, "training.demo.num_demos is 3 but demo_cond has 1 entries", "make them equal")]
    # other model types have no demo block to check
    assert model(ws, {**data, "model_type": "diffusion_uncond"}, ckpt_path="w.ckpt") == []


def test_pretransform_options_need_a_pretransform(ws: Path) -> None:
    def options(data: Any, **values: Any) -> list[Finding]:
        write_json(ws / "configs" / "model.json", data)
        return check_pretransform_options(Context.of(config_for(ws, **values), None))

    assert options(GOOD_MODEL, remove_pretransform_weight_norm="pre_load",
                   pretransform_ckpt_path="ae.ckpt") == [
        error("remove_pretransform_weight_norm", "remove_pretransform_weight_norm = pre_load "
              "but the model has no pretransform: train.py would stop with an AttributeError "
              "after building the model", "leave it empty"),
        error("pretransform_ckpt_path", "a pretransform checkpoint is set but the model has no "
              "pretransform: train.py would stop with an AttributeError after building the "
              "model", "clear it, or pick the model config that has the pretransform")]
    assert len(options(GOOD_MODEL, remove_pretransform_weight_norm="post_load")) == 1
    assert options(GOOD_MODEL) == []
    assert options(latent(), remove_pretransform_weight_norm="pre_load",
                   pretransform_ckpt_path="ae.ckpt") == []
    assert options([1, 2], pretransform_ckpt_path="ae.ckpt") == []  # unreadable: said elsewhere


def test_a_model_config_that_is_not_an_object_says_what_it_should_be(ws: Path) -> None:
    path = ws / "configs" / "model.json"
    assert model(ws, [1, 2]) == [error(K, f"{path} holds a JSON list, but a model config must "
                                          "be a JSON object {...}")]


def test_the_pretransform_block_others_ask_for(ws: Path) -> None:
    from satconf.checks.model_config import pretransform

    def block(data: Any) -> Any:
        write_json(ws / "configs" / "model.json", data)
        return pretransform(Context.of(config_for(ws), None))

    assert block(latent()) == LATENT_MODEL["model"]["pretransform"]
    data = latent()
    data["model"]["pretransform"] = "autoencoder"
    assert block(data) is None
    assert block(GOOD_MODEL) is None
    assert block({**GOOD_MODEL, "model": []}) is None
    assert block([1]) is None
