"""Submit a checked sweep: to the local queue, or as one SLURM job array.

The CLI (`satconf sweep`) and the form's sweep dialog both come here with the
runs already resolved; `prepare_all` checks every run and `submit` refuses
the sweep whole while any run has an error, so nothing is queued or
submitted for a sweep that cannot run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from satconf.queue import sweep as sw

if TYPE_CHECKING:
    from satconf.launch import Prepared
    from satconf.queue.expand import SweepAxes
    from satconf.queue.request import GpuRequest
    from satconf.queue.store import QueueStore
    from satconf.runconfig import RunConfig


class SweepRefused(Exception):
    """Nothing was queued or submitted; `lines` say which runs and why."""

    def __init__(self, message: str, lines: list[str]) -> None:
        super().__init__(message)
        self.lines = lines


@dataclass(frozen=True)
class Submitted:
    sweep_id: str
    engine: str
    runs: int
    where: str  # "the queue (entries 3-6, any 1 GPU each)", "SLURM job array 12"


def with_values(config: RunConfig, params: list[dict[str, str]]) -> list[RunConfig]:
    """The form's config (unsaved edits kept) once per run, each with its values and its
    name `<name>-<k>`; ValueError naming the run and key of a value that cannot be read."""
    name = config.values.get("name")
    stem = name if isinstance(name, str) and name else (config.profile or "sweep")
    out = []
    for k, run in enumerate(params):
        values = dict(config.values)
        for key, text in run.items():
            try:
                values[key] = config.fields.parse_text(key, text)
            except (KeyError, ValueError) as exc:
                raise ValueError(f"run {k}: {key}={text!r}: {exc}") from None
        if "name" in config.fields:
            values["name"] = f"{stem}-{k}"
        out.append(config.evolve(values=values))
    return out


def prepare_all(configs: list[RunConfig], *, env: Any = None,
                timeout: float = 120.0) -> list[Prepared]:
    from satconf.launch import prepare

    return [prepare(c, env=env, inspect=False, submitting=True, timeout=timeout)
            for c in configs]


def submit(store: QueueStore, prepared: list[Prepared], params: list[dict[str, str]],
           axes: SweepAxes, *, request: GpuRequest, slots: int | None = None,
           throttle: int | None = None, max_failures: int | None = None) -> Submitted:
    """Refuse (SweepRefused) a sweep with any run in error; else make it and send it off."""
    from satconf.queue.spec import spec_of

    engine = prepared[0].engine
    if engine not in ("local", "slurm") or any(p.engine != engine for p in prepared):
        raise SweepRefused(f"a sweep runs on the local queue or as one SLURM job array, not "
                           f"on {engine}", [])
    lines = sw.refusals(prepared)
    if lines:
        raise SweepRefused(f"{len(lines)} of {len(prepared)} runs have errors; nothing was "
                           f"{'submitted' if engine == 'slurm' else 'queued'}", lines)
    stem = str(prepared[0].config.values.get("name", "sweep")).rsplit("-", 1)[0]
    axes_json = {**asdict(axes), "ranges": {k: asdict(v) for k, v in axes.ranges.items()}}
    sweep_id = sw.create(store, name=stem, engine=engine, axes=axes_json, params=params,
                         specs=[spec_of(p.config) for p in prepared],
                         max_failures=max_failures)
    sweep = sw.load(store, sweep_id)
    if engine == "slurm":
        where = "SLURM job array " + submit_slurm(store, sweep, dict(enumerate(prepared)),
                                                  throttle)
    else:
        if request.cpu and slots:
            store.set_setting("cpu_slots", str(slots))
        entries = sw.queue_runs(store, sweep, list(range(len(prepared))), request)
        from satconf.queue.scheduler import ensure_scheduler

        ensure_scheduler(store)
        where = f"the queue (entries {entries[0]}-{entries[-1]}, {request.describe()} each)"
    return Submitted(sweep_id, engine, len(prepared), where)


def submit_slurm(store: QueueStore, sweep: sw.Sweep, prepared: dict[int, Prepared],
                 throttle: int | None) -> str:
    """One job array of `prepared` (run number -> run); the array's job id. RunError."""
    from satconf.queue.slurm_array import submit_array

    job_id, run_ids = submit_array(prepared, sweep_id=sweep.id, name=sweep.name,
                                   folder=sw.sweep_folder(sweep.id), throttle=throttle)
    for k, run_id in run_ids.items():
        sw.set_run(store, sweep.id, k, run_id=run_id, entry_id=None)
    sw.set_state(store, sweep.id, "active", job_id=job_id)
    return job_id
