"""One run's configuration: workspace + defaults.ini + profile + overrides.

The CLI and the TUI both start here: resolve the workspace, read its INI,
build the field set, lay a profile's values and `--set` overrides over the
INI defaults, then validate and turn the result into a `LaunchPlan`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from satconf.command import LaunchPlan, build_plan, flag_errors
from satconf.defaults_ini import read_defaults_ini
from satconf.fields import Errors, FieldSet, Values, build_fieldset
from satconf.workspace import Workspace, default_python, resolve_workspace


class UsageError(Exception):
    """Bad input on the command line (exit code 2)."""


class ConfigError(Exception):
    """A config, INI or profile with errors (exit code 1)."""


def validate(fields: FieldSet, values: Values) -> tuple[Values, Errors]:
    """Pydantic's checks, then whether prefigure can be given each valid value."""
    normal, errors = fields.validate(values)
    for key, msgs in flag_errors(fields, normal).items():
        if key not in errors:
            errors[key] = msgs
    return normal, errors


@dataclass
class RunConfig:
    workspace: Workspace
    fields: FieldSet
    values: Values
    gpus: list[int] | None = None
    python: str = field(default_factory=default_python)
    profile: str | None = None
    options: dict[str, Any] = field(default_factory=dict)  # launch options kept by profiles
    warnings: list[str] = field(default_factory=list)  # worth telling the user, not errors

    def errors(self) -> Errors:
        return validate(self.fields, self.values)[1]

    def plan(self) -> LaunchPlan:
        """The launch plan; raises `command.PlanError` on values prefigure cannot take."""
        normal, _ = self.fields.validate(self.values)
        ws = self.workspace
        return build_plan(self.fields, normal, python=self.python, train_py=ws.train_py,
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


def apply_sets(fields: FieldSet, values: Values, sets: list[str]) -> Values:
    """Lay `KEY=VALUE` overrides over `values`; every bad one is reported at once."""
    out = dict(values)
    problems: list[str] = []
    touched: list[str] = []
    for item in sets:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep:
            problems.append(f"--set {item!r}: write KEY=VALUE")
            continue
        if key not in fields:
            problems.append(f"--set {key}: defaults.ini has no such key")
            continue
        try:
            out[key] = fields.parse_text(key, text)
            touched.append(key)
        except ValueError as exc:
            problems.append(f"--set {key}: {exc}")
    _, errors = validate(fields, out)
    for key in touched:
        for msg in errors.get(key, []):
            problems.append(f"--set {key}={out[key]!r}: {msg}")
    if problems:
        raise UsageError("\n".join(problems))
    return out


def load_run_config(workspace: Path | str | None = None, *, profile: str | None = None,
                    sets: list[str] | None = None, gpus: str | None = None) -> RunConfig:
    """Everything a command needs to describe one run; raises UsageError/ConfigError.

    With a profile and no workspace given, the profile's own workspace is used
    when it still exists: a profile belongs to the checkout it was made for.
    """
    from satconf.defaults_ini import IniError
    from satconf.workspace import WorkspaceError, is_workspace

    prof = _load_profile(profile) if profile is not None else None
    if (workspace is None and prof is not None and prof.workspace
            and is_workspace(Path(prof.workspace))):
        workspace = prof.workspace
    try:
        ws = resolve_workspace(workspace)
        ini = read_defaults_ini(ws.defaults_ini)
    except (WorkspaceError, IniError) as exc:
        raise ConfigError(str(exc)) from None
    fields = build_fieldset(ini)
    config = RunConfig(workspace=ws, fields=fields, values=fields.defaults())
    if prof is not None:
        _apply_profile(config, prof)
    if sets:
        config.values = apply_sets(fields, config.values, sets)
    if gpus is not None:
        config.gpus = parse_gpus(gpus)
    return config


def _load_profile(name: str) -> Any:
    from satconf.profiles import ProfileError, ProfileNameError, ProfileStore

    try:
        return ProfileStore().load(name)
    except ProfileNameError as exc:
        raise UsageError(str(exc)) from None  # `--profile ../x`: a usage error
    except ProfileError as exc:
        raise ConfigError(str(exc)) from None


def _apply_profile(config: RunConfig, prof: Any) -> None:
    known = {k: v for k, v in prof.values.items() if k in config.fields}
    config.values.update(known)
    config.warnings.extend(prof.warnings)
    for key in prof.values:
        if key not in config.fields:
            config.warnings.append(
                f"profile {prof.name!r}: `{key}` is not in {config.workspace.defaults_ini}; "
                "kept in the profile, not passed to train.py"
            )
    config.profile = prof.name
    config.gpus = prof.gpus
    if prof.python:
        config.python = prof.python
    config.options = dict(prof.options)
