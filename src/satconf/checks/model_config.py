"""The model config JSON: what train.py and stable-audio-tools' factories read from it."""

from __future__ import annotations

from typing import Any

from satconf.checks.context import Context
from satconf.checks.finding import Finding, error, warning

KEY = "model_config"
MODEL_TYPES = ("autoencoder", "diffusion_uncond", "diffusion_cond", "diffusion_cond_inpaint",
               "diffusion_autoencoder", "lm")
PRETRANSFORM_TYPES = ("autoencoder", "wavelet", "pqmf", "dac_pretrained",
                      "audiocraft_pretrained", "patched")
CKPT_KEYS = ("ckpt_path", "pretrained_ckpt_path", "pretransform_ckpt_path")


def model_config(ctx: Context) -> dict[str, Any] | None:
    return ctx.json(KEY, "model config")[0]


def pretransform(ctx: Context) -> dict[str, Any] | None:
    """The model's pretransform block, or None when the model has none (or is unreadable)."""
    data = model_config(ctx)
    model = data.get("model") if data else None
    block = model.get("pretransform") if isinstance(model, dict) else None
    return block if isinstance(block, dict) else None


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def check_model_config(ctx: Context) -> list[Finding]:
    data, found = ctx.json(KEY, "model config")
    if data is None:
        return found
    out: list[Finding] = []
    mtype = data.get("model_type")
    if mtype is None:
        out.append(error(KEY, "the model config has no \"model_type\"",
                         f"add \"model_type\": one of {', '.join(MODEL_TYPES)}"))
    elif mtype not in MODEL_TYPES:
        out.append(error(KEY, f"model_type {mtype!r} is not one stable-audio-tools builds",
                         f"use one of {', '.join(MODEL_TYPES)}"))
    for key in ("sample_rate", "sample_size"):
        if key not in data:
            out.append(error(KEY, f"the model config has no \"{key}\" (train.py reads it "
                             "before anything else)", f"add \"{key}\": a positive whole number"))
        elif not _positive_int(data[key]):
            out.append(error(KEY, f"\"{key}\" is {data[key]!r}; it must be a positive "
                             "whole number"))
    if "audio_channels" in data and not _positive_int(data["audio_channels"]):
        out.append(error(KEY, f"\"audio_channels\" is {data['audio_channels']!r}; it must be "
                         "a positive whole number (1 mono, 2 stereo)"))
    for key in ("model", "training"):
        if not isinstance(data.get(key), dict):
            what = "missing" if key not in data else "not a JSON object"
            out.append(error(KEY, f"the model config's \"{key}\" block is {what}",
                             f"add \"{key}\": {{...}} as in stable-audio-tools' example configs"))
    model = data.get("model") if isinstance(data.get("model"), dict) else {}
    out += _check_pretransform(ctx, data, model)
    if mtype == "diffusion_cond":
        out += _check_demo(data)
    return out


def _check_pretransform(ctx: Context, data: dict[str, Any],
                        model: dict[str, Any]) -> list[Finding]:
    if "pretransform" not in model:
        return []
    block = model["pretransform"]
    if not isinstance(block, dict):
        return [error(KEY, "model.pretransform must be a JSON object with \"type\" and "
                      "\"config\"")]
    out: list[Finding] = []
    ptype = block.get("type")
    if ptype not in PRETRANSFORM_TYPES:
        out.append(error(KEY, f"model.pretransform.type {ptype!r} is not a known pretransform",
                         f"use one of {', '.join(PRETRANSFORM_TYPES)}"))
    config = block.get("config")
    if not isinstance(config, dict):
        out.append(error(KEY, "model.pretransform has no \"config\" object",
                         "add the pretransform's config (for an autoencoder: its model block)"))
        config = {}
    if ptype == "autoencoder" and not any(ctx.text(k) for k in CKPT_KEYS):
        out.append(warning(KEY, "the pretransform is an autoencoder but no checkpoint "
                           "loads its weights: the model would train on noise latents",
                           "set pretransform_ckpt_path to the trained autoencoder"))
    ratio = config.get("downsampling_ratio")
    size = data.get("sample_size")
    if _positive_int(ratio) and _positive_int(size) and size % ratio:
        out.append(error(KEY, f"sample_size {size} does not divide by the pretransform's "
                         f"downsampling_ratio {ratio}",
                         f"use a multiple of {ratio}, e.g. {size - size % ratio or ratio}"))
    latent = config.get("latent_dim")
    io = model.get("io_channels")
    if _positive_int(latent) and _positive_int(io) and io != latent:
        out.append(error(KEY, f"model.io_channels is {io} but the pretransform's latent_dim "
                         f"is {latent}", f"set model.io_channels to {latent}"))
    return out


def _check_demo(data: dict[str, Any]) -> list[Finding]:
    training = data.get("training")
    if not isinstance(training, dict):
        return []
    demo = training.get("demo")
    if not isinstance(demo, dict):
        return [error(KEY, "diffusion_cond needs a training.demo block (num_demos, "
                      "demo_cfg_scales, demo_cond)", "copy it from an example config")]
    out = [error(KEY, f"training.demo has no \"{key}\" (diffusion_cond reads it)")
           for key in ("num_demos", "demo_cfg_scales") if key not in demo]
    num, cond = demo.get("num_demos"), demo.get("demo_cond")
    if _positive_int(num) and isinstance(cond, list) and len(cond) != num:
        out.append(error(KEY, f"training.demo.num_demos is {num} but demo_cond has "
                         f"{len(cond)} entries", "make them equal"))
    return out


def check_pretransform_options(ctx: Context) -> list[Finding]:
    """Options that act on a pretransform, for a model that has none."""
    data = model_config(ctx)
    if data is None or pretransform(ctx) is not None:
        return []
    out: list[Finding] = []
    removal = ctx.value("remove_pretransform_weight_norm")
    if removal in ("pre_load", "post_load"):
        out.append(error("remove_pretransform_weight_norm",
                         f"remove_pretransform_weight_norm = {removal} but the model has no "
                         "pretransform: train.py would stop with an AttributeError after "
                         "building the model", "leave it empty"))
    if ctx.text("pretransform_ckpt_path"):
        out.append(error("pretransform_ckpt_path", "a pretransform checkpoint is set but the "
                         "model has no pretransform: train.py would stop with an "
                         "AttributeError after building the model",
                         "clear it, or pick the model config that has the pretransform"))
    return out
