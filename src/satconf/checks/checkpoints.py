"""The three checkpoint flags, judged by what train.py's loaders would actually load.

`pretrained_ckpt_path` goes through `load_ckpt_state_dict` + `copy_state_dict`,
which copy only the keys the model itself has: a training-wrapper checkpoint
(`autoencoder.`/`autoencoder_ema.`, `diffusion.`/`diffusion_ema.` keys) fills
nothing and training starts from scratch without a word. So a checkpoint is
judged by the fraction of the model's own parameter names its keys fill: the
names come from building the model in the training python (`ckpt_inspect`,
when stable-audio-tools is importable), else from the model type's top-level
modules. Findings say which prefixes the keys have and which flag the file
belongs in. `ckpt_path` is also compared, without torch, with the model
config embedded in the checkpoint. With `recover` on, the checkpoint recover
would pick is the one judged.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from satconf.checks.context import Context
from satconf.checks.finding import Finding, error, info, sort_findings, warning
from satconf.checks.model_config import model_config, pretransform
from satconf.environment import EnvironmentInfo
from satconf.runconfig import RunConfig
from satconf.workspace import cache_dir

CKPT_KEYS = ("ckpt_path", "pretrained_ckpt_path", "pretransform_ckpt_path")
DEFAULT_TIMEOUT = 120.0
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


def check_checkpoint_names(ctx: Context) -> list[Finding]:
    """What the file name and the checkpoint's plain-data entries give away, without torch."""
    path = ctx.path("ckpt_path")
    if path is None:
        return []
    if path.name.endswith(".safetensors"):
        return [error("ckpt_path", f"{path.name} is a .safetensors file, which is never a "
                      "Lightning checkpoint: resuming from it fails",
                      "put it in pretrained_ckpt_path to start a new run from its weights")]
    return _other_model(ctx, path)


def _other_model(ctx: Context, path: Path) -> list[Finding]:
    from satconf.ckpt_meta import embedded_model_config

    mine = model_config(ctx)
    theirs = embedded_model_config(path) if mine is not None else None
    if theirs is None or mine is None:
        return []
    differs = [k for k in ("model_type", "model", "sample_rate", "audio_channels")
               if theirs.get(k) != mine.get(k)]
    if not differs:
        return []
    return [error("ckpt_path", f"{path.name} was saved by another model: its embedded "
                  f"model_config differs from this run's in {', '.join(differs)}; train.py "
                  "would stop with \"RuntimeError: Error(s) in loading state_dict\"",
                  "resume with the model config it was trained with, or start from its "
                  "weights with pretrained_ckpt_path")]


def _files(ctx: Context) -> dict[str, Path]:
    out = {}
    for key in CKPT_KEYS:
        path = ctx.path(key)
        try:
            if path is not None and path.is_file() and os.access(path, os.R_OK):
                out[key] = path
        except OSError:
            continue  # the path checks report it
    return out


def inspect_checkpoints(config: RunConfig, env: EnvironmentInfo | None = None, *,
                        timeout: float = DEFAULT_TIMEOUT,
                        cache: Path | None = None) -> list[Finding]:
    """The slow checks in the training python, each cached: train.py's imports, then what
    the set checkpoints hold (and fill of the model). `cache`: the folder for both caches."""
    from satconf.checks.ckpt_summaries import summaries
    from satconf.runs.recover import apply_recover

    with contextlib.suppress(OSError, ValueError):
        config = apply_recover(config)[0]  # judge the checkpoint recover would resume
    ctx = Context.of(config, env)
    out: list[Finding] = []
    if env is not None and env.ok:
        from satconf.checks.imports import check_imports

        out += check_imports(ctx, env, run=True, timeout=timeout,
                             cache=cache / "imports" if cache else None)
    files = _files(ctx)
    if not files:
        return sort_findings(out)
    python = env.python if env is not None else config.python
    model = None
    config_path = ctx.path("model_config")
    if "pretrained_ckpt_path" in files and model_config(ctx) is not None and config_path:
        model = (config_path, ctx.root)
    found, names, problem = summaries(python, list(files.values()), timeout,
                                      cache or cache_dir() / "checkpoints", model=model)
    if problem:
        out.append(warning(None, f"checkpoints not inspected: {problem}",
                           "satconf check inspects them again next time"))
    model_names = names.get("names") if isinstance(names, dict) else None
    for key, path in files.items():
        summary = found.get(str(path))
        if summary is not None:
            out += interpret(ctx, key, path, summary, model_names=model_names)
    return sort_findings(out)


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
