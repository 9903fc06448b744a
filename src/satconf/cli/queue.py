"""`satconf queue list|cancel|move|pause|resume|scheduler`, and `satconf launch --queue`.

A queued run is checked now (the same preflight as `launch`; errors refuse it
before anything is queued) and again by the scheduler just before it starts.
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING, Any

from satconf.cli.common import EXIT_ERRORS, EXIT_OK, EXIT_USAGE, CliError, print_json, warn

if TYPE_CHECKING:
    from satconf.queue.request import GpuRequest
    from satconf.queue.store import Entry, QueueStore


def add_queue_args(p: argparse.ArgumentParser) -> None:
    """The `launch` flags that queue the run instead of starting it now."""
    g = p.add_argument_group("queue (wait for free GPUs instead of starting now)")
    g.add_argument("--queue", action="store_true",
                   help="queue the run: it starts when its GPUs are free (with --queue, "
                        "--gpus 2 means any two GPUs, --gpus 0,1 those two, --gpus 2, GPU 2)")
    g.add_argument("--min-free-mem", type=int, default=None, metavar="MIB",
                   help="with --queue: only GPUs with this much free memory (MiB)")
    g.add_argument("--slots", type=int, default=None, metavar="K",
                   help="with --queue: run on the CPU, at most K such runs at once")
    g.add_argument("--priority", type=int, default=0, metavar="N",
                   help="with --queue: higher starts first (default 0)")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("queue", help="runs waiting for free GPUs: list, cancel, move, pause")
    q = p.add_subparsers(dest="queue_command", metavar="ACTION")
    ls = q.add_parser("list", help="waiting runs (in start order), then starting and running")
    ls.add_argument("--all", action="store_true", help="also the ended, cancelled and refused")
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    ls.set_defaults(func=run_list)
    cancel = q.add_parser("cancel", help="take a waiting run off the queue")
    cancel.add_argument("entry", type=int, metavar="ID")
    cancel.set_defaults(func=run_cancel)
    move = q.add_parser("move", help="put a waiting run at another place")
    move.add_argument("entry", type=int, metavar="ID")
    move.add_argument("--to", type=int, required=True, metavar="N", help="1 = next to start")
    move.set_defaults(func=run_move)
    pause = q.add_parser("pause", help="start nothing new (running runs go on)")
    pause.set_defaults(func=lambda a: _pause(True))
    resume = q.add_parser("resume", help="start queued runs again")
    resume.set_defaults(func=lambda a: _pause(False))
    sched = q.add_parser("scheduler", help="serve the queue in the foreground until nothing "
                         "waits (what a systemd user unit runs at boot)")
    sched.set_defaults(func=run_scheduler)
    p.set_defaults(func=run_list, all=False, json=False)


def _store() -> QueueStore:
    from satconf.queue.store import QueueError, QueueStore

    try:
        return QueueStore()
    except QueueError as exc:
        raise CliError(str(exc)) from None


def request_from_args(args: argparse.Namespace) -> GpuRequest:
    from satconf.queue.request import RequestError, parse_request

    try:
        return parse_request(args.gpus, slots=args.slots, min_free_mib=args.min_free_mem)
    except RequestError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None


def check_gpus_for(request: GpuRequest) -> str | None:
    """The `--gpus` text the sweep's checks use for a local run of this request."""
    from satconf.queue.submit import QueueRefused, gpus_for

    try:
        gpus = gpus_for(request)
    except QueueRefused as exc:
        raise CliError(str(exc)) from None
    return ",".join(map(str, gpus)) if gpus else "none"


def launch_queued(args: argparse.Namespace) -> int:
    """`satconf launch --queue`: check, then add to the queue and make sure it is served."""
    from satconf.cli.check import render
    from satconf.cli.common import config_from_args
    from satconf.cli.launch import training_env
    from satconf.queue.submit import QueueRefused, queue_run

    request = request_from_args(args)
    args.gpus = None  # with --queue, --gpus is the request, not CUDA_VISIBLE_DEVICES
    config = config_from_args(args)
    env = None if args.no_probe else training_env(args, config.python)
    try:
        queued = queue_run(config, request, env=env, inspect=env is not None,
                           priority=args.priority, force=args.force, slots=args.slots,
                           timeout=args.timeout)
    except QueueRefused as exc:
        if exc.prepared is not None:
            shown = [f for f in exc.prepared.findings if f.level != "info"]
            if shown:
                warn("preflight:\n" + render(shown))
        raise CliError(str(exc) + (" (fix them, or --force to queue anyway)"
                                   if exc.prepared is not None and exc.prepared.errors
                                   else ""), EXIT_ERRORS) from None
    shown = [f for f in queued.prepared.findings if f.level != "info"]
    if shown:
        warn("preflight:\n" + render(shown))
    if args.json:
        print_json({"queued": queued.entry_id, "position": queued.position,
                    "request": request.to_json(), "scheduler_started": queued.scheduler_started})
    else:
        print(f"queued as {queued.entry_id} (position {queued.position or '-'}, "
              f"{request.describe()})" + ("; scheduler started" if queued.scheduler_started
                                          else ""))
        print("see `satconf queue list`; take it off with `satconf queue cancel "
              f"{queued.entry_id}`")
    return EXIT_OK


def queued_for_runs_list() -> list[dict[str, Any]]:
    """The waiting and starting queue entries, as `runs list` shows them (queued first);
    nothing, and no database made, for someone who never queued."""
    from satconf.queue.store import STARTING, QueueError, QueueStore, queue_dir

    if not (queue_dir() / "queue.sqlite3").is_file():
        return []
    try:
        store = QueueStore()
        positions = store.positions()
        entries = store.entries((QUEUED_STATE, STARTING))
        if positions:  # waiting runs left by a reboot or a killed scheduler go on now
            from satconf.queue.scheduler import ensure_scheduler

            ensure_scheduler(store)
    except QueueError as exc:
        warn(f"satconf: {exc}; queued runs are not listed")
        return []
    return [{"id": f"queue:{e.id}", "status": "queued" if e.id in positions else "starting",
             "position": positions.get(e.id), "name": e.name, "profile": e.spec.get("profile"),
             "request": e.request.describe(), "queued_at": e.queued_at} for e in entries]


QUEUED_STATE = "queued"


def _age(t: float | None) -> str:
    if t is None:
        return "-"
    s = int(time.time() - t)
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


def entry_rows(entries: list[Entry], positions: dict[int, int]) -> list[dict[str, Any]]:
    out = []
    for e in entries:
        state = f"queued #{positions[e.id]}" if e.id in positions else e.state
        out.append({**e.to_json(), "position": positions.get(e.id), "shown_state": state})
    return out


def run_list(args: argparse.Namespace) -> int:
    from satconf.queue.scheduler import Scheduler, ensure_scheduler, scheduler_running
    from satconf.queue.store import ACTIVE, QUEUED

    store = _store()
    if not scheduler_running():
        Scheduler(store).reconcile()  # runs that ended while no scheduler watched
    ensure_scheduler(store)  # queued runs left by a reboot or a killed scheduler go on
    states = None if getattr(args, "all", False) else (QUEUED, *ACTIVE)
    entries = store.entries(states)
    rows = entry_rows(entries, store.positions())
    if getattr(args, "json", False):
        print_json({"paused": store.paused, "scheduler": scheduler_running(),
                    "entries": rows})
        return EXIT_OK
    head = f"queue: {'paused' if store.paused else 'active'}, scheduler " + (
        "running" if scheduler_running() else "not running")
    print(head)
    if not rows:
        print("nothing queued (queue a run with `satconf launch --queue`)")
        return EXIT_OK
    table = [("ID", "STATE", "NAME", "PRIO", "WANTS", "GOT", "RUN", "WAITED")]
    for e, r in zip(entries, rows, strict=True):
        got = "-" if not e.assigned else (f"slot {e.assigned[0]}" if e.request.cpu
                                          else ",".join(map(str, e.assigned)))
        waited = _age(e.queued_at) if e.state == QUEUED else (
            f"{(e.started_at or e.queued_at) - e.queued_at:.0f}s")
        table.append((str(e.id), r["shown_state"], e.name or "-", str(e.priority),
                      e.request.describe(), got, e.run_id or "-", waited))
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return EXIT_OK


def run_cancel(args: argparse.Namespace) -> int:
    from satconf.queue.store import QueueError

    store = _store()
    try:
        entry = store.cancel(args.entry)
    except QueueError as exc:
        raise CliError(str(exc)) from None
    print(f"queue entry {entry.id} cancelled")
    return EXIT_OK


def run_move(args: argparse.Namespace) -> int:
    from satconf.queue.scheduler import wake
    from satconf.queue.store import QueueError

    store = _store()
    try:
        order = store.move(args.entry, args.to)
    except QueueError as exc:
        raise CliError(str(exc)) from None
    wake()
    print("queue order: " + " ".join(str(e.id) for e in order))
    return EXIT_OK


def _pause(paused: bool) -> int:
    from satconf.queue.scheduler import ensure_scheduler

    store = _store()
    store.set_setting("paused", "1" if paused else "0")
    if paused:
        print("queue paused: nothing new starts (running runs go on)")
    else:
        started = ensure_scheduler(store)
        print("queue resumed" + ("; scheduler started" if started else ""))
    return EXIT_OK


def run_scheduler(args: argparse.Namespace) -> int:
    """The scheduler in this process: what a systemd user unit runs at boot."""
    from satconf.queue import scheduler

    return scheduler.main()
