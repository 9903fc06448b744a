"""What each checkpoint flag's file would do to the run, word for word (checks.ckpt_verdicts).

The summaries are shaped as `ckpt_inspect` writes them in the training python (tensor
count, Lightning version, top-level prefixes, key names); the workspace, its model
config and the Context are real. The end-to-end path, with real Lightning checkpoints
read by the training python, is tests/test_checks_checkpoints.py and
tests/test_checks_ckpt_fill.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from satconf.checks.ckpt_verdicts import UNWRAP, interpret
from satconf.checks.context import Context
from satconf.checks.finding import Finding, error, info, warning

from checks_support import GOOD_MODEL, LATENT_MODEL, config_for, good_workspace, write_json

pytestmark = pytest.mark.unprobed  # no training python: the summaries are given

CKPT = Path("/ckpts/model.ckpt")
RESUME_HINT = ("it is a Lightning 2.1.0 training checkpoint: resume from it with ckpt_path "
               f"(same model config), or unwrap it with {UNWRAP} and give the unwrapped file "
               "here")
WRAPPED_HINT = ("it is wrapped weights: resume from it with ckpt_path (same model config), "
                f"or unwrap it with {UNWRAP} and give the unwrapped file here")
OTHER_MODEL = "is it a checkpoint of another model? check model_config"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return good_workspace(tmp_path / "ws")


def summary(prefixes: dict[str, int], version: str | None = None,
            keys: list[str] | None = None) -> dict[str, Any]:
    return {"n_keys": sum(prefixes.values()), "lightning_version": version,
            "prefixes": prefixes, "keys": keys, "error": None}


def judge(ws: Path, key: str, data: dict[str, Any], model: dict[str, Any] | None = None,
          names: list[str] | None = None) -> list[Finding]:
    if model is not None:
        write_json(ws / "configs" / "model.json", model)
    ctx = Context.of(config_for(ws), None)
    return interpret(ctx, key, CKPT, data, model_names=names)


def test_an_unreadable_file_says_why(ws: Path) -> None:
    got = judge(ws, "pretrained_ckpt_path", {"error": "torch.load failed: EOFError"})
    assert got == [error("pretrained_ckpt_path", "model.ckpt cannot be read as a checkpoint: "
                         "torch.load failed: EOFError", "check that the file is complete and "
                         "is a torch or safetensors file")]


def test_ckpt_path_needs_a_lightning_checkpoint(ws: Path) -> None:
    assert judge(ws, "ckpt_path", summary({"model": 3})) == [error(
        "ckpt_path", "model.ckpt is not a Lightning checkpoint (no pytorch-lightning_version): "
        "resuming from it fails after the model has loaded", "an unwrapped model (e.g. Hugging "
        "Face model.ckpt or .safetensors) belongs in pretrained_ckpt_path")]
    assert judge(ws, "ckpt_path", summary({"diffusion": 5, "diffusion_ema": 2}, "2.1.0")) == [
        info("ckpt_path", "resumes from model.ckpt: 7 tensors, Lightning 2.1.0")]


@pytest.mark.parametrize("key", ["pretrained_ckpt_path", "pretransform_ckpt_path"])
def test_no_weights_at_all(ws: Path, key: str) -> None:
    assert judge(ws, key, summary({})) == [error(key, "model.ckpt holds no weights")]


def test_fill_counted_against_the_models_own_tensor_names(ws: Path) -> None:
    names = ["encoder.a", "encoder.b", "decoder.a", "decoder.b"]
    k = "pretrained_ckpt_path"
    wrapped = summary({"autoencoder": 4}, "2.1.0", keys=["autoencoder.encoder.a"] * 4)
    assert judge(ws, k, wrapped, names=names) == [error(
        k, "model.ckpt would load nothing, silently: it fills 0 of the model's 4 tensors; its "
        "keys start with autoencoder. (4) (a training-wrapper checkpoint)", RESUME_HINT)]
    one = summary({"encoder": 1, "x": 3}, keys=["encoder.a", "x.1", "x.2", "x.3"])
    assert judge(ws, k, one, names=names) == [warning(
        k, "model.ckpt fills only 1 of the model's 4 tensors; its keys start with x. (3), "
        "encoder. (1): the rest of the model starts from scratch", OTHER_MODEL)]
    half = summary({"encoder": 2}, keys=["encoder.a", "encoder.b"])
    assert judge(ws, k, half, names=names) == [info(
        k, "starts from model.ckpt: 2 tensors; fills 2 of the model's 4 tensors")]


def test_without_the_models_names_the_model_types_modules_decide(ws: Path) -> None:
    k = "pretrained_ckpt_path"
    # autoencoder: encoder, decoder, bottleneck, pretransform are its own modules
    own = summary({"encoder": 3, "decoder": 3, "lm": 4}, "2.1.0")
    assert judge(ws, k, own) == [info(
        k, "starts from model.ckpt: 10 tensors, Lightning 2.1.0; fills 6 of its 10 keys (by "
           "the model's own module names)")]
    few = summary({"encoder": 1, "decoder": 1, "other": 3})
    assert judge(ws, k, few) == [warning(
        k, "model.ckpt fills only 2 of its 5 keys (by the model's own module names); its keys "
        "start with other. (3), encoder. (1), decoder. (1): the rest of the model starts "
        "from scratch", OTHER_MODEL)]
    wrapped = summary({"autoencoder": 6, "autoencoder_ema": 6})
    assert judge(ws, k, wrapped) == [error(
        k, "model.ckpt would load nothing, silently: it fills 0 of its 12 keys (by the "
        "model's own module names); its keys start with autoencoder. (6), autoencoder_ema. "
        "(6) (a training-wrapper checkpoint)", WRAPPED_HINT)]


def test_a_model_type_without_known_modules_counts_what_is_not_a_wrapper(ws: Path) -> None:
    k = "pretrained_ckpt_path"
    odd = {**GOOD_MODEL, "model_type": "something_new"}
    mostly = summary({"net": 3, "diffusion": 1})
    assert judge(ws, k, mostly, model=odd) == [info(
        k, "starts from model.ckpt: 4 tensors; fills 3 of its 4 keys (by the model's own "
           "module names)")]
    only_wrapper = summary({"diffusion": 2, "diffusion_ema": 2})
    [finding] = judge(ws, k, only_wrapper, model=odd)
    assert finding.level == "error" and "fills 0 of its 4 keys" in finding.message
    assert finding.hint == WRAPPED_HINT


def test_the_top_prefixes_are_the_four_largest(ws: Path) -> None:
    many = summary({"a": 1, "b": 5, "c": 2, "d": 4, "e": 3})
    [finding] = judge(ws, "pretrained_ckpt_path", many)
    assert finding.message.endswith("its keys start with b. (5), d. (4), e. (3), c. (2)")


def test_autoencoder_weights_given_to_a_latent_model_belong_in_pretransform(ws: Path) -> None:
    k = "pretrained_ckpt_path"
    ae = summary({"encoder": 3, "decoder": 3})
    [finding] = judge(ws, k, ae, model=LATENT_MODEL)  # diffusion_cond: model, conditioner
    assert finding == error(k, "model.ckpt would load nothing, silently: it fills 0 of its 6 "
                            "keys (by the model's own module names); its keys start with "
                            "encoder. (3), decoder. (3)", "these are autoencoder weights: "
                            "they belong in pretransform_ckpt_path")
    # exactly half autoencoder keys is not "mostly": another model, then
    half = summary({"encoder": 1, "decoder": 1, "x": 2})
    assert judge(ws, k, half, model=LATENT_MODEL)[0].hint == OTHER_MODEL
    # a model without a pretransform has nowhere to put them
    plain = {**LATENT_MODEL, "model": {"diffusion": {}}}
    assert judge(ws, k, ae, model=plain)[0].hint == OTHER_MODEL


def test_half_wrapper_keys_is_not_a_wrapper_checkpoint(ws: Path) -> None:
    half = summary({"diffusion": 2, "x": 2})
    [finding] = judge(ws, "pretrained_ckpt_path", half, model=LATENT_MODEL)
    assert "training-wrapper" not in finding.message and finding.hint == OTHER_MODEL


def test_pretransform_weights(ws: Path) -> None:
    k = "pretransform_ckpt_path"
    good = summary({"encoder": 3, "decoder": 2})
    assert judge(ws, k, good, model=LATENT_MODEL) == [
        info(k, "pretransform weights from model.ckpt: 5 tensors")]
    wrapped = summary({"autoencoder": 4}, "2.1.0")
    assert judge(ws, k, wrapped, model=LATENT_MODEL) == [error(
        k, "no key in model.ckpt starts with encoder./decoder. (they start with autoencoder. "
        "(4): a wrapped checkpoint): the pretransform would not load it",
        f"use the unwrapped autoencoder checkpoint ({UNWRAP})")]
    other = summary({"net": 4})
    assert judge(ws, k, other, model=LATENT_MODEL) == [error(
        k, "no key in model.ckpt starts with encoder./decoder.: the pretransform would not "
        "load it", f"use the unwrapped autoencoder checkpoint ({UNWRAP})")]
    # a model without a pretransform: the model-config check reports the pointless flag
    assert judge(ws, k, good, model=GOOD_MODEL) == []


def test_pretransform_without_a_readable_model_config_is_still_judged(ws: Path) -> None:
    (ws / "configs" / "model.json").write_text("{not json", encoding="utf-8")
    ctx = Context.of(config_for(ws), None)
    found = interpret(ctx, "pretransform_ckpt_path", CKPT, summary({"net": 2}))
    assert [f.level for f in found] == ["error"]


def test_an_autoencoder_given_its_own_kind_of_keys_is_not_sent_to_pretransform(ws: Path) -> None:
    # An autoencoder with a pretransform block of its own, and names that do not match:
    # encoder/decoder keys are its own modules, so "another model" is the hint.
    model = {**GOOD_MODEL, "model": {"encoder": {}, "decoder": {},
                                     "pretransform": {"type": "autoencoder"}}}
    ae = summary({"encoder": 2, "decoder": 1}, keys=["encoder.x", "encoder.y", "decoder.z"])
    [finding] = judge(ws, "pretrained_ckpt_path", ae, model=model, names=["encoder.w"])
    assert finding.level == "error" and "fills 0 of the model's 1 tensors" in finding.message
    assert finding.hint == OTHER_MODEL


def test_key_names_without_the_models_names_fall_back_to_module_names(ws: Path) -> None:
    listed = summary({"encoder": 2}, keys=["encoder.a", "encoder.b"])
    assert judge(ws, "pretrained_ckpt_path", listed) == [info(
        "pretrained_ckpt_path", "starts from model.ckpt: 2 tensors; fills 2 of its 2 keys (by "
        "the model's own module names)")]


def test_a_model_type_without_known_modules_warns_when_wrappers_are_most(ws: Path) -> None:
    odd = {**GOOD_MODEL, "model_type": "something_new"}
    k = "pretrained_ckpt_path"
    assert judge(ws, k, summary({"net": 1, "diffusion": 3}), model=odd) == [warning(
        k, "model.ckpt fills only 1 of its 4 keys (by the model's own module names); its keys "
        "start with diffusion. (3), net. (1): the rest of the model starts from scratch",
        WRAPPED_HINT)]


def test_a_partial_fill_of_a_latent_model_by_autoencoder_weights(ws: Path) -> None:
    k = "pretrained_ckpt_path"
    mixed = summary({"model": 2, "encoder": 3, "decoder": 2})
    assert judge(ws, k, mixed, model=LATENT_MODEL) == [warning(
        k, "model.ckpt fills only 2 of its 7 keys (by the model's own module names); its keys "
        "start with encoder. (3), model. (2), decoder. (2): the rest of the model starts "
        "from scratch", "these are autoencoder weights: they belong in pretransform_ckpt_path")]


def test_keys_without_prefixes_say_nothing(ws: Path) -> None:
    bare = {"n_keys": 3, "lightning_version": None, "prefixes": {}, "keys": None, "error": None}
    [finding] = judge(ws, "pretrained_ckpt_path", bare)
    assert finding.message.endswith("its keys start with nothing")


def test_an_autoencoder_partly_filled_by_its_own_kind_of_keys(ws: Path) -> None:
    model = {**GOOD_MODEL, "model": {"encoder": {}, "decoder": {},
                                     "pretransform": {"type": "autoencoder"}}}
    part = summary({"encoder": 1, "decoder": 2}, keys=["encoder.a", "decoder.q", "decoder.r"])
    [finding] = judge(ws, "pretrained_ckpt_path", part, model=model,
                      names=["encoder.a", "encoder.b", "encoder.c"])
    assert finding.level == "warning" and "fills only 1 of the model's 3" in finding.message
    assert finding.hint == OTHER_MODEL
