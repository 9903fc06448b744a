"""Queue one run: the launch use case's checks first, then one entry, then a scheduler.

The CLI (`launch --queue`) and the form's Queue action both call `queue_run`,
so a run is checked the same way whichever queued it, and never queued with
an error unless forced.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from satconf.launch import Prepared
    from satconf.queue.request import GpuRequest
    from satconf.runconfig import RunConfig


class QueueRefused(Exception):
    """The run was not queued; `prepared` holds the findings that say why."""

    def __init__(self, message: str, prepared: Prepared | None = None) -> None:
        super().__init__(message)
        self.prepared = prepared


@dataclass(frozen=True)
class Queued:
    entry_id: int
    position: int | None
    prepared: Prepared
    scheduler_started: bool


def gpus_for(request: GpuRequest) -> list[int]:
    """The GPUs the queue-time checks assume: the run's own, or the first `count` that
    exist ([] for a CPU slot); QueueRefused for a request this machine can never meet."""
    if request.cpu:
        return []
    from satconf.gpus import list_gpus

    listing = list_gpus()
    have = sorted(g.index for g in listing.gpus)
    if request.ids is not None:
        missing = [g for g in request.ids if g not in have]
        if missing:
            raise QueueRefused(f"GPU {', '.join(map(str, missing))} does not exist (this "
                               f"machine has {', '.join(map(str, have)) or 'no GPUs'}); "
                               "nothing was queued")
        return list(request.ids)
    if len(have) < request.count:
        raise QueueRefused(f"--gpus {request.count}: this machine has {len(have)} GPU(s)"
                           + (f" ({listing.error})" if listing.error else "")
                           + "; use --slots K to queue CPU runs")
    return have[:request.count]


def queue_run(config: RunConfig, request: GpuRequest, *, env: Any = None,
              inspect: bool = False, priority: int = 0, force: bool = False,
              slots: int | None = None, timeout: float = 120.0) -> Queued:
    """Check `config` on the GPUs it may get, queue it, make sure a scheduler serves it."""
    from satconf.launch import prepare
    from satconf.queue.scheduler import ensure_scheduler
    from satconf.queue.spec import spec_of
    from satconf.queue.store import QueueStore

    checked = config.evolve(gpus=gpus_for(request))
    prepared = prepare(checked, env=env, inspect=inspect, submitting=True, timeout=timeout)
    if prepared.engine != "local":
        raise QueueRefused(f"the queue runs on this machine; the {prepared.engine} engine has "
                           "its own queue (launch it without --queue)", prepared)
    if prepared.errors and not force:
        raise QueueRefused(f"{len(prepared.errors)} error(s); nothing was queued", prepared)
    store = QueueStore()
    if request.cpu and slots:
        store.set_setting("cpu_slots", str(slots))
    name = config.values.get("name")
    entry = store.enqueue(spec_of(config), request, name=name if isinstance(name, str) else None,
                          priority=priority, force=force)
    started = ensure_scheduler(store)
    return Queued(entry, store.positions().get(entry), prepared, started)
