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

Only this run's checkpoints count. By name: with a wandb or comet logger
only `save_dir/<name>/*/checkpoints` is searched, never the shared
`save_dir` itself. By content: stable-audio-tools embeds the `model_config`
in every checkpoint (read here without torch, `satconf.ckpt_meta`); one whose
embedded config differs from this run's model config belongs to another
model and is skipped. A checkpoint without an embedded config is taken.
Without a logger checkpoints carry no run name: there satconf's own run
records (which run of which name was going in that folder when the file was
written) tell another run's checkpoints apart; a file no record explains is
taken.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from satconf.runconfig import RunConfig

CKPT_NAME = re.compile(r"epoch=(?P<epoch>\d+)-step=(?P<step>\d+)(?:-v\d+)?\.ckpt$")
_TRUE = ("true", "1", "yes", "on")


def wants_recover(values: dict[str, Any]) -> bool:
    value = values.get("recover")
    if isinstance(value, str):
        return value.strip().lower() in _TRUE  # prefigure keeps `recover = true` as text
    return bool(value)


def checkpoint_step(path: Path) -> tuple[int, int] | None:
    """(step, epoch) from a Lightning checkpoint file name, None for other names."""
    m = CKPT_NAME.search(path.name)
    return (int(m["step"]), int(m["epoch"])) if m else None


LOGGERS_WITH_FOLDERS = ("wandb", "comet")
DEMO_MARKER = ".satconf-demo"  # written by satconf.workspace.copy_demo


def candidate_dirs(values: dict[str, Any], cwd: Path) -> list[Path]:
    """The folders train.py would have written this run's checkpoints to."""
    save_dir = values.get("save_dir") or ""
    base = cwd / str(save_dir)  # an empty save_dir is cwd itself
    name = values.get("name")
    # With a logger train.py writes under save_dir/<name>/<run id>/checkpoints; save_dir
    # itself then holds only other (logger-less) runs' files.
    # (satconf's demo trainer never logs: it writes into save_dir whatever the logger.)
    by_name = (save_dir and str(values.get("logger")).strip("'\"") in LOGGERS_WITH_FOLDERS
               and not (cwd / DEMO_MARKER).is_file())
    dirs = [] if by_name else [base]
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
    return pick_checkpoint(values, Path(cwd), cached=cached)[0]


def run_model_config(values: dict[str, Any], cwd: Path) -> dict[str, Any] | None:
    """This run's model config JSON, or None when it cannot be read (no filtering then)."""
    text = values.get("model_config")
    if not isinstance(text, str) or not text.strip():
        return None
    path = Path(text.strip()).expanduser()
    try:
        data = json.loads((cwd / path).read_bytes())  # an absolute path stays itself
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def pick_checkpoint(values: dict[str, Any], cwd: Path, *,
                    cached: bool = False) -> tuple[Path | None, int, int]:
    """(newest checkpoint of this run, how many newer ones another model wrote, how many
    newer ones satconf's records show another run name wrote)."""
    from satconf.ckpt_meta import embedded_model_config

    ranked: list[tuple[tuple[int, int, float], Path]] = []
    for folder in candidate_dirs(values, cwd):
        ranked += ranked_in(folder, cached=cached)
    ranked.sort(key=lambda item: item[0], reverse=True)
    mine = run_model_config(values, cwd)
    name = str(values.get("name") or "")
    other_model = other_run = 0
    for rank, path in ranked:
        theirs = embedded_model_config(path) if mine is not None else None
        if theirs is not None and theirs != mine:
            other_model += 1
            continue
        if _written_by_another_run(path, rank[2], name, cached=cached):
            other_run += 1
            continue
        return path.resolve(), other_model, other_run
    return None, other_model, other_run


# A checkpoint lands as its run ends; network file systems' clocks drift a little.
SLACK_S = 120.0
SPAN_REUSE_S = 5.0
_clock = time.monotonic  # when the spans below were read (a test turns it)
_spans: dict[str, tuple[float, list[tuple[str, Path, float, float]]]] = {}


def _run_spans(*, cached: bool) -> list[tuple[str, Path, float, float]]:
    """(run name, the resolved folder its flat checkpoints went to, start, end) of every run
    satconf recorded, whichever workspace it ran in (an absolute save_dir may be shared);
    reused a few seconds for the preview."""
    from satconf.runs.records import last_sign_of_life, list_runs, parse_iso
    from satconf.workspace import runs_dir

    base = runs_dir()
    hit = _spans.get(str(base))
    if cached and hit is not None and _clock() - hit[0] < SPAN_REUSE_S:
        return hit[1]
    out: list[tuple[str, Path, float, float]] = []
    for record in list_runs():  # those in runs_dir()
        start, end = parse_iso(record.started_at), parse_iso(record.ended_at)
        if not record.cwd or start is None:
            continue
        try:
            folder = (Path(record.cwd) / str(record.values.get("save_dir") or "")).resolve()
            until = end.timestamp() if end else (last_sign_of_life(record) or time.time())
            span = (str(record.name or record.values.get("name") or ""), folder,
                    start.timestamp(), until)
        except (OSError, ValueError, OverflowError, RuntimeError):
            continue  # a tampered record's path or time: it explains no checkpoint
        out.append(span)
    _spans[str(base)] = (_clock(), out)
    return out


def _written_by_another_run(path: Path, mtime: float, name: str, *, cached: bool) -> bool:
    """Whether satconf's records say a run of another name wrote this logger-less checkpoint:
    only runs of another name were going in its folder when it was written."""
    folder = path.parent.resolve()
    names = {n for n, f, start, end in _run_spans(cached=cached)
             if f == folder and start - SLACK_S <= mtime <= end + SLACK_S}
    return bool(names) and name not in names


# folder -> (its mtime and inode when read, its checkpoints best first). The form's preview
# asks on every keystroke; a save_dir on shared storage with thousands of files would make
# each listing slow, while a folder's mtime changes whenever a checkpoint is added or removed.
_listed: dict[Path, tuple[tuple[int, int], list[tuple[tuple[int, int, float], Path]]]] = {}


def ranked_in(folder: Path, *, cached: bool = False
              ) -> list[tuple[tuple[int, int, float], Path]]:
    """((step, epoch, mtime), path) of every checkpoint directly in `folder`, best first."""
    try:
        st = folder.stat()
    except OSError:
        _listed.pop(folder, None)
        return []
    stamp = (st.st_mtime_ns, st.st_ino)
    last = _listed.get(folder) if cached else None
    if last is not None and last[0] == stamp and all(p.is_file() for _k, p in last[1][:1]):
        return last[1]
    found: list[tuple[tuple[int, int, float], Path]] = []
    if folder.is_dir():
        for path in folder.glob("*.ckpt"):
            rank = checkpoint_step(path)
            if rank is None or not path.is_file():
                continue
            try:
                mtime = path.stat().st_mtime
            except OSError:
                continue
            found.append(((rank[0], rank[1], mtime), path))
    found.sort(key=lambda item: item[0], reverse=True)
    _listed[folder] = (stamp, found)
    return found


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
    # The seed's fields always include ckpt_path; train.py has the flag only when its
    # defaults.ini has the key (before any wandb_config/config_file stop).
    entry = config.fields["ckpt_path"].ini
    if entry is None or not entry.registered:
        return config, ("recover: train.py has no --ckpt-path flag (no ckpt_path key it reads "
                        "in defaults.ini), so there is nothing to resume")
    cwd = config.workspace.root
    found, other_model, other_run = pick_checkpoint(values, cwd, cached=cached)
    other = (f"; skipped {other_model} newer checkpoint(s) of another model (their embedded "
             "model_config differs)") if other_model else ""
    if other_run:
        other += (f"; skipped {other_run} newer checkpoint(s) that satconf's run records show "
                  "a run of another name wrote")
    if found is None:
        where = ", ".join(str(d) for d in candidate_dirs(values, cwd)[:2])
        return config, f"recover: no checkpoint of run {values.get('name')!r} in {where}" \
                       f"{other}; starting fresh"
    step = checkpoint_step(found)
    new = dataclasses.replace(config, values={**values, "ckpt_path": str(found)})
    at = f" (step {step[0]})" if step else ""
    return new, f"recover: resuming from {found}{at}{other}"
