"""The cluster options of `satconf launch`, and launching on SLURM or torchrun.

Every option defaults to the profile's `options["cluster"]` table, else the
`ClusterOptions` default (the local engine). `--nodes` sets `num_nodes`, the
one number both Lightning and the cluster read.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from satconf.cli.common import (
    EXIT_ERRORS,
    EXIT_USAGE,
    CliError,
    print_json,
    report_errors,
    warn,
)
from satconf.cluster.options import ENGINES, ClusterOptions, ClusterOptionsError
from satconf.runconfig import RunConfig, UsageError, apply_sets

# flag -> ClusterOptions field
_OVERRIDES = {
    "gpus_per_node": "gpus_per_node", "tasks_per_node": "tasks_per_node",
    "partition": "partition", "account": "account", "time_limit": "time_limit",
    "cpus_per_task": "cpus_per_task", "job_name": "job_name", "sbatch": "extra_sbatch",
    "master_addr": "master_addr", "master_port": "master_port", "node_rank": "node_rank",
}


def add_cluster_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("cluster (default: the profile's cluster options)")
    g.add_argument("--engine", choices=ENGINES, default=None,
                   help="local: this machine; slurm: submit a batch job; torchrun: per-node "
                        "commands, this node's started (default: the profile's, else local)")
    g.add_argument("--nodes", type=int, default=None, metavar="N",
                   help="number of nodes (sets num_nodes)")
    g.add_argument("--gpus-per-node", type=int, default=None, metavar="N")
    g.add_argument("--tasks-per-node", type=int, default=None, metavar="N",
                   help="processes per node (default: one per GPU)")
    g.add_argument("--partition", default=None)
    g.add_argument("--account", default=None)
    g.add_argument("--time", dest="time_limit", default=None, metavar="LIMIT",
                   help="SLURM time limit, e.g. 2-00:00:00")
    g.add_argument("--cpus-per-task", type=int, default=None, metavar="N")
    g.add_argument("--job-name", default=None, metavar="NAME")
    g.add_argument("--sbatch", action="append", default=None, metavar="OPTION",
                   help="an extra #SBATCH option, e.g. --sbatch=--mem=64G (repeatable)")
    g.add_argument("--master-addr", default=None, metavar="HOST")
    g.add_argument("--master-port", type=int, default=None, metavar="PORT")
    g.add_argument("--node-rank", type=int, default=None, metavar="R",
                   help="torchrun: which node this machine is")


def cluster_options(args: argparse.Namespace, config: RunConfig) -> ClusterOptions:
    """The profile's options with the command line's laid over; applies --nodes."""
    from satconf.cluster.options import from_profile_options, store_options, with_overrides

    try:
        base = from_profile_options(config.options)
        changes: dict[str, Any] = {field: getattr(args, flag, None)
                                   for flag, field in _OVERRIDES.items()}
        changes["engine"] = getattr(args, "engine", None)
        opts = with_overrides(base, **changes)
    except ClusterOptionsError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    # Later checks read the effective engine from the config, as from a profile.
    config.options = store_options(config.options, opts)
    nodes = getattr(args, "nodes", None)
    if nodes is not None:
        try:
            config.values = apply_sets(config.fields, config.values, [f"num_nodes={nodes}"])
        except UsageError as exc:
            raise CliError(str(exc).replace("--set num_nodes", "--nodes"), EXIT_USAGE) from None
    return opts


def launch_on_cluster(args: argparse.Namespace, config: RunConfig) -> int | None:
    """Handle `satconf launch` for the slurm and torchrun engines; None for local."""
    opts = cluster_options(args, config)
    if opts.engine == "local":
        return None
    from satconf.checks.finding import sort_findings
    from satconf.cluster.checks import cluster_findings, has_errors
    from satconf.cluster.plan import build_cluster_plan
    from satconf.command import PlanError

    errors = config.errors()
    if errors:
        report_errors(errors)
        raise CliError("the config has errors; nothing was launched", EXIT_ERRORS)
    findings = sort_findings(cluster_findings(config, opts, submitting=not args.dry_run))
    for f in findings:
        warn(f"{f.level}: {f.field or opts.engine}: {f.message}" + (f" ({f.hint})" if f.hint
                                                                     else ""))
    if args.dry_run:
        from satconf.runs.recover import apply_recover

        config, note = apply_recover(config)  # the preview is what a launch would start
        if note:
            warn(note)
        try:
            plan = build_cluster_plan(config, opts)
        except PlanError as exc:
            raise CliError(f"the config cannot become a command: {exc}") from None
        if args.json:
            print_json({**plan.to_json(), "findings": [f.to_json() for f in findings]})
        else:
            sys.stdout.write(plan.render())
        return 0  # as for a local dry run: findings go to stderr, the plan is the answer
    if has_errors(findings):
        raise CliError("the cluster options have errors; nothing was launched", EXIT_ERRORS)
    from satconf.cluster.engine import start_torchrun, submit_run
    from satconf.runs.records import LOG, RunError, run_dir

    try:
        record = (submit_run if opts.engine == "slurm" else start_torchrun)(config, opts)
    except RunError as exc:
        raise CliError(str(exc), EXIT_ERRORS) from None
    folder = run_dir(record.id)
    log = folder / LOG
    if getattr(args, "foreground", False):
        if record.engine == "torchrun":
            from satconf.cli.runs import follow_foreground

            warn(f"run {record.id} started (node {opts.node_rank}, pid {record.pid}); log {log}")
            return follow_foreground(record.id, to_stderr=args.json, json_result=args.json)
        warn("satconf: --foreground does not wait for a SLURM job (it may queue for hours); "
             f"follow it with `satconf runs logs {record.id} --follow`")
    if args.json:
        print_json({"run_id": record.id, "engine": record.engine, "job_id": record.job_id,
                    "pid": record.pid, "run_dir": str(folder), "log": str(log),
                    "notes": record.notes})
    else:
        what = (f"SLURM job {record.job_id}" if record.engine == "slurm"
                else f"node {opts.node_rank} (pid {record.pid})")
        print(f"run {record.id}: {what} started; log {log}")
        print(f"follow it with `satconf runs logs {record.id} --follow`; "
              f"stop it with `satconf runs stop {record.id}`")
        for note in record.notes:
            print(f"note: {note}")
    return 0
