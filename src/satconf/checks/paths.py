"""Every file and folder field: exists, is the right kind, readable; save_dir writable."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

from satconf.checks.context import Context
from satconf.checks.finding import Finding, error, info, warning
from satconf.checks.jsonfile import _size
from satconf.fields import FieldSpec

# train.py opens these unconditionally at start-up.
REQUIRED = ("model_config", "dataset_config")
SAVE_DIR = "save_dir"
LOW_SPACE = 10 * 2**30  # a few checkpoints of a large model


def path_fields(ctx: Context) -> list[FieldSpec]:
    return [s for s in ctx.config.fields
            if s.kind.path and ctx.has(s.key)]


def check_paths(ctx: Context) -> list[Finding]:
    out: list[Finding] = []
    for spec in path_fields(ctx):
        try:
            if spec.key == SAVE_DIR:
                out += check_save_dir(ctx)
                continue
            path = ctx.path(spec.key)
            if path is None:
                if spec.key in REQUIRED:
                    out.append(error(spec.key, f"{spec.key} is empty; train.py opens it first "
                                     "thing", "choose the JSON config file"))
                continue
            out += _check_one(ctx, spec, path)
        except OSError as exc:
            out.append(os_error(spec.key, ctx.text(spec.key), exc))
    return out


def os_error(key: str | None, text: str, exc: OSError) -> Finding:
    """A path the operating system refuses (name too long, a loop of links...) as a finding."""
    shown = text if len(text) <= 80 else text[:60] + "…" + text[-15:]
    why = exc.strerror or str(exc)
    hint = ("shorten the path: a name between slashes may have at most 255 bytes"
            if exc.errno == errno.ENAMETOOLONG else "check the path")
    return error(key, f"{shown} cannot be used as a path: {why}", hint)


def _where(ctx: Context, path: Path) -> str:
    text = str(path)
    return text if not text.startswith(str(ctx.root)) else f"{path} (relative to {ctx.root})"


def _check_one(ctx: Context, spec: FieldSpec, path: Path) -> list[Finding]:
    want_dir = spec.kind.path == "dir"
    kind = "folder" if want_dir else "file"
    if not path.exists():
        if want_dir:
            return [warning(spec.key, f"folder {_where(ctx, path)} does not exist",
                            "create it or pick an existing folder")]
        return [error(spec.key, f"file {_where(ctx, path)} does not exist",
                      "relative paths are taken from train.py's folder; check the spelling")]
    if want_dir and not path.is_dir():
        return [error(spec.key, f"{path} is a file, but {spec.key} must be a {kind}")]
    if not want_dir and path.is_dir():
        return [error(spec.key, f"{path} is a folder, but {spec.key} must be a {kind}",
                      "pick the file inside it")]
    if not os.access(path, os.R_OK):
        return [error(spec.key, f"{path} is not readable by you", "check its permissions")]
    return []


def _existing_ancestor(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path("/")


def check_save_dir(ctx: Context) -> list[Finding]:
    text = ctx.text(SAVE_DIR)
    if "\0" in text:  # no path holds one: Path.exists() says False, never "cannot be"
        return [error(SAVE_DIR, "save_dir contains a NUL byte, which no path can hold",
                      "remove it; train.py would fail at the first checkpoint")]
    path = ctx.resolve(text)  # an empty save_dir is the workspace itself
    out: list[Finding] = []
    if not text:
        out.append(info(SAVE_DIR, f"save_dir is empty: Lightning writes checkpoints under "
                        f"{ctx.root / 'lightning_logs'}"))
    if path.exists() and not path.is_dir():
        return [error(SAVE_DIR, f"{path} is a file, but save_dir must be a folder")]
    base = _existing_ancestor(path)
    if not base.is_dir() or not os.access(base, os.W_OK | os.X_OK):
        return [error(SAVE_DIR, f"{path} cannot be written: {base} is not writable by you",
                      "pick a folder you can write to; train.py would fail at the first "
                      "checkpoint, hours in")]
    if base != path:
        out.append(info(SAVE_DIR, f"{path} does not exist yet; train.py will create it"))
    try:
        free = shutil.disk_usage(base).free
    except OSError:
        return out
    level = warning if free < LOW_SPACE else info
    out.append(level(SAVE_DIR, f"{_size(free)} free for checkpoints in {base}",
                     "free some space: each checkpoint is the model plus optimizer state"
                     if free < LOW_SPACE else ""))
    return out
