"""The form's state in one place: the config being edited and everything derived from it.

`FormState` holds one immutable `RunConfig` and replaces it on each change
(one validation per change); from it come the errors shown under the rows,
the quick `Prepared` the preview shows (plan and engine findings, no slow
checks) and, once the worker's deeper checks for the same generation are in,
the full `Prepared` that the launch key starts: the very object the preview
shows by then. No Textual here: widgets read this state, the app changes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from satconf.cluster.options import OPTIONS_KEY, option_errors, option_specs
from satconf.fields import Errors, FieldSet, FieldSpec, Specs, Values
from satconf.launch import Prepared, prepare
from satconf.runconfig import RunConfig
from satconf.runs.engines import get_engine
from satconf.schema import GROUPS

PREFIX = OPTIONS_KEY + "."  # the form's keys of engine options: "cluster.partition"
PYTHON_KEY = "launch.python"  # the form's row of the training python


def python_spec(config: RunConfig) -> FieldSpec:
    """The training python as a row of the Engine group; its help says why this one."""
    from satconf import kinds

    return FieldSpec(key=PYTHON_KEY, flag="--python", attr="python", kind=kinds.FILE,
                     default=config.python, help=f"the training python: {config.python_reason}"
                     if config.python_reason else "the training python", group="Engine",
                     ini=None, extra=False)


class FormFields(Specs):
    """The form's rows: the workspace's fields, then the engine options (group *Engine*)."""

    def __init__(self, fields: FieldSet, python: FieldSpec | None = None) -> None:
        self.ini = fields
        self.options = (*((python,) if python else ()), *option_specs())
        super().__init__((*fields.fields, *self.options))

    def groups(self) -> list[tuple[str, list[FieldSpec]]]:
        out = self.ini.groups()
        order = {g: i for i, g in enumerate(GROUPS)}
        out.sort(key=lambda item: order.get(item[0], len(order)))
        return [*out, (self.options[0].group, list(self.options))]


def option_values(options: dict[str, Any]) -> Values:
    """The engine options of a profile's table, as the form's `cluster.*` values."""
    table = options.get(OPTIONS_KEY)
    table = table if isinstance(table, dict) else {}
    return {s.key: table.get(s.attr, s.default) for s in option_specs()}


@dataclass
class FormState:
    config: RunConfig
    parse_errors: dict[str, str] = field(default_factory=dict)  # text a kind cannot read
    generation: int = 0  # bumped on every change; late worker results are dropped by it
    env: Any = None  # the training python's EnvironmentInfo, once probed
    quick: Prepared | None = None
    deep: Prepared | None = None  # the full findings of `generation`, when they are in
    option_problems: Errors = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.fields = FormFields(self.config.fields, python_spec(self.config))
        self._derive()

    # -- what widgets read ------------------------------------------------------

    @property
    def values(self) -> Values:
        """Every row's value: the config's, then its engine options."""
        return {**self.config.values, **option_values(self.config.options),
                PYTHON_KEY: self.config.python}

    @property
    def errors(self) -> Errors:
        out = {**self.config.errors(), **self.option_problems}
        out.update({k: [m] for k, m in self.parse_errors.items()})
        return out

    @property
    def prepared(self) -> Prepared | None:
        """What the preview shows and the launch starts: the deep result once it is in."""
        return self.deep or self.quick

    @property
    def hidden(self) -> frozenset[str]:
        """Engine option rows the chosen engine does not read."""
        engine = get_engine(self.engine)
        used = set(engine.option_keys) if engine is not None else set()
        return frozenset(s.key for s in self.fields.options
                         if s.key.startswith(PREFIX) and s.attr != "engine"
                         and s.attr not in used)

    @property
    def engine(self) -> str:
        table = self.config.options.get(OPTIONS_KEY)
        engine = table.get("engine") if isinstance(table, dict) else None
        return engine if isinstance(engine, str) else "local"

    # -- changes ----------------------------------------------------------------

    def set_values(self, values: Values, parse_errors: dict[str, str] | None = None) -> None:
        """The form's rows changed: INI values and engine options, each validated once."""
        python = values.get(PYTHON_KEY)
        ini = {k: v for k, v in values.items() if not k.startswith(PREFIX) and k != PYTHON_KEY}
        opts = {k[len(PREFIX):]: v for k, v in values.items() if k.startswith(PREFIX)}
        self.parse_errors = dict(parse_errors or {})
        changes: dict[str, Any] = {}
        if isinstance(python, str) and python.strip() and python != self.config.python:
            changes["python"], changes["python_reason"] = python.strip(), "set in the form"
        if ini != self.config.values:
            changes["values"] = {**self.config.values, **ini}
        if opts:
            options = self._with_options(opts)
            if options != self.config.options:
                changes["options"] = options
        self._change(**changes)

    def set_gpus(self, gpus: list[int] | None) -> None:
        self._change(gpus=None if gpus is None else list(gpus))

    def load(self, values: Values, *, gpus: list[int] | None, python: str | None,
             options: dict[str, Any]) -> None:
        changes: dict[str, Any] = {"values": values, "gpus": gpus, "options": dict(options)}
        if python:
            changes["python"] = python
        self.parse_errors = {}
        self._change(**changes)

    def set_profile(self, name: str | None) -> None:
        self.config = self.config.evolve(profile=name)

    def deep_done(self, generation: int, prepared: Prepared) -> bool:
        """The worker's full findings; kept only if nothing changed meanwhile."""
        if generation != self.generation:
            return False
        self.deep = prepared
        return True

    def set_env(self, env: Any) -> None:
        self.env = env

    # -- derivation -------------------------------------------------------------

    def _with_options(self, opts: dict[str, Any]) -> dict[str, Any]:
        """The profile's options with the engine table from the rows (defaults dropped)."""
        defaults = {s.attr: s.default for s in self.fields.options}
        table = {k: v for k, v in opts.items() if v != defaults.get(k)}
        out = {k: v for k, v in self.config.options.items() if k != OPTIONS_KEY}
        if table:
            out[OPTIONS_KEY] = table
        return out

    def _change(self, **changes: Any) -> None:
        if changes:
            self.config = self.config.evolve(**changes)
        self._derive()

    def _derive(self) -> None:
        self.generation += 1
        self.deep = None
        table = self.config.options.get(OPTIONS_KEY)
        problems = option_errors(table) if isinstance(table, dict) else {}
        self.option_problems = {PREFIX + k: v for k, v in problems.items()}
        if self.parse_errors or self.config.errors() or self.option_problems:
            self.quick = None  # nothing to preview or launch while a row is wrong
            return
        self.quick = prepare(self.config, env=None, checks=False, submitting=False,
                             cached_recover=True)
