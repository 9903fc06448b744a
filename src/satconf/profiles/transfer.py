"""Import a profile from a TOML profile or a defaults.ini; export it as either."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from satconf.defaults_ini import STOP_KEYS, IniError, Kind, read_defaults_ini, render_defaults_ini
from satconf.fields import FieldSet, build_fieldset
from satconf.fileerrors import read_bytes
from satconf.profiles.codec import render_profile
from satconf.profiles.model import Profile, ProfileError, now, validate_name
from satconf.profiles.reader import parse_profile
from satconf.workspace import is_workspace


def is_ini(path: Path, data: bytes) -> bool:
    """An INI by its suffix, else by a `[DEFAULTS]` header (which TOML files never need)."""
    if path.suffix.lower() == ".ini":
        return True
    if path.suffix.lower() == ".toml":
        return False
    return any(line.strip() == "[DEFAULTS]" for line in data.decode("utf-8", "replace")
               .splitlines())


def import_profile(path: Path | str, name: str | None = None) -> Profile:
    """A profile read from `path` (not yet saved); raises ProfileError."""
    path = Path(path)
    data = read_bytes(path, ProfileError)
    if is_ini(path, data):
        try:
            ini = read_defaults_ini(path)
        except IniError as exc:
            raise ProfileError(exc.path, exc.line, exc.reason) from None
        stamp = now()
        folder = path.resolve().parent
        return Profile(
            name=validate_name(name if name is not None else path.stem),
            values=build_fieldset(ini).defaults(),
            description=f"imported from {path.resolve()}",
            created=stamp, updated=stamp,
            # A workspace's own defaults.ini: remember the workspace too.
            workspace=str(folder) if is_workspace(folder) else None,
        )
    prof = parse_profile(data, path, name=validate_name(name) if name is not None else None)
    prof.path = None
    return prof


def export_toml(profile: Profile) -> bytes:
    return render_profile(profile)


def export_ini(profile: Profile, fields: FieldSet | None) -> tuple[str, list[str]]:
    """INI text for prefigure's `--config-file`, and warnings about what it cannot carry."""
    values = _ini_order(profile.values)
    helps: dict[str, str] = {}
    kinds: dict[str, Kind] = {}
    if fields is not None:
        for spec in fields:
            if spec.key in values:
                helps[spec.key] = spec.help
                if spec.ini is not None:
                    kinds[spec.key] = spec.ini.kind
    warnings: list[str] = []
    for key, value in values.items():
        if value is True and kinds.get(key, Kind.BOOL) is Kind.BOOL:
            warnings.append(f"{key} = True: prefigure reads a True/False INI value as a switch "
                            f"that is off unless --{key.replace('_', '-')} is passed")
    return render_defaults_ini(values, helps, kinds), warnings


def _ini_order(values: dict[str, Any]) -> dict[str, Any]:
    # prefigure stops registering flags at these keys; at the end they hide nothing.
    head = {k: v for k, v in values.items() if k not in STOP_KEYS}
    return {**head, **{k: v for k, v in values.items() if k in STOP_KEYS}}
