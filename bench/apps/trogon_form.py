"""The same options as a Trogon form: a click command with one option per field.

Run with trogon importable (bench/run.py installs it into its own folder);
`python trogon_form.py DEFAULTS_INI tui` opens the form.
"""

import sys

import click
from trogon import tui

from satconf import kinds
from satconf.defaults_ini import read_defaults_ini
from satconf.fields import build_fieldset

_TYPES = {kinds.INTEGER: int, kinds.NUMBER: float, kinds.SWITCH: bool}


def build(ini_path: str) -> click.Command:
    fields = build_fieldset(read_defaults_ini(ini_path))
    params = []
    for spec in fields:
        kind = (click.Choice(list(spec.choices)) if spec.choices
                else _TYPES.get(spec.kind, str))
        params.append(click.Option([spec.flag], type=kind, default=spec.default,
                                   help=spec.help, show_default=True))
    # Options on the root group, so Trogon's first screen is their form.
    group = click.Group("train", params=params, callback=lambda **kw: None,
                        invoke_without_command=True)
    return tui()(group)


if __name__ == "__main__":
    ini = sys.argv.pop(1)
    build(ini)()
