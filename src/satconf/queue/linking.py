"""How a queue entry and its run record point at each other.

The run's record gets the queue's part (`extra.queue`: the request, the
assignment, the CPU slot; `extra.sweep`) right after the start; a scheduler
killed between the start and that write leaves a run that `adoptable` finds
again by its start time, devices, workspace and name, so the run is adopted
by its entry, never started twice.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from satconf.queue.store import Entry
    from satconf.runs.records import RunRecord


def tag(record: RunRecord, entry: Entry, devices: list[int]) -> None:
    """The queue's part of the run's record: request, assignment, sweep."""
    from satconf.runs.records import RunError, now_iso, run_dir, update_record

    info: dict[str, Any] = {"entry": entry.id, "request": entry.request.to_json(),
                            "assigned": devices, "cpu_slot": devices[0] if entry.request.cpu
                            else None, "queued_at": entry.queued_at, "started_at": now_iso()}

    def change(r: RunRecord) -> None:
        r.extra["queue"] = info
        if entry.sweep_id:
            r.extra["sweep"] = {"id": entry.sweep_id, "k": entry.sweep_index}
    with contextlib.suppress(RunError, OSError):
        update_record(run_dir(record.id), change)


def adoptable(entry: Entry) -> RunRecord | None:
    """A run this entry's dead scheduler started but did not get to note down."""
    from satconf.runs.records import parse_iso, scan_runs

    for record in scan_runs()[0]:
        queue = record.extra.get("queue")
        if isinstance(queue, dict):
            if queue.get("entry") == entry.id:
                return record
            continue
        started = parse_iso(record.started_at)
        gpus = [] if entry.request.cpu else (entry.assigned or [])
        if (started is not None and entry.claimed_at is not None
                and started.timestamp() >= entry.claimed_at - 1 and record.gpus == gpus
                and record.workspace == entry.spec.get("workspace")
                and record.values.get("name") == entry.spec["values"].get("name")):
            return record
    return None
