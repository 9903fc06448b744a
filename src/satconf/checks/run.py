"""`run_checks`: every cheap check over one config, in one list, errors first."""

from __future__ import annotations

from collections.abc import Callable

from satconf.checks.checkpoints import check_checkpoint_names
from satconf.checks.config_refs import check_conditioning, check_config_paths
from satconf.checks.context import Context
from satconf.checks.dataset_config import check_dataset_configs
from satconf.checks.finding import (
    Finding,
    findings_from_errors,
    sort_findings,
)
from satconf.checks.hardware import check_hardware, environment_findings
from satconf.checks.imports import check_imports
from satconf.checks.ini_traps import check_ini_traps
from satconf.checks.logger import check_logger, check_validation
from satconf.checks.model_config import check_model_config, check_pretransform_options
from satconf.checks.paths import check_paths
from satconf.checks.train_py import check_num_workers, check_unread_keys, needs_package
from satconf.environment import EnvironmentInfo
from satconf.runconfig import RunConfig


def run_checks(config: RunConfig, env: EnvironmentInfo | None = None, *,
               field_errors: bool = True) -> list[Finding]:
    """Every finding for `config`, errors first.

    With `env` None the checks that need the training python are skipped, so
    this stays cheap enough to run on every keystroke. With `env` it starts no
    subprocess either: a failed import of train.py's appears once
    `inspect_checkpoints` has probed it. `field_errors` adds
    `config.errors()` (type and prefigure-flag problems) so one list shows all.
    With `recover` on, the checks judge the checkpoint recover would pick.
    """
    from satconf.runs.recover import apply_recover

    config, _note = _guarded_recover(apply_recover, config)
    ctx = Context.of(config, env)
    out: list[Finding] = []
    if field_errors:
        out += findings_from_errors(config.errors())
    steps: list[Callable[[Context], list[Finding]]] = [
        check_paths, check_model_config, check_pretransform_options, check_dataset_configs,
        check_config_paths, check_conditioning, check_checkpoint_names,
        lambda c: check_logger(c, env), check_validation, check_ini_traps, check_unread_keys,
        check_num_workers,
    ]
    for step in steps:
        out += _guarded(step, ctx)
    if env is not None:
        out += environment_findings(env, needs_prefigure=needs_package(ctx, "prefigure"),
                                    reason=config.python_reason)
        if env.ok:
            out += _guarded(lambda c: check_hardware(c, env), ctx)
            out += _guarded(lambda c: check_imports(c, env, run=False), ctx)  # cached only
    return sort_findings(out)


def _guarded(step: Callable[[Context], list[Finding]], ctx: Context) -> list[Finding]:
    """One check's findings; a path the OS refuses becomes a finding, never a traceback."""
    try:
        return step(ctx)
    except OSError as exc:
        from satconf.checks.paths import os_error

        return [os_error(None, str(exc.filename or ""), exc)]


def _guarded_recover(apply: Callable[..., tuple[RunConfig, str | None]],
                     config: RunConfig) -> tuple[RunConfig, str | None]:
    try:
        return apply(config, cached=True)
    except (OSError, ValueError):
        return config, None  # the path checks report an unusable save_dir
