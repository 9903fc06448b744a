"""Checkpoint summaries and model parameter names from the training python, cached on disk.

`ckpt_inspect.py` runs in the training python (torch is never imported
here). Each file's summary is cached by path, size and mtime, and the
parameter names a model config builds by interpreter, workspace and config
text, so only a new checkpoint or a changed config costs a torch start.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from satconf.atomic import atomic_write_text
from satconf.environment import ProbeTimeout, run_captured

SCRIPT = Path(__file__).resolve().parent.parent / "ckpt_inspect.py"
SUMMARY_VERSION = 2  # 2: summaries carry every key name


def _cache_name(path: Path) -> str | None:
    try:
        st = path.stat()
    except OSError:
        return None
    raw = f"v{SUMMARY_VERSION}|{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    return hashlib.sha256(raw.encode()).hexdigest()[:24] + ".json"


def _model_cache_name(python: str, root: Path, config: Path) -> str | None:
    try:
        text = config.read_bytes()
    except OSError:
        return None
    raw = f"{python}|{root}|".encode() + text
    return "model-" + hashlib.sha256(raw).hexdigest()[:24] + ".json"


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write(path: Path, data: Any) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(data))
    except OSError:
        pass  # only costs the next inspection


def summaries(python: str, paths: list[Path], timeout: float, cache: Path, *,
              model: tuple[Path, Path] | None = None
              ) -> tuple[dict[str, dict[str, Any]], dict[str, Any] | None, str | None]:
    """(summary per path, {"names"|"error"} for `model` = (config, root), problem)."""
    found: dict[str, dict[str, Any]] = {}
    todo: list[Path] = []
    for path in paths:
        hit = _read(cache / str(_cache_name(path)))
        if isinstance(hit, dict):
            found[str(path)] = hit
        else:
            todo.append(path)
    model_file = cache / str(_model_cache_name(python, model[1], model[0])) if model else None
    names = _read(model_file) if model_file is not None else None
    want_model = model is not None and not isinstance(names, dict)
    if not todo and not want_model:
        return found, names, None
    argv = [python, str(SCRIPT)]
    if want_model and model is not None:
        argv += ["--model-config", str(model[0]), "--root", str(model[1])]
    from satconf import ckpt_inspect

    try:
        code, stdout, stderr = run_captured([*argv, *map(str, todo)], timeout)
    except ProbeTimeout:
        return found, names, f"reading them took longer than {timeout:g} s"
    except OSError as exc:
        return found, names, f"the training python {python} cannot be started " \
                             f"({exc.strerror or exc})"
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
        return found, names, f"the inspector failed (exit {code}): {tail}"
    for path in todo:
        summary = data.get(str(path))
        if not isinstance(summary, dict):
            continue
        found[str(path)] = summary
        name = _cache_name(path)
        if name and not (summary.get("error") or "").startswith("torch is not installed"):
            _write(cache / name, summary)
    if want_model and isinstance(data.get("__model__"), dict):
        names = data["__model__"]
        if model_file is not None and "names" in names:
            _write(model_file, names)  # errors are not kept: installing the package fixes them
    return found, names, None
