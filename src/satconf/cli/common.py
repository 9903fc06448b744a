"""Options and error handling shared by the subcommands."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from satconf.runconfig import ConfigError, RunConfig, UsageError, load_run_config

# One rule for every command (README, "Exit codes"):
# 2: fix the command line: what was typed is malformed or names an option, action or
#    defaults.ini key satconf does not have (argparse errors, --set, --gpus, --tail, a
#    profile name that is not valid as written);
# 1: fix what it points at: a workspace, defaults.ini, profile, python or run that is
#    missing or has errors, failed checks, a failed operation;
# 130: interrupted.
EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_USAGE = 2


class CliError(Exception):
    def __init__(self, message: str, code: int = EXIT_ERRORS) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def add_config_args(p: argparse.ArgumentParser, *, sets: bool = True, gpus: bool = True,
                    profile: bool = True, python: bool = False) -> None:
    # SUPPRESS keeps a subcommand's unset option from hiding the top-level one.
    p.add_argument("--workspace", metavar="DIR", default=argparse.SUPPRESS,
                   help="folder with train.py and defaults.ini (default: the current "
                        "folder, else the embedded demo)")
    if profile:
        p.add_argument("--profile", metavar="NAME", default=argparse.SUPPRESS,
                       help="start from a saved profile")
    if sets:
        p.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                       help="override one value for this command (repeatable)")
    if gpus:
        p.add_argument("--gpus", metavar="LIST", default=None,
                       help="GPU indices to use, e.g. 0,1 (becomes CUDA_VISIBLE_DEVICES)")
    if python:
        p.add_argument("--python", metavar="PATH", default=None,
                       help="the training python (default: the profile's, else satconf's)")


def line_count(text: str) -> int:
    """argparse type for a number of lines: a whole number, 0 or more (`--tail -3` is refused)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative; give 0 or more lines")
    return value


def add_probe_args(p: argparse.ArgumentParser) -> None:
    """How `check` and `launch` may use the training python."""
    p.add_argument("--no-probe", action="store_true",
                   help="skip the checks that need the training python (torch, GPUs, checkpoints)")
    p.add_argument("--timeout", type=float, default=120.0, metavar="SECONDS",
                   help="limit for probing the training python and reading checkpoints")


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """The resolve step of every command: workspace, INI, profile, `--set`, GPUs, python and
    (where the command has them) the engine flags, validated once."""
    from satconf.cli.engine_args import engine_overrides, nodes_set

    nodes = nodes_set(args)
    try:
        config = load_run_config(
            getattr(args, "workspace", None), profile=getattr(args, "profile", None),
            sets=[*(getattr(args, "sets", None) or []), *nodes],
            gpus=getattr(args, "gpus", None), python=getattr(args, "python", None),
            options=engine_overrides(args),
        )
    except UsageError as exc:
        message = str(exc)
        if nodes:
            message = message.replace("--set num_nodes", "--nodes")
        raise CliError(message, EXIT_USAGE) from None
    except ConfigError as exc:
        raise CliError(str(exc), EXIT_ERRORS) from None
    if engine_overrides(args):  # a bad engine flag is a usage error, like a bad --set
        from satconf.cluster.options import ClusterOptionsError, from_profile_options

        try:
            from_profile_options(config.options)
        except ClusterOptionsError as exc:
            raise CliError(str(exc), EXIT_USAGE) from None
    from satconf.workspace import workspace_note

    warn(f"satconf: {workspace_note(config.workspace)}")  # always: which workspace, and why
    for message in config.warnings:
        warn(f"warning: {message}")
    return config


def print_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


def warn(message: str) -> None:
    print(message, file=sys.stderr)


def report_errors(errors: dict[str, list[str]], fields: Any = None) -> None:
    for key, msgs in errors.items():
        for msg in msgs:
            warn(f"error: {key}: {msg}")
