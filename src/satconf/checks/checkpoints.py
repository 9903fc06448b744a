"""The three checkpoint flags: the cheap name checks, and key inspection in a subprocess.

`inspect_checkpoints` runs `ckpt_inspect.py` in the training python (torch is
never imported here) and caches each file's summary by path, size and mtime,
so only a new or changed checkpoint costs a torch start. The TUI calls it in
a worker; `satconf check` calls it inline with a timeout.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from satconf.atomic import atomic_write_text
from satconf.checks.context import Context
from satconf.checks.finding import Finding, error, info, sort_findings, warning
from satconf.checks.model_config import pretransform
from satconf.environment import EnvironmentInfo, ProbeTimeout, run_captured
from satconf.runconfig import RunConfig
from satconf.workspace import cache_dir

CKPT_KEYS = ("ckpt_path", "pretrained_ckpt_path", "pretransform_ckpt_path")
SCRIPT = Path(__file__).resolve().parent.parent / "ckpt_inspect.py"
DEFAULT_TIMEOUT = 120.0
WRAPPER_PREFIXES = ("diffusion", "autoencoder")
PRETRANSFORM_PREFIXES = ("encoder", "decoder")


def check_checkpoint_names(ctx: Context) -> list[Finding]:
    """What the file name alone gives away, in microseconds."""
    path = ctx.path("ckpt_path")
    if path is not None and path.suffix == ".safetensors":
        return [error("ckpt_path", f"{path.name} is a .safetensors file, which is never a "
                      "Lightning checkpoint: resuming from it fails",
                      "put it in pretrained_ckpt_path to start a new run from its weights")]
    return []


def _files(ctx: Context) -> dict[str, Path]:
    out = {}
    for key in CKPT_KEYS:
        path = ctx.path(key)
        if path is not None and path.is_file() and os.access(path, os.R_OK):
            out[key] = path
    return out


def inspect_checkpoints(config: RunConfig, env: EnvironmentInfo | None = None, *,
                        timeout: float = DEFAULT_TIMEOUT,
                        cache: Path | None = None) -> list[Finding]:
    """Findings about what the set checkpoints hold; slow (torch) unless cached."""
    ctx = Context.of(config, env)
    files = _files(ctx)
    if not files:
        return []
    python = env.python if env is not None else config.python
    summaries, problem = _summaries(python, list(files.values()), timeout,
                                    cache or cache_dir() / "checkpoints")
    out: list[Finding] = []
    if problem:
        out.append(warning(None, f"checkpoints not inspected: {problem}",
                           "satconf check inspects them again next time"))
    for key, path in files.items():
        summary = summaries.get(str(path))
        if summary is not None:
            out += interpret(ctx, key, path, summary)
    return sort_findings(out)


def _cache_name(path: Path) -> str | None:
    try:
        st = path.stat()
    except OSError:
        return None
    raw = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    return hashlib.sha256(raw.encode()).hexdigest()[:24] + ".json"


def _summaries(python: str, paths: list[Path], timeout: float,
               cache: Path) -> tuple[dict[str, dict[str, Any]], str | None]:
    found: dict[str, dict[str, Any]] = {}
    todo: list[Path] = []
    for path in paths:
        name = _cache_name(path)
        try:
            found[str(path)] = json.loads((cache / str(name)).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            todo.append(path)
    if not todo:
        return found, None
    from satconf import ckpt_inspect

    try:
        code, stdout, stderr = run_captured([python, str(SCRIPT), *map(str, todo)], timeout)
    except ProbeTimeout:
        return found, f"reading them took longer than {timeout:g} s"
    except OSError as exc:
        return found, f"the training python {python} cannot be started ({exc.strerror or exc})"
    data = None
    for line in reversed(stdout.splitlines()):
        if line.startswith(ckpt_inspect.MARKER):
            try:
                data = json.loads(line[len(ckpt_inspect.MARKER):])
            except ValueError:
                data = None
            break
    if not isinstance(data, dict):
        tail = (stderr.strip().splitlines() or ["no output"])[-1]
        return found, f"the inspector failed (exit {code}): {tail}"
    for path in todo:
        summary = data.get(str(path))
        if not isinstance(summary, dict):
            continue
        found[str(path)] = summary
        name = _cache_name(path)
        if name and not (summary.get("error") or "").startswith("torch is not installed"):
            try:
                cache.mkdir(parents=True, exist_ok=True)
                atomic_write_text(cache / name, json.dumps(summary))
            except OSError:
                pass
    return found, None


def _share(summary: dict[str, Any], prefixes: tuple[str, ...]) -> int:
    counts = summary.get("prefixes") or {}
    return sum(int(n) for p, n in counts.items() if p in prefixes)


def interpret(ctx: Context, key: str, path: Path, summary: dict[str, Any]) -> list[Finding]:
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
        wrapped = _share(summary, WRAPPER_PREFIXES)
        if wrapped * 2 > total:
            return [error(key, f"{wrapped} of {total} keys in {path.name} start with "
                          "diffusion./autoencoder. (a training-wrapper checkpoint): they "
                          "match no model key, so it would load nothing, silently",
                          "unwrap it first (stable-audio-tools' unwrap_model.py), or resume "
                          "from it with ckpt_path")]
        return [info(key, f"starts from {label}")]
    # pretransform_ckpt_path
    if pretransform(ctx) is None and ctx.json("model_config", "model config")[0] is not None:
        return []  # the model-config check already reports the pointless flag
    good = _share(summary, PRETRANSFORM_PREFIXES)
    if good == 0:
        wrapped = _share(summary, WRAPPER_PREFIXES)
        why = (" (they start with autoencoder.: a wrapped checkpoint)" if wrapped else "")
        return [error(key, f"no key in {path.name} starts with encoder./decoder.{why}: the "
                      "pretransform would not load it", "use the unwrapped autoencoder "
                      "checkpoint")]
    return [info(key, f"pretransform weights from {label}")]
