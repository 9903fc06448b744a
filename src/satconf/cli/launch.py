"""`satconf launch`: the launch use case on the command line (`satconf.launch`).

Resolve, preflight (the same findings and text as `satconf check`), plan,
start. Errors refuse the launch (exit 1, no run folder) unless `--force`;
warnings are asked about on a terminal unless `--yes`. `--dry-run` prints the
plan and exits 1 when it has errors.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from satconf.cli.common import (
    EXIT_ERRORS,
    EXIT_OK,
    CliError,
    add_config_args,
    add_probe_args,
    config_from_args,
    print_json,
    warn,
)

if TYPE_CHECKING:
    from satconf.launch import Prepared
    from satconf.runconfig import RunConfig
    from satconf.runs.records import RunRecord


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("launch", help="check, then start train.py with a profile's settings")
    add_config_args(p, python=True)
    p.add_argument("--dry-run", action="store_true",
                   help="print the plan, start nothing (exit 1 when the checks find errors)")
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    p.add_argument("--foreground", action="store_true",
                   help="follow the run's log until it ends (Ctrl-C sends it SIGINT); "
                        "the exit code is the training's")
    p.add_argument("--yes", "-y", action="store_true",
                   help="launch despite warnings without asking")
    p.add_argument("--force", action="store_true",
                   help="launch despite errors (the run's record says which it overrode)")
    add_probe_args(p)
    from satconf.cli.engine_args import add_engine_args

    add_engine_args(p)  # --engine local|slurm|torchrun and each engine's options
    from satconf.cli.queue import add_queue_args

    add_queue_args(p)  # --queue: wait for free GPUs (satconf.queue)
    p.set_defaults(func=run)


def prepared_from_args(args: argparse.Namespace, *, submitting: bool) -> Prepared:
    """Resolve and check a run as `check` and `launch` both do (probe cached per python)."""
    from satconf.launch import prepare

    config = config_from_args(args)
    probing = not getattr(args, "no_probe", False)
    if probing:
        confirm_profile_python(config)
    env = training_env(args, config.python) if probing else None
    prepared = prepare(config, env=env, inspect=env is not None, submitting=submitting,
                       timeout=args.timeout)
    return prepared


def confirm_profile_python(config: RunConfig) -> None:
    """A profile (perhaps someone else's) names this program: confirmed once before it runs."""
    from satconf.pythons import FROM_PROFILE

    if config.python_reason != FROM_PROFILE:
        return
    from satconf.trust import ask_on_terminal, confirm_python

    refused = confirm_python(config.python, ask=ask_on_terminal)
    if refused:
        raise CliError(refused, EXIT_ERRORS)


def training_env(args: argparse.Namespace, python: str) -> object:
    from satconf.environment import cached_probe, probe

    refresh = getattr(args, "refresh", False)
    env = None if refresh else cached_probe(python)
    if env is None:
        if not getattr(args, "json", False):
            warn(f"satconf: probing the training python {python} (once; cached afterwards)...")
        env = probe(python, refresh=refresh, timeout=args.timeout)
    return env


def run(args: argparse.Namespace) -> int:
    from satconf.cli.check import render

    if getattr(args, "queue", False) and not args.dry_run:
        from satconf.cli.queue import launch_queued

        return launch_queued(args)

    prepared = prepared_from_args(args, submitting=not args.dry_run)
    for note in prepared.notes:
        warn(f"note: {note}")
    shown = [f for f in prepared.findings if f.level != "info"]
    if args.dry_run:
        if args.json:
            print_json(prepared.to_json())
        else:
            sys.stdout.write(prepared.preview())
        sys.stdout.flush()
        if shown:
            warn("preflight:\n" + render(shown))
        return EXIT_ERRORS if prepared.errors else EXIT_OK
    if shown:
        warn("preflight:\n" + render(shown))
    confirm_profile_python(prepared.config)  # also under --no-probe: the launch runs it
    if prepared.errors and not args.force:
        raise CliError(f"{len(prepared.errors)} error(s); nothing was launched "
                       "(fix them, or --force to launch anyway)", EXIT_ERRORS)
    if prepared.warnings and not args.yes and not args.force and sys.stdin.isatty():
        answer = input(f"{len(prepared.warnings)} warning(s). Launch anyway? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            raise CliError("nothing was launched", EXIT_ERRORS)
    return _start(args, prepared)


def _start(args: argparse.Namespace, prepared: Prepared) -> int:
    from satconf.cli.runs import CtrlC, follow_foreground
    from satconf.launch import start
    from satconf.runs.records import RunError

    follow = args.foreground and prepared.engine != "slurm"
    if args.foreground and not follow:
        warn("satconf: --foreground does not wait for a SLURM job (it may queue for hours); "
             "follow it with `satconf runs logs last --follow`")
    # Installed before the start, so that an early Ctrl-C reaches the run too.
    with CtrlC() as ctrl_c:
        try:
            record = start(prepared, force=args.force)
        except RunError as exc:
            raise CliError(str(exc), EXIT_ERRORS) from None
        if follow:
            warn(f"run {record.id} started ({_where(record)}); log {_log(record)}")
            return follow_foreground(record.id, ctrl_c, json_result=args.json)
    if args.json:
        print_json({"run_id": record.id, "engine": record.engine, "job_id": record.job_id,
                    "pid": record.pid, "log": str(_log(record)),
                    "run_dir": str(_log(record).parent), "notes": record.notes,
                    "forced": bool(record.extra.get("forced"))})
        return EXIT_OK
    print(f"run {record.id} started ({_where(record)}); log {_log(record)}")
    print(f"follow it with `satconf runs logs {record.id} --follow`; "
          f"stop it with `satconf runs stop {record.id}`")
    return EXIT_OK


def _where(record: RunRecord) -> str:
    if record.engine == "slurm":
        return f"SLURM job {record.job_id}"
    if record.engine == "torchrun":
        return f"node {record.extra.get('node_rank', 0)}, pid {record.pid}"
    return f"pid {record.pid}"


def _log(record: RunRecord) -> Path:
    from satconf.runs import log_path

    return log_path(record.id)
