"""`satconf sweep`: many runs from one profile (grid, zip, random), and `sweep show|resume`.

Every run is resolved and checked first; one run with errors refuses the
sweep and nothing is queued or submitted. Locally the runs go to the queue;
with `--engine slurm` the sweep is one job array.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from satconf.cli.common import (
    EXIT_ERRORS,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    add_config_args,
    print_json,
    warn,
)

if TYPE_CHECKING:
    from satconf.launch import Prepared
    from satconf.queue.store import QueueStore


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sweep", help="many runs over value lists: grid, zip or random; "
                       "`sweep show ID`, `sweep resume ID`")
    add_config_args(p, python=True)
    p.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2",
                   help="every combination of these values (repeatable)")
    p.add_argument("--zip", dest="zipped", action="append", default=[], metavar="KEY=V1,V2",
                   help="lists paired by position (repeatable; all the same length)")
    p.add_argument("--random", type=int, default=None, metavar="N",
                   help="draw N runs: each key from its --grid list or --range")
    p.add_argument("--range", dest="ranges", action="append", default=[],
                   metavar="KEY=LOW:HIGH[:log|:int]", help="with --random: a range to draw from")
    p.add_argument("--seed", type=int, default=None, help="with --random: a repeatable draw")
    p.add_argument("--gpus-per-run", type=int, default=1, metavar="N",
                   help="local: GPUs each run waits for (default 1)")
    p.add_argument("--slots", type=int, default=None, metavar="K",
                   help="local: run on the CPU, K runs at once")
    p.add_argument("--max-failures", type=int, default=None, metavar="K",
                   help="stop the sweep (cancel its waiting runs) after K failures")
    p.add_argument("--throttle", type=int, default=None, metavar="T",
                   help="slurm: at most T array tasks at once (%%T)")
    p.add_argument("--dry-run", action="store_true", help="list the runs, queue nothing")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--no-probe", action="store_true",
                   help="skip the checks that need the training python")
    p.add_argument("--timeout", type=float, default=120.0, metavar="SECONDS")
    from satconf.cli.engine_args import add_engine_args

    add_engine_args(p)
    p.set_defaults(func=run_sweep)
    s = p.add_subparsers(dest="sweep_command", metavar="ACTION")
    show = s.add_parser("show", help="a sweep's runs: values, status, latest loss")
    show.add_argument("sweep_id", metavar="ID", help="sweep id, a unique prefix, or `last`")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.set_defaults(func=run_show)
    resume = s.add_parser("resume", help="rerun the failed and never-started runs")
    resume.add_argument("sweep_id", metavar="ID", help="sweep id, a unique prefix, or `last`")
    resume.add_argument("--json", action="store_true", help="machine-readable output")
    resume.set_defaults(func=run_resume)


def _store() -> QueueStore:
    from satconf.queue.store import QueueError, QueueStore

    try:
        return QueueStore()
    except QueueError as exc:
        raise CliError(str(exc)) from None


def run_sweep(args: argparse.Namespace) -> int:
    from satconf.cli.engine_args import engine_overrides, nodes_set
    from satconf.queue.expand import SweepSpecError, expand, parse_axes
    from satconf.queue.sweep import sweep_configs
    from satconf.runconfig import ConfigError, UsageError

    try:
        axes = parse_axes(args.grid, args.zipped, args.ranges, random_n=args.random,
                          seed=args.seed)
        params = expand(axes)
    except SweepSpecError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    local_gpus = _local_gpus(args)
    try:
        configs = sweep_configs(getattr(args, "workspace", None), getattr(args, "profile", None),
                                [*args.sets, *nodes_set(args)], params, gpus=local_gpus,
                                python=args.python, options=engine_overrides(args))
    except UsageError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    except ConfigError as exc:
        raise CliError(str(exc), EXIT_ERRORS) from None
    prepared = _prepare_all(args, configs)
    if args.dry_run:
        from satconf.queue.sweep import refusals

        for line in refusals(prepared):
            warn(f"satconf: {line}")
        rows = [{"k": k, "name": p.config.values.get("name"), "params": run}
                for k, (p, run) in enumerate(zip(prepared, params, strict=True))]
        if args.json:
            print_json({"engine": prepared[0].engine, "runs": rows})
        else:
            print(f"{len(rows)} runs ({prepared[0].engine}):")
            for row in rows:
                print(f"  {row['k']}  {row['name']}  "
                      + " ".join(f"{k}={v}" for k, v in row["params"].items()))
        return EXIT_ERRORS if refusals(prepared) else EXIT_OK
    return _submit(args, axes, params, prepared)


def _local_gpus(args: argparse.Namespace) -> str | None:
    """The GPUs the checks see for each local run: the first `--gpus-per-run` that exist."""
    if getattr(args, "engine_engine", None) == "slurm":
        return args.gpus
    if args.slots is not None:
        return "none"
    if args.gpus is not None:
        return args.gpus
    from satconf.cli.queue import check_gpus_for
    from satconf.queue.request import GpuRequest

    try:
        return check_gpus_for(GpuRequest(count=max(args.gpus_per_run, 1)))
    except CliError:
        return None  # the engine may be slurm by the profile: the checks will say


def _prepare_all(args: argparse.Namespace, configs: list[Any]) -> list[Prepared]:
    from satconf.queue.sweep_submit import prepare_all

    env = None
    if not args.no_probe:
        from satconf.cli.launch import training_env

        env = training_env(args, configs[0].python)
    return prepare_all(configs, env=env, timeout=args.timeout)


def _submit(args: argparse.Namespace, axes: Any, params: list[dict[str, str]],
            prepared: list[Prepared]) -> int:
    from satconf.queue.request import RequestError, parse_request
    from satconf.queue.sweep_submit import SweepRefused, submit
    from satconf.runs.records import RunError

    try:
        request = parse_request(str(args.gpus_per_run) if args.slots is None else None,
                                slots=args.slots)
    except RequestError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    try:
        done = submit(_store(), prepared, params, axes, request=request, slots=args.slots,
                      throttle=args.throttle, max_failures=args.max_failures)
    except SweepRefused as exc:
        for line in exc.lines:
            warn(f"satconf: {line}")
        raise CliError(str(exc), EXIT_ERRORS if exc.lines else EXIT_USAGE) from None
    except RunError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        print_json({"sweep_id": done.sweep_id, "runs": done.runs, "engine": done.engine})
    else:
        print(f"sweep {done.sweep_id}: {done.runs} runs to {done.where}")
        print(f"see `satconf sweep show {done.sweep_id}`")
    return EXIT_OK


def run_show(args: argparse.Namespace) -> int:
    from satconf.queue.sweep import SweepError, show

    try:
        data = show(_store(), args.sweep_id)
    except SweepError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        print_json(data)
        return EXIT_OK
    keys = list(dict.fromkeys(k for r in data["runs"] for k in r["params"]))
    print(f"sweep {data['id']} ({data['name']}, {data['engine']}, {data['state']}"
          + (f", SLURM jobs {' '.join(data['job_ids'])}" if data["job_ids"] else "") + ")")
    table = [("K", "NAME", *(k.upper() for k in keys), "STATUS", "LOSS", "RUN")]
    for r in data["runs"]:
        loss = "-" if r["loss"] is None else f"{r['loss']:.4g}"
        table.append((str(r["k"]), str(r["name"] or "-"),
                      *(r["params"].get(k, "-") for k in keys), r["status"], loss,
                      r["run_id"] or "-"))
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return EXIT_OK


def run_resume(args: argparse.Namespace) -> int:
    from satconf.queue import sweep as sw
    from satconf.queue.spec import prepare_spec
    from satconf.runconfig import ConfigError, UsageError

    store = _store()
    try:
        sweep = sw.load(store, args.sweep_id)
    except sw.SweepError as exc:
        raise CliError(str(exc)) from None
    ks = sw.to_rerun(store, sweep)
    if not ks:
        print(f"sweep {sweep.id}: nothing to rerun (every run succeeded or is still going)")
        return EXIT_OK
    runs = {r.k: r for r in sw.runs_of(store, sweep.id)}
    prepared: dict[int, Prepared] = {}
    for k in ks:  # checked again, all before any is started
        try:
            p = prepare_spec(runs[k].spec, runs[k].spec.get("gpus"))
        except (ConfigError, UsageError) as exc:
            raise CliError(f"run {k}: {exc}") from None
        if p.errors:
            raise CliError(f"run {k}: {p.errors[0].field}: {p.errors[0].message}; "
                           "nothing was rerun")
        prepared[k] = p
    if sweep.engine == "slurm":
        from satconf.queue.sweep_submit import submit_slurm
        from satconf.runs.records import RunError

        try:
            where = "SLURM job array " + submit_slurm(store, sweep, prepared, None)
        except RunError as exc:
            raise CliError(str(exc)) from None
    else:
        entries = {e.sweep_index: e for e in store.entries() if e.sweep_id == sweep.id}
        last = entries.get(ks[0])
        from satconf.queue.request import GpuRequest

        request = last.request if last is not None else GpuRequest()
        sw.queue_runs(store, sweep, ks, request)
        from satconf.queue.scheduler import ensure_scheduler

        ensure_scheduler(store)
        where = "the queue"
    if args.json:
        print_json({"sweep_id": sweep.id, "rerun": ks})
    else:
        print(f"sweep {sweep.id}: rerunning {', '.join(map(str, ks))} on {where}")
    sys.stdout.flush()
    return EXIT_OK
