"""GPU use of a run over time: `gpus.jsonl` beside its log, one NVML sample every `EVERY_S`.

The supervisor's watcher samples the run's GPUs (the record's, or every GPU
when it used all visible ones) through the one NVML seam (`satconf.gpus`,
which tests replace with SATCONF_FAKE_GPUS) and appends a line a sample. A
machine without a driver gets no file, not an error. `starved_hint` reads the
last minute: a training loop whose GPUs stay under `LOW_UTIL` percent is
waiting for data, and more DataLoader workers is the usual cure.

Standard library only (plus the NVML seam, imported when sampling).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

GPU_USE = "gpus.jsonl"
EVERY_S = 10.0
LOW_UTIL = 30  # percent
STARVED_FOR_S = 60.0
TAIL_BYTES = 16 * 1024


def sample(gpus: list[int] | None) -> dict[str, Any] | None:
    """One sample of `gpus` (None: all); None when there is no GPU to sample."""
    from satconf.gpus import list_gpus

    listing = list_gpus()
    chosen = [g for g in listing.gpus if gpus is None or g.index in gpus]
    if not chosen:
        return None
    return {"time": round(time.time(), 3),
            "gpus": [{"index": g.index, "util": g.utilization, "mem_used": g.memory_used,
                      "mem_total": g.memory_total} for g in chosen]}


def append_sample(folder: Path, row: dict[str, Any]) -> None:
    fd = os.open(folder / GPU_USE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(row, separators=(",", ":")) + "\n").encode("utf-8"))
    finally:
        os.close(fd)


def recent_samples(folder: Path) -> list[dict[str, Any]]:
    """The last samples (a few minutes' worth), oldest first; [] without a file."""
    try:
        with open(folder / GPU_USE, "rb") as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - TAIL_BYTES))
            tail = f.read()
    except OSError:
        return []
    out = []
    for line in tail.split(b"\n")[:-1]:  # the piece after the last newline is being written
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict) and isinstance(row.get("gpus"), list):
            out.append(row)
    return out


def describe(row: dict[str, Any]) -> str:
    """`GPU 0 97% 30.1/80.0 GB · GPU 1 ...` for one sample."""
    parts = []
    for g in row.get("gpus", []):
        util = "?" if g.get("util") is None else f"{g['util']}%"
        parts.append(f"GPU {g.get('index')} {util} {g.get('mem_used', 0) / 1024:.1f}/"
                     f"{g.get('mem_total', 0) / 1024:.0f} GB")
    return " · ".join(parts)


def starved_hint(samples: list[dict[str, Any]], training: bool) -> str | None:
    """A hint when every sample of the last minute had the GPUs under LOW_UTIL percent
    while the run was in its training loop."""
    if not training or not samples:
        return None
    end = float(samples[-1].get("time", 0))
    window = [s for s in samples if end - float(s.get("time", 0)) <= STARVED_FOR_S]
    if end - float(window[0].get("time", end)) < STARVED_FOR_S * 0.8:
        return None  # not a minute of samples yet
    utils = [g["util"] for s in window for g in s.get("gpus", []) if g.get("util") is not None]
    if not utils or max(utils) >= LOW_UTIL:
        return None
    return (f"GPUs under {LOW_UTIL}% for the last minute while training: the data loading "
            "is probably the bottleneck (raise num_workers)")
