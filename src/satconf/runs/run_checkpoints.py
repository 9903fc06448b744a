"""The checkpoints one run wrote: Lightning's `epoch=E-step=S.ckpt` files where train.py
puts them for the run's values (`recover.candidate_dirs`), written between the run's
start and end. Read-only: listing never touches a checkpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

SLACK_S = 5.0  # clocks and coarse mtimes: a file saved just around the start or end counts


@dataclass(frozen=True)
class RunCheckpoint:
    path: Path
    step: int
    epoch: int
    size: int  # bytes
    mtime: float


def run_checkpoints(record: Any) -> list[RunCheckpoint]:
    """The run's checkpoints, highest step first."""
    from satconf.runs.records import parse_iso
    from satconf.runs.recover import candidate_dirs, ranked_in

    start = parse_iso(getattr(record, "started_at", None))
    end = parse_iso(getattr(record, "ended_at", None))
    lo = start.timestamp() - SLACK_S if start else float("-inf")
    hi = end.timestamp() + SLACK_S if end else float("inf")
    cwd = Path(getattr(record, "cwd", "") or ".")
    found: dict[Path, RunCheckpoint] = {}
    for folder in candidate_dirs(dict(getattr(record, "values", {}) or {}), cwd):
        for (step, epoch, mtime), path in ranked_in(folder):
            if lo <= mtime <= hi and path not in found:
                try:
                    size = path.stat().st_size
                except OSError:
                    continue
                found[path] = RunCheckpoint(path, step, epoch, size, mtime)
    return sorted(found.values(), key=lambda c: (c.step, c.mtime), reverse=True)


def describe(checkpoints: list[RunCheckpoint]) -> list[str]:
    if not checkpoints:
        return ["no checkpoint of this run yet (train.py saves every checkpoint_every steps)"]
    return [f"step {c.step:>8}  epoch {c.epoch:>4}  {c.size / 2**20:8.1f} MB  {c.path}"
            for c in checkpoints]
