"""`satconf check`: the preflight findings for a run, grouped by level."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from satconf.cli.common import (
    EXIT_ERRORS,
    EXIT_OK,
    CliError,
    add_config_args,
    add_probe_args,
    print_json,
)

if TYPE_CHECKING:
    from satconf.checks import Finding

_TITLES = {"error": "errors", "warning": "warnings", "info": "infos"}
_MARKS = {"error": "✗", "warning": "!", "info": "·"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="check a run's settings, files and environment")
    add_config_args(p, python=True)
    p.add_argument("--json", action="store_true", help="the findings as a JSON list on stdout")
    p.add_argument("--refresh", action="store_true",
                   help="probe the training python again instead of using the cache")
    add_probe_args(p)
    from satconf.cli.engine_args import add_engine_args

    add_engine_args(p)  # check a run as it would launch on that engine
    p.set_defaults(func=run)


def collect(args: argparse.Namespace) -> list[Finding]:
    """The launch use case's findings, as `satconf launch` would meet them."""
    from satconf.cli.launch import prepared_from_args

    prepared = prepared_from_args(args, submitting=True)
    for note in prepared.notes:
        if not args.json:
            print(f"note: {note}", file=sys.stderr)
    return list(prepared.findings)


def render(findings: list[Finding]) -> str:
    lines: list[str] = []
    for level, title in _TITLES.items():
        group = [f for f in findings if f.level == level]
        if not group:
            continue
        lines.append(f"{title} ({len(group)}):")
        for f in group:
            where = f"{f.field}: " if f.field else ""
            lines.append(f"  {_MARKS[level]} {where}{f.message}")
            if f.hint:
                lines.append(f"      → {f.hint}")
    counts = {level: sum(f.level == level for f in findings) for level in _TITLES}
    summary = ", ".join(f"{n} {_TITLES[lv] if n != 1 else lv}" for lv, n in counts.items())
    lines.append(summary if findings else "no findings")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    try:
        findings = collect(args)
    except CliError as exc:
        if not args.json or exc.code != EXIT_ERRORS:
            raise
        # A defaults.ini or profile that cannot be read is one more finding to a script.
        from satconf.checks import Finding

        findings = [Finding("error", None, exc.message, "fix the file it names")]
    if args.json:
        print_json([f.to_json() for f in findings])
    else:
        print(render(findings))
    return EXIT_ERRORS if any(f.level == "error" for f in findings) else EXIT_OK
