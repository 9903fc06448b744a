"""Logging and validation settings that fail or silently do nothing at run time."""

from __future__ import annotations

import os

from satconf.checks.context import Context
from satconf.checks.finding import Finding, error, warning
from satconf.environment import EnvironmentInfo, wandb_logged_in

WANDB_QUIET_MODES = ("offline", "disabled", "dryrun")


def _wandb_mode() -> str:
    # train.py inherits the user's shell here: satconf's launch env never sets WANDB_MODE
    return os.environ.get("WANDB_MODE", "").strip().lower()


def check_logger(ctx: Context, env: EnvironmentInfo | None) -> list[Finding]:
    logger = ctx.value("logger")
    out: list[Finding] = []
    if logger == "wandb":
        if env is not None and env.ok and not env.has("wandb"):
            out.append(error("logger", "logger is wandb but the wandb package is not "
                             "installed in the training python", "pip install wandb, or "
                             "choose no logger"))
        logged_in = env.wandb_logged_in if env is not None else wandb_logged_in()
        if not logged_in and _wandb_mode() not in WANDB_QUIET_MODES:
            out.append(error("logger", "logger is wandb but there is no wandb login "
                             "(no WANDB_API_KEY, no api.wandb.ai entry in ~/.netrc): train.py "
                             "would stop at start-up asking for an API key",
                             "run `wandb login`, or set WANDB_MODE=offline"))
    elif logger == "comet":
        if env is not None and env.ok and not env.has("comet_ml"):
            out.append(error("logger", "logger is comet but the comet_ml package is not "
                             "installed in the training python", "pip install comet_ml"))
        if not os.environ.get("COMET_API_KEY"):
            out.append(warning("logger", "logger is comet but COMET_API_KEY is not set",
                               "export COMET_API_KEY or configure ~/.comet.config"))
    return out


def check_validation(ctx: Context) -> list[Finding]:
    every = ctx.value("val_every")
    if isinstance(every, int) and every > 0 and not ctx.text("val_dataset_config"):
        return [warning("val_every", f"val_every = {every} but val_dataset_config is empty: "
                        "no validation would ever run", "set val_dataset_config, or "
                        "val_every = -1")]
    return []
