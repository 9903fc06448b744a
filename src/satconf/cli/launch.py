"""`satconf launch`: build the exact train.py command and start it (or print it)."""

from __future__ import annotations

import argparse
import sys

from satconf.cli.common import (
    EXIT_ERRORS,
    CliError,
    add_config_args,
    config_from_args,
    print_json,
    report_errors,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("launch", help="start train.py with a profile's settings")
    add_config_args(p)
    p.add_argument("--dry-run", action="store_true", help="print the plan, start nothing")
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    p.add_argument("--foreground", action="store_true",
                   help="follow the run's log until it ends (Ctrl-C sends it SIGINT); "
                        "the exit code is the training's")
    from satconf.cluster.cli import add_cluster_args

    add_cluster_args(p)  # --engine local|slurm|torchrun and the cluster options
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    from satconf.cluster.cli import launch_on_cluster

    handled = launch_on_cluster(args, config)  # slurm / torchrun; None for the local engine
    if handled is not None:
        return handled
    errors = config.errors()
    if errors:
        report_errors(errors)
        raise CliError("the config has errors; nothing was launched", EXIT_ERRORS)
    if args.dry_run:
        # The preview must be what a launch would start, so recover picks its checkpoint here too.
        from satconf.runs.recover import apply_recover

        config, note = apply_recover(config)
        plan = config.plan()
        if note:
            print(note, file=sys.stderr)
        if args.json:
            print_json(plan.to_json())
        else:
            print(plan.shell())
        sys.stdout.flush()
        from satconf.cli.check import warn_findings  # lazy: keeps `--help` light

        warn_findings(config)
        return 0
    from satconf.cli.runs import launch_local  # lazy: keeps `--help` light

    return launch_local(args, config)
