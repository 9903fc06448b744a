"""`satconf demo init DIR`: copy the embedded demo workspace out, to edit and run."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from satconf.cli.common import EXIT_ERRORS, EXIT_USAGE, CliError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="the embedded demo workspace (a small Lightning trainer)")
    actions = p.add_subparsers(dest="demo_command", metavar="ACTION")
    init = actions.add_parser("init", help="copy the demo workspace into a new folder")
    init.add_argument("dest", metavar="DIR", help="a new or empty folder")
    init.add_argument("--force", action="store_true",
                      help="copy into a folder that is not empty (overwrites the demo's files)")
    init.set_defaults(func=run_init)
    p.set_defaults(func=lambda args: _usage(p))


def _usage(p: argparse.ArgumentParser) -> int:
    p.print_help(sys.stderr)
    return EXIT_USAGE


def run_init(args: argparse.Namespace) -> int:
    from satconf.workspace import WorkspaceError, copy_demo

    dest = Path(args.dest).expanduser()
    if dest.exists() and not dest.is_dir():
        raise CliError(f"{dest} is a file, not a folder", EXIT_ERRORS)
    try:
        copy_demo(dest, force=args.force)
    except WorkspaceError as exc:
        raise CliError(f"{exc} (or pass --force)", EXIT_ERRORS) from None
    except OSError as exc:
        raise CliError(f"cannot copy the demo to {dest}: {exc.strerror or exc}",
                       EXIT_ERRORS) from None
    where = shlex.quote(str(dest))
    print(f"demo workspace copied to {dest}")
    print(f"try: cd {where} && satconf launch --set max_steps=200 --foreground")
    return 0
