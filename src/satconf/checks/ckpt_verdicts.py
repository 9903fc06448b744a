"""What a checkpoint flag's file would do to the run, judged from its summary.

The summary is what `ckpt_inspect` read in the training python: the tensor count,
the Lightning version, the top-level key prefixes and (some of) the key names. The
judging needs no torch and no process, so it is tested, and mutation-tested, on its
own; `checks.checkpoints` finds the files and has them read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from satconf.checks.context import Context
from satconf.checks.finding import Finding, error, info, warning
from satconf.checks.model_config import model_config, pretransform

WRAPPER_PREFIXES = ("diffusion", "diffusion_ema", "autoencoder", "autoencoder_ema", "lm",
                    "lm_ema")
PRETRANSFORM_PREFIXES = ("encoder", "decoder")
# The top-level modules of the model each model_type builds (stable-audio-tools' factory).
OWN_PREFIXES: dict[str, tuple[str, ...]] = {
    "autoencoder": ("encoder", "decoder", "bottleneck", "pretransform"),
    "diffusion_uncond": ("model", "pretransform"),
    "diffusion_cond": ("model", "conditioner", "pretransform"),
    "diffusion_cond_inpaint": ("model", "conditioner", "pretransform"),
    "diffusion_autoencoder": ("encoder", "decoder", "bottleneck", "model", "pretransform"),
    "lm": ("model", "conditioner", "pretransform"),
}
UNWRAP = "stable-audio-tools' unwrap_model.py (with use_ema it keeps the EMA weights)"


def _share(summary: dict[str, Any], prefixes: tuple[str, ...]) -> int:
    counts = summary.get("prefixes") or {}
    return sum(int(n) for p, n in counts.items() if p in prefixes)


def _prefixes(summary: dict[str, Any]) -> str:
    counts = summary.get("prefixes") or {}
    top = sorted(counts.items(), key=lambda kv: -int(kv[1]))[:4]
    return ", ".join(f"{p}. ({n})" for p, n in top) or "nothing"


def interpret(ctx: Context, key: str, path: Path, summary: dict[str, Any], *,
              model_names: list[str] | None = None) -> list[Finding]:
    """Findings for one checkpoint flag from its summary (`ckpt_inspect.inspect`)."""
    if summary.get("error"):
        return [error(key, f"{path.name} cannot be read as a checkpoint: {summary['error']}",
                      "check that the file is complete and is a torch or safetensors file")]
    total = int(summary.get("n_keys") or 0)
    version = summary.get("lightning_version")
    label = f"{path.name}: {total} tensors" + (f", Lightning {version}" if version else "")
    if key == "ckpt_path":
        if version is None:
            return [error(key, f"{path.name} is not a Lightning checkpoint (no "
                          "pytorch-lightning_version): resuming from it fails after the "
                          "model has loaded", "an unwrapped model (e.g. Hugging Face "
                          "model.ckpt or .safetensors) belongs in pretrained_ckpt_path")]
        return [info(key, f"resumes from {label}")]
    if total == 0:
        return [error(key, f"{path.name} holds no weights")]
    if key == "pretrained_ckpt_path":
        return _pretrained(ctx, path, summary, label, model_names)
    return _pretransform(ctx, path, summary, label)


def _pretrained(ctx: Context, path: Path, summary: dict[str, Any], label: str,
                model_names: list[str] | None) -> list[Finding]:
    key = "pretrained_ckpt_path"
    total = int(summary.get("n_keys") or 0)
    data = model_config(ctx) or {}
    mtype = str(data.get("model_type") or "")
    keys = summary.get("keys")
    if model_names and isinstance(keys, list):
        have = set(keys)
        filled = sum(name in have for name in model_names)
        whole = len(model_names)
        basis = f"{filled} of the model's {whole} tensors"
        share = filled / whole
    else:
        own = OWN_PREFIXES.get(mtype)
        if own is None:
            wrapped = _share(summary, WRAPPER_PREFIXES)
            filled, share = total - wrapped, (total - wrapped) / total
        else:
            filled = _share(summary, own)
            share = filled / total
        basis = f"{filled} of its {total} keys (by the model's own module names)"
    if filled == 0:
        return [error(key, f"{path.name} would load nothing, silently: it fills {basis}; "
                      f"its keys start with {_prefixes(summary)}"
                      + (" (a training-wrapper checkpoint)" if _wrapped(summary) else ""),
                      _belongs(ctx, summary, mtype))]
    if share < 0.5:
        return [warning(key, f"{path.name} fills only {basis}; its keys start with "
                        f"{_prefixes(summary)}: the rest of the model starts from scratch",
                        _belongs(ctx, summary, mtype))]
    return [info(key, f"starts from {label}; fills {basis}")]


def _wrapped(summary: dict[str, Any]) -> bool:
    return _share(summary, WRAPPER_PREFIXES) * 2 > int(summary.get("n_keys") or 0)


def _belongs(ctx: Context, summary: dict[str, Any], mtype: str) -> str:
    """Which flag the file belongs in, from what its keys look like."""
    version = summary.get("lightning_version")
    total = int(summary.get("n_keys") or 0)
    if version is not None or _wrapped(summary):
        what = f"a Lightning {version} training checkpoint" if version else "wrapped weights"
        return (f"it is {what}: resume from it with ckpt_path (same model config), or unwrap "
                f"it with {UNWRAP} and give the unwrapped file here")
    if (_share(summary, PRETRANSFORM_PREFIXES) * 2 > total and mtype != "autoencoder"
            and pretransform(ctx) is not None):
        return "these are autoencoder weights: they belong in pretransform_ckpt_path"
    return "is it a checkpoint of another model? check model_config"


def _pretransform(ctx: Context, path: Path, summary: dict[str, Any],
                  label: str) -> list[Finding]:
    key = "pretransform_ckpt_path"
    if pretransform(ctx) is None and model_config(ctx) is not None:
        return []  # the model-config check already reports the pointless flag
    good = _share(summary, PRETRANSFORM_PREFIXES)
    if good == 0:
        wrapped = _share(summary, WRAPPER_PREFIXES)
        why = f" (they start with {_prefixes(summary)}: a wrapped checkpoint)" if wrapped else ""
        return [error(key, f"no key in {path.name} starts with encoder./decoder.{why}: the "
                      "pretransform would not load it", f"use the unwrapped autoencoder "
                      f"checkpoint ({UNWRAP})")]
    return [info(key, f"pretransform weights from {label}")]
