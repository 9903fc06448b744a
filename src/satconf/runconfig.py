"""One run's configuration: workspace + defaults.ini + profile + overrides.

The CLI and the TUI both start here: resolve the workspace, read its INI,
build the field set, lay a profile's values and `--set` overrides over the
INI defaults, then validate and turn the result into a `LaunchPlan`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from satconf.command import LaunchPlan, PlanError, encode_flags, plan_from_flags
from satconf.defaults_ini import read_defaults_ini
from satconf.fields import Errors, FieldSet, Values, build_fieldset
from satconf.workspace import Workspace, default_python, resolve_workspace


class UsageError(Exception):
    """Bad input on the command line (exit code 2)."""


class ConfigError(Exception):
    """A config, INI or profile with errors (exit code 1)."""


def validate(fields: FieldSet, values: Values) -> tuple[Values, Errors]:
    """Pydantic's checks, then whether prefigure can be given each valid value."""
    checked = Validated.of(fields, values)
    return checked.normal, checked.errors


@dataclass(frozen=True)
class Validated:
    """One validation of a set of values: normalised values, errors, and the encoded flags."""

    normal: Values
    errors: Errors
    flags: tuple[str, ...]  # train.py's flags for `normal` (meaningful only without errors)

    @classmethod
    def of(cls, fields: FieldSet, values: Values) -> Validated:
        normal, errors = fields.validate(values)
        flags, flag_problems = encode_flags(fields, normal)
        for key, msgs in flag_problems.items():
            if key not in errors:
                errors[key] = msgs
        return cls(normal, errors, tuple(flags))


@dataclass(frozen=True)
class RunConfig:
    """One run's settings, immutable, validated once (on first use) however often it is read.

    `values` are as given, invalid ones included, so nothing typed is lost;
    `normal`, `errors()` and `plan()` come from one `Validated`. Derive a
    changed config with `evolve`, which keeps the validation when the values stay.
    """

    workspace: Workspace
    fields: FieldSet
    values: Values
    gpus: list[int] | None = None
    python: str = field(default_factory=default_python)
    profile: str | None = None
    options: dict[str, Any] = field(default_factory=dict)  # launch options kept by profiles
    warnings: tuple[str, ...] = ()  # worth telling the user, not errors
    python_reason: str = ""  # why this python (an explicit flag, the profile, satconf's own)

    @cached_property
    def checked(self) -> Validated:
        return Validated.of(self.fields, self.values)

    @property
    def normal(self) -> Values:
        return self.checked.normal

    def errors(self) -> Errors:
        return self.checked.errors

    def evolve(self, **changes: Any) -> RunConfig:
        new = dataclasses.replace(self, **changes)
        if "values" not in changes and "fields" not in changes and "checked" in self.__dict__:
            new.__dict__["checked"] = self.checked  # the same values: no second validation
        return new

    def plan(self) -> LaunchPlan:
        """The launch plan; raises `command.PlanError` on values prefigure cannot take."""
        checked = self.checked
        if checked.errors:
            raise PlanError(checked.errors)
        ws = self.workspace
        return plan_from_flags(checked.flags, python=self.python, train_py=ws.train_py,
                               cwd=ws.root, config_file=ws.defaults_ini, gpus=self.gpus)


def parse_gpus(text: str | None) -> list[int] | None:
    """`0,1` -> [0, 1]; `none` or empty -> [] (no GPU visible); None -> all visible."""
    if text is None:
        return None
    text = text.strip()
    if text.lower() in ("", "none", "cpu"):
        return []
    out: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part.isdigit():
            raise UsageError(f"--gpus: {part!r} is not a GPU index (write e.g. 0,1)")
        if int(part) not in out:
            out.append(int(part))
    return out


def apply_sets(fields: FieldSet, values: Values,
               sets: list[str]) -> tuple[Values, list[str], list[str]]:
    """Lay `KEY=VALUE` overrides over `values`, parsed but not validated (that happens once,
    when the config is built): (values, the keys set, the problems found)."""
    from satconf.setkeys import normalise_set_key, unknown_key_message

    out = dict(values)
    problems: list[str] = []
    touched: list[str] = []
    for item in sets:
        key, sep, text = item.partition("=")
        key = normalise_set_key(fields.keys(), key.strip())  # `batch-size` means batch_size
        if not sep:
            problems.append(f"--set {item!r}: write KEY=VALUE")
            continue
        if key not in fields:
            problems.append(unknown_key_message(fields.keys(), key))
            continue
        try:
            out[key] = fields.parse_text(key, text)
            touched.append(key)
        except ValueError as exc:
            problems.append(f"--set {key}: {exc}")
    return out, touched, problems


def load_run_config(workspace: Path | str | None = None, *, profile: str | None = None,
                    sets: list[str] | None = None, gpus: str | None = None,
                    python: str | None = None,
                    options: dict[str, Any] | None = None) -> RunConfig:
    """Resolve one run: workspace + defaults.ini + profile + `--set` + GPU, python and launch
    option overrides, laid over each other without validating, then validated once.

    Raises UsageError (a bad `--set`, a bad profile name) or ConfigError. With a
    profile and no workspace given, the profile's own workspace is used when it
    still exists: a profile belongs to the checkout it was made for. `options`
    changes keys of the profile's launch option tables (`{"cluster": {"engine": ...}}`).
    """
    from satconf.defaults_ini import IniError
    from satconf.workspace import WorkspaceError

    prof = _load_profile(profile) if profile is not None else None
    try:  # with no workspace given, the profile's own where it still is (else: says why not)
        ws = resolve_workspace(workspace, profile=(prof.name, prof.workspace) if prof else None)
        ini = read_defaults_ini(ws.defaults_ini)
    except (WorkspaceError, IniError) as exc:
        raise ConfigError(str(exc)) from None
    fields = build_fieldset(ini)
    layers: dict[str, Any] = {"values": fields.defaults()}
    if prof is not None:
        layers.update(_profile_layer(fields, ws, prof))
    touched: list[str] = []
    problems: list[str] = []
    if sets:
        layers["values"], touched, problems = apply_sets(fields, layers["values"], sets)
    if gpus is not None:
        layers["gpus"] = parse_gpus(gpus)
    from satconf.pythons import choose_python

    layers["python"], layers["python_reason"] = choose_python(
        ws.root, explicit=python, profile_python=prof.python if prof is not None else None)
    if options:
        merged = dict(layers.get("options", {}))
        for table, changes in options.items():
            base = merged.get(table)
            merged[table] = {**(base if isinstance(base, dict) else {}), **changes}
        layers["options"] = merged
    config = RunConfig(workspace=ws, fields=fields, **layers)
    problems += [f"--set {key}={config.values[key]!r}: {msg}"
                 for key in dict.fromkeys(touched) for msg in config.errors().get(key, [])]
    if problems:
        raise UsageError("\n".join(dict.fromkeys(problems)))  # a repeated --set: said once
    return config


def _load_profile(name: str) -> Any:
    from satconf.profiles import ProfileError, ProfileNameError, ProfileStore

    try:
        return ProfileStore().load(name)
    except ProfileNameError as exc:
        raise UsageError(str(exc)) from None  # `--profile ../x`: a usage error
    except ProfileError as exc:
        raise ConfigError(str(exc)) from None


def _profile_layer(fields: FieldSet, ws: Workspace, prof: Any) -> dict[str, Any]:
    """What a profile lays over the INI defaults (keys this INI lacks are warned about)."""
    warnings = list(prof.warnings)
    for key in prof.values:
        if key not in fields:
            warnings.append(f"profile {prof.name!r}: `{key}` is not in {ws.defaults_ini}; "
                            "kept in the profile, not passed to train.py")
    layer: dict[str, Any] = {
        "values": {**fields.defaults(), **{k: v for k, v in prof.values.items() if k in fields}},
        "profile": prof.name, "gpus": prof.gpus, "options": dict(prof.options),
        "warnings": tuple(warnings),
    }
    return layer
