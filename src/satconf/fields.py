"""The one description of the training fields: the seed's schema plus the INI in use.

`FieldSet` is what the form, the CLI, the argv builder, the profile store and
the JSON Schema iterate over. It is built from `schema.DefaultsConfig` and a
`DefaultsIni`: seed keys take their help text, default and prefigure typing
from the INI; keys a fork added become extra fields typed the way prefigure
types them. Values travel as plain dicts keyed by INI key.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

from pydantic import BaseModel, ValidationError, create_model
from pydantic import Field as PydField
from pydantic.fields import FieldInfo

from satconf import kinds
from satconf.defaults_ini import DefaultsIni, IniEntry
from satconf.kinds import ChoiceKind, FieldKind
from satconf.schema import EXTRA, GROUPS, DefaultsConfig

Values = dict[str, Any]
Errors = dict[str, list[str]]


@dataclass(frozen=True)
class FieldSpec:
    key: str  # the INI key, also the profile key
    flag: str  # the prefigure flag, `--` + key with `_` -> `-`
    attr: str  # the attribute on the pydantic model
    kind: FieldKind
    default: Any  # the workspace's default: the INI value, else the seed's
    help: str
    group: str
    ini: IniEntry | None  # None when the INI lacks the key
    extra: bool  # not one of the seed's keys

    @property
    def nullable(self) -> bool:
        return self.kind.nullable

    @property
    def choices(self) -> tuple[str, ...]:
        return self.kind.choices if isinstance(self.kind, ChoiceKind) else ()


def flag_for(key: str) -> str:
    return "--" + key.replace("_", "-")


class Specs:
    """An ordered collection of fields, looked up by key (the form adds rows to a FieldSet's)."""

    def __init__(self, specs: tuple[FieldSpec, ...]) -> None:
        self.fields = specs
        self._by_key = {s.key: s for s in specs}

    def __iter__(self) -> Iterator[FieldSpec]:
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def __getitem__(self, key: str) -> FieldSpec:
        return self._by_key[key]

    def keys(self) -> list[str]:
        return [s.key for s in self.fields]

    def defaults(self) -> Values:
        return {s.key: s.default for s in self.fields}

    def parse_text(self, key: str, text: str) -> Any:
        """Turn text typed by a user (form or `--set`) into the field's value."""
        spec = self._by_key.get(key)
        if spec is None:
            raise KeyError(key)
        return spec.kind.parse(text)


class FieldSet(Specs):
    """The ordered fields of one workspace, and validation over them."""

    def __init__(self, specs: tuple[FieldSpec, ...], model: type[BaseModel],
                 ini: DefaultsIni | None) -> None:
        super().__init__(specs)
        self.model = model
        self.ini = ini

    def groups(self) -> list[tuple[str, list[FieldSpec]]]:
        out: list[tuple[str, list[FieldSpec]]] = []
        for group in GROUPS:
            members = [s for s in self.fields if s.group == group]
            if members:
                out.append((group, members))
        return out

    def validate(self, values: Values) -> tuple[Values, Errors]:
        """Normalised values and per-key error messages (empty when valid).

        Invalid keys keep the value given, so nothing typed is ever lost.
        """
        try:
            model = self.model.model_validate(values)
        except ValidationError as exc:
            errors: Errors = {}
            for err in exc.errors(include_url=False):
                key = str(err["loc"][0]) if err["loc"] else "__root__"
                msg = err["msg"].removeprefix("Value error, ")
                errors.setdefault(key, []).append(msg)
            good = {k: v for k, v in values.items() if k not in errors}
            normal = dict(values)
            if good != values:
                try:
                    fixed = {**self.defaults(), **good}
                    partial = self.model.model_validate(
                        {k: v for k, v in fixed.items() if k in self._by_key}
                    )
                    dumped = partial.model_dump(by_alias=True)
                    normal.update({k: dumped[k] for k in good if k in dumped})
                except ValidationError:
                    pass
            return normal, errors
        return model.model_dump(by_alias=True), {}

    def json_schema(self) -> dict[str, Any]:
        return self.model.model_json_schema(by_alias=True)


def build_fieldset(ini: DefaultsIni | None) -> FieldSet:
    """The fields of a workspace: the seed's, then the INI's extra keys."""
    entries = ini.entries if ini else {}
    by_alias = {(info.alias or name): (name, info)
                for name, info in DefaultsConfig.model_fields.items()}
    specs: list[FieldSpec] = []
    extras: dict[str, Any] = {}
    taken = set(DefaultsConfig.model_fields)
    for key, (attr, info) in by_alias.items():
        specs.append(_spec(key, attr, _seed_kind(info), info, entries.get(key), extra=False))
    for key, entry in entries.items():
        if key in by_alias:
            continue
        kind = kinds.for_ini_kind(entry.kind)
        attr = _attr_name(key, taken)
        taken.add(attr)
        info = PydField(entry.intended, alias=key, description=entry.help or None,
                        json_schema_extra={"group": EXTRA, "widget": kind.name})
        extras[attr] = (kind.pytype, info)
        specs.append(_spec(key, attr, kind, info, entry, extra=True))
    model = (create_model("WorkspaceConfig", __base__=DefaultsConfig, **extras)
             if extras else DefaultsConfig)
    return FieldSet(_with_defaults(tuple(specs), model), model, ini)


def _seed_kind(info: FieldInfo) -> FieldKind:
    """The kind the schema declares (`widget="file"`), else the one its annotation implies."""
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    declared = extra.get("widget")
    if isinstance(declared, str) and declared in kinds.BY_NAME:
        return kinds.BY_NAME[declared]
    return kinds.for_annotation(info.annotation)


def _spec(key: str, attr: str, kind: FieldKind, info: FieldInfo, entry: IniEntry | None, *,
          extra: bool) -> FieldSpec:
    extra_info = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    default = entry.intended if entry is not None else _plain(info.default)
    return FieldSpec(
        key=key, flag=flag_for(key), attr=attr, kind=kind, default=default,
        help=(entry.help if entry and entry.help else info.description) or "",
        group=str(extra_info.get("group", EXTRA)), ini=entry, extra=extra,
    )


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _with_defaults(specs: tuple[FieldSpec, ...], model: type[BaseModel]) -> tuple[FieldSpec, ...]:
    """Normalise each INI default through the model (`32` -> "32"), keeping invalid ones raw."""
    raw = {s.key: s.default for s in specs}
    try:
        normal = model.model_validate(raw).model_dump(by_alias=True)
    except ValidationError as exc:
        bad = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
        seed = {s.key: _plain(model.model_fields[s.attr].default) for s in specs if s.key in bad}
        try:
            normal = model.model_validate({**raw, **seed}).model_dump(by_alias=True)
        except ValidationError:
            return specs
        normal.update({k: raw[k] for k in bad})
    return tuple(_replace_default(s, normal.get(s.key, s.default)) for s in specs)


def _replace_default(spec: FieldSpec, default: Any) -> FieldSpec:
    return replace(spec, default=default) if default != spec.default else spec


_IDENT = re.compile(r"[^0-9a-zA-Z_]")


def _attr_name(key: str, taken: set[str]) -> str:
    base = key if key.isidentifier() else "x_" + _IDENT.sub("_", key)
    if (keyword.iskeyword(base) or base.startswith(("_", "model_"))
            or hasattr(BaseModel, base)):
        base = "x_" + base.lstrip("_")
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    return name
