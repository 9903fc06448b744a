"""`satconf schema`: the JSON Schema of the workspace's fields."""

from __future__ import annotations

import argparse

from satconf.cli.common import add_config_args, config_from_args, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("schema", help="print the JSON Schema of the training settings")
    add_config_args(p, sets=False, gpus=False, profile=False)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    print_json(config.fields.json_schema())
    return 0
