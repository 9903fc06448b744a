"""Which GPUs (and CPU slots) a queued run may be given now.

A GPU is free when no satconf run holds it (a queue entry starting or running
on it, or any other running local satconf run that was given it, or given all
GPUs) and the processes on it that are not satconf's use less than a threshold
of memory: another person's job counts as busy, a satconf run's leftover
memory does not. With NVML the processes are NVML's compute processes (a pid
is satconf's when its process group is a satconf run's); a `SATCONF_FAKE_GPUS`
file may list `processes` per GPU (`[{"pid": 1, "memory_mib": 900}]`), else its
`busy` flag stands for foreign use.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from satconf.gpus import BUSY_MEMORY_MIB, FAKE_ENV, GpuListing, list_gpus
from satconf.queue.store import Entry


@dataclass(frozen=True)
class Held:
    """What satconf's own runs hold right now."""

    gpus: set[int] = field(default_factory=set)
    all_gpus: bool = False  # a running run was given every GPU (no --gpus)
    slots: set[int] = field(default_factory=set)
    pgids: set[int] = field(default_factory=set)  # process groups of satconf's runs


@dataclass(frozen=True)
class Free:
    gpus: dict[int, int | None]  # free GPU -> free memory MiB (None: unknown)
    slots: list[int]
    busy: dict[int, str]  # GPU -> why it is not free (for `queue list`)
    listing_error: str | None = None


def held_by_satconf(active: list[Entry]) -> Held:
    """Devices held by active queue entries and by running local runs outside the queue."""
    from satconf.runs.records import scan_runs
    from satconf.runs.status import LOCAL_ENGINES, RUNNING, local_status

    gpus: set[int] = set()
    slots: set[int] = set()
    pgids: set[int] = set()
    all_gpus = False
    queued_runs = set()
    for entry in active:
        if entry.run_id:
            queued_runs.add(entry.run_id)
        for dev in entry.assigned or []:
            (slots if entry.request.cpu else gpus).add(dev)
    records, _ = scan_runs()
    for record in records:
        if record.engine not in LOCAL_ENGINES or record.ended_at or record.exit_code is not None:
            continue
        if local_status(record) != RUNNING:
            continue
        if record.pgid:
            pgids.add(record.pgid)
        if record.id in queued_runs or isinstance(record.extra.get("queue"), dict):
            continue  # the entry says what it holds (a CPU run's gpus are [])
        if record.gpus is None:
            all_gpus = True
        else:
            gpus.update(record.gpus)
    return Held(gpus, all_gpus, slots, pgids)


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except OSError:
        return None


def foreign_memory(listing: GpuListing, ours: set[int]) -> dict[int, int]:
    """MiB used on each GPU by processes that are not satconf runs'."""
    fake = os.environ.get(FAKE_ENV)
    if fake:
        return _fake_foreign(Path(fake), listing, ours)
    out = {g.index: 0 for g in listing.gpus}
    try:
        import pynvml

        pynvml.nvmlInit()
    except Exception:
        return {g.index: (g.memory_used if g.busy else 0) for g in listing.gpus}
    try:
        for g in listing.gpus:
            handle = pynvml.nvmlDeviceGetHandleByIndex(g.index)
            try:
                procs = pynvml.nvmlDeviceGetComputeRunningProcesses(handle)
            except Exception:
                out[g.index] = g.memory_used if g.busy else 0
                continue
            for p in procs:
                if _pgid(int(p.pid)) not in ours:
                    used = getattr(p, "usedGpuMemory", None)
                    # NVML may not say (a process in another container): count it as busy.
                    out[g.index] += int(used) // 2**20 if used else BUSY_MEMORY_MIB
    finally:
        with contextlib.suppress(Exception):
            pynvml.nvmlShutdown()
    return out


def _fake_foreign(path: Path, listing: GpuListing, ours: set[int]) -> dict[int, int]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = []
    items: list[Any] = data.get("gpus", []) if isinstance(data, dict) else data
    out: dict[int, int] = {}
    for pos, g in enumerate(listing.gpus):
        item = items[pos] if pos < len(items) and isinstance(items[pos], dict) else {}
        procs = item.get("processes")
        if isinstance(procs, list):
            out[g.index] = sum(int(p.get("memory_mib", 0)) for p in procs
                               if isinstance(p, dict) and _pgid(int(p.get("pid", 0))) not in ours)
        else:
            out[g.index] = max(g.memory_used, BUSY_MEMORY_MIB) if g.busy else 0
    return out


def free_devices(active: list[Entry], *, slots: int,
                 threshold_mib: int = BUSY_MEMORY_MIB) -> Free:
    """The GPUs and CPU slots a queued run may be given now."""
    held = held_by_satconf(active)
    listing = list_gpus()
    foreign = foreign_memory(listing, held.pgids) if listing.gpus else {}
    free: dict[int, int | None] = {}
    busy: dict[int, str] = {}
    for g in listing.gpus:
        if held.all_gpus or g.index in held.gpus:
            busy[g.index] = "held by a satconf run"
        elif foreign.get(g.index, 0) >= threshold_mib:
            busy[g.index] = f"{foreign[g.index]} MiB used by another process"
        else:
            free[g.index] = (g.memory_total - g.memory_used) if g.memory_total else None
    free_slots = [s for s in range(slots) if s not in held.slots]
    return Free(free, free_slots, busy, listing.error)
