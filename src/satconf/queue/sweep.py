"""Sweeps: one profile, many runs, each named `<name>-<k>` and linked by a sweep id.

Every run of a sweep is resolved and checked through the launch use case
before anything is queued or submitted: one run with errors refuses the whole
sweep. On this machine the runs go to the queue (each with the same GPU
request); on SLURM the sweep is one job array (`slurm_array`). The sweep's
rows (run number, values, spec, queue entry, run id) are in the queue database;
status and loss are read live from the runs, so `sweep show` is never stale.

`--max-failures K` is applied as runs end (the scheduler calls
`after_run_ended`): at K failures the sweep's waiting runs are cancelled.
`resume` reruns the failed and never-started runs and leaves the succeeded
and the still going alone.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from satconf.queue.store import CANCELLED, FAILED, QUEUED, REFUSED, RUNNING, STARTING, QueueStore

if TYPE_CHECKING:
    from satconf.launch import Prepared
    from satconf.queue.request import GpuRequest
    from satconf.runconfig import RunConfig

FAILED_STATUSES = ("failed", "lost", "refused", "stopped")
GOING = ("queued", "starting", "running")


class SweepError(Exception):
    """A sweep that cannot be made, found or resumed; the message says why."""


@dataclass(frozen=True)
class SweepRun:
    k: int
    params: dict[str, str]
    spec: dict[str, Any]
    entry_id: int | None
    run_id: str | None
    attempts: int


@dataclass(frozen=True)
class Sweep:
    id: str
    name: str
    engine: str
    axes: dict[str, Any]
    created_at: float
    max_failures: int | None
    state: str
    job_ids: list[str]


def new_sweep_id() -> str:
    return "sw" + time.strftime("%m%d", time.gmtime()) + secrets.token_hex(2)


def sweep_configs(workspace: str | None, profile: str | None, sets: list[str],
                  params: list[dict[str, str]], *, gpus: str | None, python: str | None,
                  options: dict[str, Any]) -> list[RunConfig]:
    """Each run's resolved config: the base settings, its values, and its name `<name>-<k>`.
    Raises UsageError (a swept key or value that `--set` would refuse) or ConfigError."""
    from satconf.runconfig import UsageError, load_run_config

    base = load_run_config(workspace, profile=profile, sets=sets, gpus=gpus, python=python,
                           options=options)
    name = base.values.get("name")
    stem = name if isinstance(name, str) and name else (profile or "sweep")
    out = []
    for k, run in enumerate(params):
        run_sets = [*sets, *(f"{key}={value}" for key, value in run.items()),
                    f"name={stem}-{k}"]
        try:
            out.append(load_run_config(workspace, profile=profile, sets=run_sets, gpus=gpus,
                                       python=python, options=options))
        except UsageError as exc:
            raise UsageError(f"run {k} ({_params_text(run)}): {exc}") from None
    return out


def _params_text(params: dict[str, str]) -> str:
    return " ".join(f"{k}={v}" for k, v in params.items())


def refusals(prepared: list[Prepared]) -> list[str]:
    """One line per run with errors: a sweep is queued whole or not at all."""
    out = []
    for k, p in enumerate(prepared):
        if p.errors:
            first = p.errors[0]
            out.append(f"run {k}: {len(p.errors)} error(s); "
                       + (f"{first.field}: " if first.field else "") + first.message)
    return out


def create(store: QueueStore, *, name: str, engine: str, axes: dict[str, Any],
           params: list[dict[str, str]], specs: list[dict[str, Any]],
           max_failures: int | None) -> str:
    sweep_id = new_sweep_id()
    with store.transaction() as db:
        db.execute("INSERT INTO sweeps (id, name, engine, spec, created_at, max_failures, state)"
                   " VALUES (?,?,?,?,?,?,?)", (sweep_id, name, engine, json.dumps(axes),
                                                time.time(), max_failures, "active"))
        for k, (run, spec) in enumerate(zip(params, specs, strict=True)):
            db.execute("INSERT INTO sweep_runs (sweep_id, k, params, spec) VALUES (?,?,?,?)",
                       (sweep_id, k, json.dumps(run), json.dumps(spec)))
    return sweep_id


def load(store: QueueStore, ref: str) -> Sweep:
    rows = store.db.execute("SELECT * FROM sweeps WHERE id = ? OR id LIKE ? ORDER BY id",
                            (ref, ref + "%")).fetchall()
    exact = [r for r in rows if r["id"] == ref]
    if ref == "last":
        rows = store.db.execute("SELECT * FROM sweeps ORDER BY created_at DESC LIMIT 1"
                                ).fetchall()
    elif exact:
        rows = exact
    if not rows:
        raise SweepError(f"no sweep {ref!r} (the sweep id is printed when it is made)")
    if len(rows) > 1:
        raise SweepError(f"{ref!r} matches {len(rows)} sweeps: "
                         + ", ".join(r["id"] for r in rows[:5]))
    r = rows[0]
    return Sweep(r["id"], r["name"], r["engine"], json.loads(r["spec"]), r["created_at"],
                 r["max_failures"], r["state"], json.loads(r["job_ids"] or "[]"))


def runs_of(store: QueueStore, sweep_id: str) -> list[SweepRun]:
    rows = store.db.execute("SELECT * FROM sweep_runs WHERE sweep_id=? ORDER BY k",
                            (sweep_id,)).fetchall()
    return [SweepRun(r["k"], json.loads(r["params"]), json.loads(r["spec"]), r["entry_id"],
                     r["run_id"], r["attempts"]) for r in rows]


def set_run(store: QueueStore, sweep_id: str, k: int, **fields: Any) -> None:
    sets = ", ".join(f"{key}=?" for key in fields)
    with store.transaction() as db:
        db.execute(f"UPDATE sweep_runs SET {sets}, attempts = attempts + 1"
                   " WHERE sweep_id=? AND k=?", (*fields.values(), sweep_id, k))


def set_state(store: QueueStore, sweep_id: str, state: str,
              job_id: str | None = None) -> None:
    with store.transaction() as db:
        if job_id is not None:
            row = db.execute("SELECT job_ids FROM sweeps WHERE id=?", (sweep_id,)).fetchone()
            jobs = [*json.loads(row[0] or "[]"), job_id]
            db.execute("UPDATE sweeps SET job_ids=? WHERE id=?", (json.dumps(jobs), sweep_id))
        db.execute("UPDATE sweeps SET state=? WHERE id=?", (state, sweep_id))


def queue_runs(store: QueueStore, sweep: Sweep, ks: list[int], request: GpuRequest) -> list[int]:
    """Queue runs `ks` of a local sweep (one entry each, in run order)."""
    runs = {r.k: r for r in runs_of(store, sweep.id)}
    entries = []
    for k in ks:
        run = runs[k]
        name = run.spec["values"].get("name")
        entry = store.enqueue(run.spec, request, name=name if isinstance(name, str) else None,
                              sweep_id=sweep.id, sweep_index=k)
        set_run(store, sweep.id, k, entry_id=entry, run_id=None)
        entries.append(entry)
    set_state(store, sweep.id, "active")
    return entries


def run_status_of(store: QueueStore, run: SweepRun) -> tuple[str, str | None]:
    """(status, run id) of one sweep run: the queue's state until it starts, then the run's."""
    from satconf.runs.records import RunError, load_run
    from satconf.runs.status import run_status

    run_id = run.run_id
    if run.entry_id is not None:
        from satconf.queue.store import QueueError

        try:
            entry = store.get(run.entry_id)
        except QueueError:  # an entry that is gone is a run that never started
            return "not started", None
        if entry.state in (QUEUED, STARTING, CANCELLED, REFUSED, FAILED):
            return ("queued" if entry.state == QUEUED else entry.state), entry.run_id
        run_id = entry.run_id
    if run_id is None:
        return "not started", None
    try:
        return run_status(load_run(run_id)), run_id
    except RunError:
        return "lost", run_id


def latest_loss(run_id: str | None) -> float | None:
    if run_id is None:
        return None
    from satconf.runs.metrics import latest_of
    from satconf.runs.records import run_dir

    row = latest_of(run_dir(run_id))
    if row is None:
        return None
    for key in ("train/loss", "loss"):
        if key in row.metrics:
            return row.metrics[key]
    losses = [v for k, v in row.metrics.items() if "loss" in k]
    return losses[0] if losses else None


def show(store: QueueStore, ref: str) -> dict[str, Any]:
    sweep = load(store, ref)
    rows = []
    for run in runs_of(store, sweep.id):
        status, run_id = run_status_of(store, run)
        rows.append({"k": run.k, "name": run.spec["values"].get("name"), "params": run.params,
                     "status": status, "loss": latest_loss(run_id), "run_id": run_id,
                     "attempts": run.attempts})
    state = sweep.state
    if state == "active" and rows and all(r["status"] not in GOING for r in rows):
        state = "done"  # every run has ended (resume may make it active again)
    return {"id": sweep.id, "name": sweep.name, "engine": sweep.engine, "state": state,
            "max_failures": sweep.max_failures, "job_ids": sweep.job_ids,
            "axes": sweep.axes, "runs": rows}


def after_run_ended(store: QueueStore, sweep_id: str) -> None:
    """Called as each run of a sweep ends: at `max_failures` failures, cancel the rest."""
    try:
        sweep = load(store, sweep_id)
    except SweepError:
        return
    if sweep.max_failures is None or sweep.state != "active":
        return
    failures = sum(1 for run in runs_of(store, sweep_id)
                   if run_status_of(store, run)[0] in FAILED_STATUSES)
    if failures < sweep.max_failures:
        return
    for run in runs_of(store, sweep_id):
        if run.entry_id is not None:
            store.set_state(run.entry_id, CANCELLED, only_from=(QUEUED,), ended_at=time.time(),
                            message=f"sweep {sweep_id} stopped after {failures} failures")
    set_state(store, sweep_id, "stopped")


def to_rerun(store: QueueStore, sweep: Sweep) -> list[int]:
    """Run numbers `resume` starts again: failed, stopped, lost, refused, never started."""
    out = []
    for run in runs_of(store, sweep.id):
        status, _ = run_status_of(store, run)
        if status not in ("succeeded", *GOING, RUNNING):
            out.append(run.k)
    return out


def sweep_folder(sweep_id: str) -> Path:
    from satconf.workspace import _home

    return _home("sweeps") / sweep_id
