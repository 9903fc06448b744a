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


def find_recover_checkpoint(values: dict[str, Any], cwd: Path | str, *,
                            cached: bool = False) -> Path | None:
    """The newest checkpoint for these values (run name, save_dir) under `cwd`, if any.

    `cached`: reuse a folder's last listing while its mtime is unchanged (for the
    preview, asked on every keystroke); a launch always lists afresh, since a
    coarse mtime (some network filesystems) may hide a checkpoint written in the
    same second as the last listing."""
    best: tuple[int, int, float] | None = None
    found: Path | None = None
    for folder in candidate_dirs(values, Path(cwd)):
        hit = newest_in(folder, cached=cached)
        if hit is not None and (best is None or hit[0] > best):
            best, found = hit
    return found.resolve() if found is not None else None


# folder -> (its mtime and inode when read, its newest checkpoint). The form's preview asks
# on every keystroke; a save_dir on shared storage with thousands of files would make each
# listing slow, while a folder's mtime changes whenever a checkpoint is added or removed.
_newest: dict[Path, tuple[tuple[int, int], tuple[tuple[int, int, float], Path] | None]] = {}


def newest_in(folder: Path, *, cached: bool = False
              ) -> tuple[tuple[int, int, float], Path] | None:
    """((step, epoch, mtime), path) of the newest checkpoint directly in `folder`."""
    try:
        st = folder.stat()
    except OSError:
        _newest.pop(folder, None)
        return None
    stamp = (st.st_mtime_ns, st.st_ino)
    last = _newest.get(folder) if cached else None
    if last is not None and last[0] == stamp and (last[1] is None or last[1][1].is_file()):
        return last[1]
    best: tuple[tuple[int, int, float], Path] | None = None
    if folder.is_dir():
        for path in folder.glob("*.ckpt"):
            rank = checkpoint_step(path)
            if rank is None or not path.is_file():
                continue
            try:
                mtime = path.stat().st_mtime
            except OSError:
                continue
            key = (rank[0], rank[1], mtime)
            if best is None or key > best[0]:
                best = (key, path)
    _newest[folder] = (stamp, best)
    return best


def apply_recover(config: RunConfig, *, cached: bool = False) -> tuple[RunConfig, str | None]:
    """The config to launch and a one-line note for the user (None when recover is off).

    Pure apart from reading the folder: the input config is not changed.
    `cached` as in `find_recover_checkpoint`: for previews, never for a launch.
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
    found = find_recover_checkpoint(values, cwd, cached=cached)
    if found is None:
        where = ", ".join(str(d) for d in candidate_dirs(values, cwd)[:2])
        return config, f"recover: no checkpoint of run {values.get('name')!r} in {where}; " \
                       "starting fresh"
    step = checkpoint_step(found)
    new = dataclasses.replace(config, values={**values, "ckpt_path": str(found)})
    at = f" (step {step[0]})" if step else ""
    return new, f"recover: resuming from {found}{at}"
