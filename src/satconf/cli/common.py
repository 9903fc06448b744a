"""Options and error handling shared by the subcommands."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from satconf.runconfig import ConfigError, RunConfig, UsageError, load_run_config

EXIT_OK = 0
EXIT_ERRORS = 1  # the profile, config or checks have errors
EXIT_USAGE = 2  # bad command-line input


class CliError(Exception):
    def __init__(self, message: str, code: int = EXIT_ERRORS) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def add_config_args(p: argparse.ArgumentParser, *, sets: bool = True, gpus: bool = True,
                    profile: bool = True) -> None:
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


def config_from_args(args: argparse.Namespace) -> RunConfig:
    try:
        config = load_run_config(
            getattr(args, "workspace", None), profile=getattr(args, "profile", None),
            sets=getattr(args, "sets", None), gpus=getattr(args, "gpus", None),
        )
    except UsageError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    except ConfigError as exc:
        raise CliError(str(exc), EXIT_ERRORS) from None
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
