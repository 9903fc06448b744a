"""`recover = true`: find the newest checkpoint of this run and pass it as `ckpt_path`.

stable-audio-tools' defaults.ini promises this and its train.py ignores it,
so satconf does it before launch. Where train.py's checkpoints land:
- no logger: `ModelCheckpoint(dirpath=save_dir)`, so `save_dir/*.ckpt`;
- wandb (and comet): `save_dir/<project>/<run id>/checkpoints/*.ckpt`, where
  the project is the run name;
- no save_dir: Lightning's defaults under the working folder,
  `checkpoints/` or `lightning_logs/version_N/checkpoints/`.
Files are named `epoch=E-step=S.ckpt` (Lightning may add `-vN`); the highest
step wins, then the highest epoch, then the newest file.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from satconf.runconfig import RunConfig

CKPT_NAME = re.compile(r"epoch=(?P<epoch>\d+)-step=(?P<step>\d+)(?:-v\d+)?\.ckpt$")
_TRUE = ("true", "1", "yes", "on")


def wants_recover(values: dict[str, Any]) -> bool:
    value = values.get("recover", False)
    if isinstance(value, str):
        return value.strip().lower() in _TRUE  # prefigure keeps `recover = true` as text
    return bool(value)


def checkpoint_step(path: Path) -> tuple[int, int] | None:
    """(step, epoch) from a Lightning checkpoint file name, None for other names."""
    m = CKPT_NAME.search(path.name)
    return (int(m["step"]), int(m["epoch"])) if m else None


def candidate_dirs(values: dict[str, Any], cwd: Path) -> list[Path]:
    """The folders train.py would have written this run's checkpoints to."""
    save_dir = values.get("save_dir") or ""
    base = (cwd / str(save_dir)) if save_dir else cwd
    name = values.get("name")
    dirs = [base]
    if isinstance(name, str) and name:
        dirs.extend(sorted(base.glob(f"{glob_escape(name)}/*/checkpoints")))
    if not save_dir:
        dirs.append(base / "checkpoints")
        dirs.extend(sorted(base.glob("lightning_logs/version_*/checkpoints")))
    return dirs


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def find_recover_checkpoint(values: dict[str, Any], cwd: Path | str) -> Path | None:
    """The newest checkpoint for these values (run name, save_dir) under `cwd`, if any."""
    best: tuple[int, int, float] | None = None
    found: Path | None = None
    for folder in candidate_dirs(values, Path(cwd)):
        if not folder.is_dir():
            continue
        for path in folder.glob("*.ckpt"):
            rank = checkpoint_step(path)
            if rank is None or not path.is_file():
                continue
            try:
                mtime = path.stat().st_mtime
            except OSError:
                continue
            key = (rank[0], rank[1], mtime)
            if best is None or key > best:
                best, found = key, path
    return found.resolve() if found is not None else None


def apply_recover(config: RunConfig) -> tuple[RunConfig, str | None]:
    """The config to launch and a one-line note for the user (None when recover is off).

    Pure apart from reading the folder: the input config is not changed.
    """
    values = config.values
    if not wants_recover(values):
        return config, None
    explicit = values.get("ckpt_path")
    if explicit:
        return config, f"recover: ckpt_path is set ({explicit}); it wins over recover"
    if "ckpt_path" not in config.fields:
        return config, "recover: defaults.ini has no ckpt_path key, so there is nothing to resume"
    cwd = config.workspace.root
    found = find_recover_checkpoint(values, cwd)
    if found is None:
        where = ", ".join(str(d) for d in candidate_dirs(values, cwd)[:2])
        return config, f"recover: no checkpoint of run {values.get('name')!r} in {where}; " \
                       "starting fresh"
    step = checkpoint_step(found)
    new = dataclasses.replace(config, values={**values, "ckpt_path": str(found)})
    at = f" (step {step[0]})" if step else ""
    return new, f"recover: resuming from {found}{at}"
