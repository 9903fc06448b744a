"""Dataset config JSONs: dataset_type, per-type entries, audio folders, metadata modules."""

from __future__ import annotations

import ast
import os
import shutil
import time
from pathlib import Path
from typing import Any

from satconf.checks.context import Context
from satconf.checks.finding import Finding, error, info, warning

KEYS = ("dataset_config", "val_dataset_config")
DATASET_TYPES = ("audio_dir", "pre_encoded", "s3", "wds")
AUDIO_EXTENSIONS = (".wav", ".mp3", ".flac", ".ogg", ".aif", ".opus")
PRE_ENCODED_EXTENSIONS = (".npy",)
METADATA_FUNCTION = "get_custom_metadata"
# Counting stops here: enough to say "there is data" without walking a huge corpus.
SCAN_LIMIT = 200_000
DEMO_MARKER = ".satconf-demo"  # written by satconf.workspace.copy_demo
COUNT_REUSE_S = 10
_counts: dict[tuple[str, tuple[str, ...], int, int], tuple[int, bool]] = {}


def check_dataset_configs(ctx: Context) -> list[Finding]:
    out: list[Finding] = []
    for key in KEYS:
        if ctx.has(key):
            out += check_dataset_config(ctx, key)
    return out


def check_dataset_config(ctx: Context, key: str) -> list[Finding]:
    data, found = ctx.json(key, "dataset config")
    if data is None:
        return found
    dtype = data.get("dataset_type")
    if dtype not in DATASET_TYPES:
        what = "no \"dataset_type\"" if dtype is None else f"dataset_type {dtype!r}"
        return [error(key, f"the dataset config has {what}; train.py would build no "
                      "dataloader and fail later", f"use one of {', '.join(DATASET_TYPES)}")]
    entries = data.get("datasets")
    if not isinstance(entries, list) or not entries:
        return [error(key, "the dataset config has no \"datasets\" list (or it is empty)",
                      "add \"datasets\": [{\"id\": ..., \"path\": ...}]")]
    out: list[Finding] = []
    for i, entry in enumerate(entries):
        where = f"datasets[{i}]"
        if not isinstance(entry, dict):
            out.append(error(key, f"{where} is not a JSON object"))
            continue
        if "id" not in entry:
            out.append(error(key, f"{where} has no \"id\"", "give each dataset an id"))
        if dtype in ("audio_dir", "pre_encoded"):
            out += _local_entry(ctx, key, where, entry, dtype)
        else:
            out += _remote_entry(key, where, entry, dtype)
    return out


def _local_entry(ctx: Context, key: str, where: str, entry: dict[str, Any],
                 dtype: str) -> list[Finding]:
    out: list[Finding] = []
    text = entry.get("path")
    if not isinstance(text, str) or not text.strip():
        out.append(error(key, f"{where} has no \"path\"", "the folder holding the files"))
    else:
        path = ctx.resolve(text)
        if not path.exists() and dtype == "audio_dir" and _is_demo(ctx):
            out.append(info(key, f"{where}.path {path} does not exist yet: the demo trainer "
                            "makes its synthetic tones there on first run"))
        elif not path.is_dir():
            what = "is a file" if path.exists() else "does not exist"
            out.append(error(key, f"{where}.path {path} {what}; train.py would only print "
                             "\"Found 0 files\" and fail later", "point it at the data folder"))
        else:
            exts = AUDIO_EXTENSIONS if dtype == "audio_dir" else PRE_ENCODED_EXTENSIONS
            count, capped = count_files(path, exts)
            if count == 0:
                out.append(error(key, f"{where}.path {path} holds no {'/'.join(exts)} files",
                                 "check the folder; train.py would find 0 files"))
            else:
                more = "at least " if capped else ""
                out.append(info(key, f"{where}.path {path}: {more}{count} files"))
    module = entry.get("custom_metadata_module")
    if module is not None:
        out += _metadata_module(ctx, key, where, module)
    return out


def _is_demo(ctx: Context) -> bool:
    """satconf's own demo workspace, whose train.py writes its dataset on first use."""
    ws = ctx.config.workspace
    return ws.is_demo or (ws.root / DEMO_MARKER).is_file()


def count_files(folder: Path, extensions: tuple[str, ...]) -> tuple[int, bool]:
    """Files under `folder` with one of `extensions` (any case); True when the scan was cut.

    The form re-runs the checks on every edit: a count is reused for a few seconds
    while the folder itself is unchanged, so a large corpus is walked once, not per key.
    """
    try:
        stamp = folder.stat().st_mtime_ns
    except OSError:
        stamp = 0
    key = (str(folder), extensions, stamp, int(time.monotonic() // COUNT_REUSE_S))
    if key not in _counts:
        if len(_counts) > 64:
            _counts.clear()
        _counts[key] = _count_files(folder, extensions)
    return _counts[key]


def _count_files(folder: Path, extensions: tuple[str, ...]) -> tuple[int, bool]:
    count = seen = 0
    for _root, _dirs, files in os.walk(folder, followlinks=True):
        for name in files:
            seen += 1
            if name.lower().endswith(extensions):
                count += 1
        if seen >= SCAN_LIMIT:
            return count, True
    return count, False


def _metadata_module(ctx: Context, key: str, where: str, module: Any) -> list[Finding]:
    label = f"{where}.custom_metadata_module"
    if not isinstance(module, str) or not module.strip():
        return [error(key, f"{label} must be a path to a .py file")]
    path = ctx.resolve(module)
    if not path.is_file():
        return [error(key, f"{label} {path} does not exist",
                      "relative paths are taken from train.py's folder")]
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except SyntaxError as exc:  # (a NUL byte has no line: Python 3.11.4+)
        at = f"line {exc.lineno}: " if exc.lineno else ""
        return [error(key, f"{label} {path}: {at}{exc.msg}", "fix the Python syntax there")]
    except (OSError, ValueError) as exc:
        return [error(key, f"{label} {path} cannot be read: {exc}")]
    if not _defines(tree, METADATA_FUNCTION):
        return [error(key, f"{label} {path} defines no {METADATA_FUNCTION}",
                      f"add `def {METADATA_FUNCTION}(info, audio):` returning a dict")]
    return []


def _defines(tree: ast.Module, name: str) -> bool:
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return True
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                return True
        if isinstance(node, (ast.Import, ast.ImportFrom)) and any(
                (a.asname or a.name) == name for a in node.names):
            return True
    return False


def _remote_entry(key: str, where: str, entry: dict[str, Any], dtype: str) -> list[Finding]:
    out: list[Finding] = []
    if not entry.get("s3_path") and not entry.get("path"):
        out.append(error(key, f"{where} has neither \"s3_path\" nor \"path\""))
    if dtype == "s3" and shutil.which("aws") is None:
        out.append(warning(key, "dataset_type s3 lists files with the aws command line "
                           "tool, which is not on PATH", "install the AWS CLI"))
    return out
