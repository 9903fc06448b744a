"""The engine flags of `launch`, `check` and `profiles save`, made from the engine options model.

Each `ClusterOptions` field is one flag (its name from the field, or the
field's declared `flag`), typed by the field's kind; nothing lists the options
again. `--nodes` sets the config's own `num_nodes`, the one number Lightning
and the cluster both read.
"""

from __future__ import annotations

import argparse
from typing import Any

from satconf.cluster.options import OPTIONS_KEY, ClusterOptions, option_specs
from satconf.kinds import LINES


def _metavar(key: str) -> str:
    extra = ClusterOptions.model_fields[key].json_schema_extra
    metavar = extra.get("metavar") if isinstance(extra, dict) else None
    return str(metavar) if metavar else "VALUE"


def add_engine_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("engine (default: the profile's engine options, else local)")
    g.add_argument("--nodes", type=int, default=None, metavar="N",
                   help="number of nodes (sets num_nodes)")
    for spec in option_specs():
        dest = f"engine_{spec.attr}"
        if spec.kind is LINES:
            g.add_argument(spec.flag, dest=dest, action="append", default=None,
                           metavar=_metavar(spec.attr), help=f"{spec.help} (repeatable)")
        elif spec.choices:
            g.add_argument(spec.flag, dest=dest, choices=spec.choices, default=None,
                           help=spec.help)
        else:
            g.add_argument(spec.flag, dest=dest, type=_parser(spec.kind), default=None,
                           metavar=_metavar(spec.attr) if spec.kind.editor == "text" else "N",
                           help=spec.help)


def _parser(kind: Any) -> Any:
    def parse(text: str) -> Any:
        try:
            return kind.parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    parse.__name__ = kind.name  # argparse names the type in its error
    return parse


def engine_overrides(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """The engine options given on the command line, as a profile's options table."""
    table = {spec.attr: getattr(args, f"engine_{spec.attr}") for spec in option_specs()
             if getattr(args, f"engine_{spec.attr}", None) is not None}
    return {OPTIONS_KEY: table} if table else {}


def nodes_set(args: argparse.Namespace) -> list[str]:
    nodes = getattr(args, "nodes", None)
    return [] if nodes is None else [f"num_nodes={nodes}"]
