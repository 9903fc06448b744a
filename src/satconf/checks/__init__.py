"""Preflight checks: what train.py would report minutes into start-up, in milliseconds.

`run_checks(config, env)` runs the cheap checks (files, JSON configs, INI
traps, train.py's use of keys) and, given an `EnvironmentInfo` from
`satconf.environment.probe`, the ones about the training python and its GPUs.
`inspect_checkpoints(config, env)` reads checkpoint keys in a subprocess and
is slow when a checkpoint is new: the TUI runs it in a worker, the CLI inline.
"""

from __future__ import annotations

from satconf.checks.checkpoints import check_checkpoint_names, inspect_checkpoints
from satconf.checks.context import Context
from satconf.checks.dataset_config import check_dataset_configs
from satconf.checks.finding import (
    LEVELS,
    Finding,
    Level,
    findings_from_errors,
    sort_findings,
)
from satconf.checks.hardware import check_hardware, environment_findings
from satconf.checks.ini_traps import check_ini_traps
from satconf.checks.logger import check_logger, check_validation
from satconf.checks.model_config import check_model_config, check_pretransform_options
from satconf.checks.paths import check_paths
from satconf.checks.train_py import check_unread_keys
from satconf.environment import EnvironmentInfo
from satconf.runconfig import RunConfig

__all__ = [
    "LEVELS", "Finding", "Level", "findings_from_errors", "inspect_checkpoints", "run_checks",
    "sort_findings",
]


def run_checks(config: RunConfig, env: EnvironmentInfo | None = None, *,
               field_errors: bool = True) -> list[Finding]:
    """Every finding for `config`, errors first.

    With `env` None the checks that need the training python are skipped, so
    this stays cheap enough to run on every keystroke. `field_errors` adds
    `config.errors()` (type and prefigure-flag problems) so one list shows all.
    """
    ctx = Context.of(config, env)
    out: list[Finding] = []
    if field_errors:
        out += findings_from_errors(config.errors())
    out += check_paths(ctx)
    out += check_model_config(ctx)
    out += check_pretransform_options(ctx)
    out += check_dataset_configs(ctx)
    out += check_checkpoint_names(ctx)
    out += check_logger(ctx, env)
    out += check_validation(ctx)
    out += check_ini_traps(ctx)
    out += check_unread_keys(ctx)
    if config.options.get("cluster"):
        from satconf.cluster.checks import profile_cluster_findings

        out += profile_cluster_findings(config)  # engine, tasks per node, sbatch present
    if env is not None:
        out += environment_findings(env, needs_prefigure="prefigure" in ctx.train_py_text())
        if env.ok:
            out += check_hardware(ctx, env)
    return sort_findings(out)
