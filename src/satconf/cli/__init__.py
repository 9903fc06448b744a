"""`satconf` entry point: subcommands, each in its own module, the TUI imported lazily."""

from __future__ import annotations

import argparse
import importlib
import sys

from satconf import __version__
from satconf.cli.common import CliError, add_config_args

# Each module defines `register(subparsers)`; registering must stay import-light.
COMMANDS: tuple[str, ...] = ("launch", "check", "schema", "profiles", "runs", "migrate", "demo",
                             "queue", "sweep")


def build_parser(commands: tuple[str, ...] = COMMANDS) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="satconf",
        description="Configure, check and launch stable-audio-tools training runs.",
    )
    parser.add_argument("--version", action="version", version=f"satconf {__version__}")
    add_config_args(parser, sets=False, gpus=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    tui = sub.add_parser("tui", help="open the form (the default with no command)")
    add_config_args(tui, sets=False, gpus=False)
    tui.set_defaults(func=_run_tui)
    for name in commands:
        try:
            module = importlib.import_module(f"satconf.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"satconf.cli.{name}":
                raise
            continue
        module.register(sub)
    return parser


def _run_tui(args: argparse.Namespace) -> int:
    from satconf.tui.app import run_app

    return run_app(workspace=getattr(args, "workspace", None),
                   profile=getattr(args, "profile", None))


_TOP_OPTIONS = ("--workspace", "--profile")  # the top-level options that take a value


def commands_for(argv: list[str]) -> tuple[str, ...]:
    """The subcommand modules `argv` needs: only the one it names, none for the form.

    Importing every subcommand costs tens of milliseconds on each start; a
    command line that names one command (or opens the form) needs one at most.
    `--help`, `--version` and anything unexpected get them all.
    """
    i = 0
    while i < len(argv):
        token = argv[i]
        if token in _TOP_OPTIONS:
            i += 2
        elif token.startswith(tuple(o + "=" for o in _TOP_OPTIONS)):
            i += 1
        elif token == "tui":
            return ()
        elif token in COMMANDS:
            return (token,)
        else:
            return COMMANDS
    return ()  # no command: the form


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(commands_for(argv))
    args = parser.parse_args(argv)
    func = getattr(args, "func", None) or _run_tui
    try:
        return int(func(args) or 0)
    except CliError as exc:
        if exc.message:
            print(f"satconf: {exc.message}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("satconf: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
