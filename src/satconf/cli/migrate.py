"""`satconf migrate`: defaults.ini <-> TOML profile, YAML, Hydra tree."""

from __future__ import annotations

import argparse
import sys

from satconf.cli.common import EXIT_ERRORS, EXIT_USAGE, CliError, print_json, warn

FORMATS = ("toml", "yaml", "hydra", "ini")  # kept in step with satconf.migrate.FORMATS (tested)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "migrate", help="convert a defaults.ini to TOML, YAML or a Hydra tree, and back",
        description="Convert SOURCE (a defaults.ini, a YAML file, a Hydra tree folder or its "
                    "base.yaml, or a TOML profile) to another format. Values a format cannot "
                    "hold as they are are reported on stderr, never changed silently.",
    )
    p.add_argument("source", metavar="SOURCE", help="file (or Hydra folder) to convert")
    p.add_argument("--to", required=True, choices=FORMATS, help="the format to write")
    p.add_argument("output", metavar="OUTPUT",
                   help="file to write, `-` for stdout (a folder for --to hydra: gets "
                        "config/training/...)")
    p.add_argument("--force", action="store_true", help="replace an existing OUTPUT")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Imported here so that `satconf --help` stays light.
    from satconf.migrate import MigrateError, UsageProblem, migrate

    try:
        result = migrate(args.source, args.to, args.output, force=args.force)
    except UsageProblem as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    except MigrateError as exc:
        raise CliError(str(exc), EXIT_ERRORS) from None
    for note in result.notes:
        warn(f"satconf: warning: {note}")
    if args.json:
        print_json(result.to_json())
    elif result.text is not None:
        sys.stdout.write(result.text)
    else:
        shown = result.output if args.to == "hydra" else result.written[0]
        print(f"wrote {args.to} {shown} ({len(result.written)} file"
              f"{'s' if len(result.written) != 1 else ''}) from {result.source_format} "
              f"{result.source}")
    return 0
