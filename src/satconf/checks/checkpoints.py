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
would pick is the one judged. This module finds the files and has them read;
`ckpt_verdicts` judges what was read.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from satconf.checks.ckpt_verdicts import interpret
from satconf.checks.context import Context
from satconf.checks.finding import Finding, error, sort_findings, warning
from satconf.checks.model_config import model_config
from satconf.environment import EnvironmentInfo
from satconf.runconfig import RunConfig
from satconf.workspace import cache_dir

CKPT_KEYS = ("ckpt_path", "pretrained_ckpt_path", "pretransform_ckpt_path")
DEFAULT_TIMEOUT = 120.0


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
