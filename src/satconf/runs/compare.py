"""Two runs side by side, and forgetting a run's record: what the runs screen offers.

`diff_runs` lists what differs between two records: engine, GPUs, every
value, and the content of the model and dataset JSON each run pointed at (as
they are on disk now; a file that moved or changed since is said so plainly).

`delete_record` removes the files satconf wrote for a run (record, log,
metrics, events, GPU samples, the supervisor's log) and nothing else:
checkpoints live in the run's `save_dir`, and any file satconf did not write
is left where it is, with the folder. A running run's record is refused.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from satconf.runs.records import RunError, RunRecord, run_dir

SATCONF_FILES = ("record.json", "train.log", "metrics.jsonl", "events.jsonl", "gpus.jsonl",
                 "supervisor.log", ".lock", ".reserve")
JSON_KEYS = ("model_config", "dataset_config", "val_dataset_config")


def _flat(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for key, value in data.items():
            out.update(_flat(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(data, list) and data and any(isinstance(v, (dict, list)) for v in data):
        out = {}
        for i, value in enumerate(data):
            out.update(_flat(value, f"{prefix}[{i}]"))
        return out
    return {prefix: data}


def _json_of(record: RunRecord, key: str) -> tuple[dict[str, Any] | None, str]:
    value = record.values.get(key)
    if not value:
        return None, "-"
    path = Path(str(value))
    if not path.is_absolute():
        path = Path(record.cwd or ".") / path
    try:
        return _flat(json.loads(path.read_text(encoding="utf-8"))), str(path)
    except FileNotFoundError:
        return None, f"{path} (not there now)"
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return None, f"{path} (unreadable now: {exc})"


def _show(value: Any) -> str:
    return "-" if value is None else json.dumps(value) if not isinstance(value, str) else value


def diff_runs(a: RunRecord, b: RunRecord) -> list[str]:
    """Lines `what: A -> B` for everything that differs; one line saying so when nothing does."""
    lines: list[str] = []
    for label, left, right in (("engine", a.engine, b.engine),
                               ("GPUs", a.gpus, b.gpus),
                               ("profile", a.profile, b.profile),
                               ("python", a.python, b.python)):
        if left != right:
            lines.append(f"{label}: {_show(left)} -> {_show(right)}")
    for key in sorted(set(a.values) | set(b.values)):
        left, right = a.values.get(key), b.values.get(key)
        if left != right:
            lines.append(f"{key}: {_show(left)} -> {_show(right)}")
    for key in JSON_KEYS:
        (left, lpath), (right, rpath) = _json_of(a, key), _json_of(b, key)
        if left is None and right is None:
            if lpath != rpath and (lpath != "-" or rpath != "-"):
                lines.append(f"{key} content: {lpath} | {rpath}")
            continue
        if left is None or right is None:
            lines.append(f"{key} content: {lpath} | {rpath}")
            continue
        changed = [k for k in sorted(set(left) | set(right)) if left.get(k) != right.get(k)]
        for k in changed:
            lines.append(f"{key} {k}: {_show(left.get(k))} -> {_show(right.get(k))}")
    return lines or ["the two runs have the same settings and JSON content"]


def delete_record(record: RunRecord, status: str, base: Path | None = None) -> str:
    """Remove satconf's files of a run that is not running; a sentence saying what was done."""
    if status in ("running", "queued"):
        raise RunError(f"run {record.id} is {status}: stop it first")
    folder = record.source or run_dir(record.id, base)
    removed = 0
    for name in SATCONF_FILES:
        with contextlib.suppress(FileNotFoundError):
            (folder / name).unlink()
            removed += 1
    left = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
    if not left:
        with contextlib.suppress(OSError):
            folder.rmdir()
        return f"deleted the record of run {record.id} (its checkpoints are untouched)"
    return (f"deleted the record of run {record.id}; kept {len(left)} other file(s) in "
            f"{folder} ({', '.join(left[:3])}); checkpoints are untouched")
