"""The one description of the training fields: the seed's schema plus the INI in use.

`FieldSet` is what the form, the CLI, the argv builder, the profile store and
the JSON Schema iterate over. It is built from `schema.DefaultsConfig` and a
`DefaultsIni`: seed keys take their help text, default and prefigure typing
from the INI; keys a fork added become extra fields typed the way prefigure
types them. Values travel as plain dicts keyed by INI key.
"""

from __future__ import annotations

import ast
import keyword
import re
import types
from collections.abc import Iterator
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError, create_model
from pydantic import Field as PydField
from pydantic.fields import FieldInfo

from satconf.defaults_ini import STOP_KEYS, DefaultsIni, IniEntry, Kind
from satconf.schema import EXTRA, GROUPS, DefaultsConfig

Values = dict[str, Any]
Errors = dict[str, list[str]]


class ValueType(str, Enum):
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    STR = "str"
    OPTIONAL_STR = "optional_str"
    CHOICE = "choice"
    LITERAL = "literal"  # a Python literal (list, dict, ...) from a fork's INI


class Widget(str, Enum):
    INT = "int"
    FLOAT = "float"
    SWITCH = "switch"
    SELECT = "select"
    FILE = "file"
    DIR = "dir"
    TEXT = "text"
    LITERAL = "literal"


@dataclass(frozen=True)
class FieldSpec:
    key: str  # the INI key, also the profile key
    flag: str  # the prefigure flag, `--` + key with `_` -> `-`
    attr: str  # the attribute on the pydantic model
    type: ValueType
    default: Any  # the workspace's default: the INI value, else the seed's
    help: str
    group: str
    choices: tuple[str, ...]
    widget: Widget
    ini: IniEntry | None  # None when the INI lacks the key
    extra: bool  # not one of the seed's keys

    @property
    def nullable(self) -> bool:
        return self.type is ValueType.OPTIONAL_STR


_KIND_TYPES: dict[Kind, tuple[Any, ValueType]] = {
    Kind.BOOL: (bool, ValueType.BOOL),
    Kind.NONE: (Union[str, None], ValueType.OPTIONAL_STR),  # noqa: UP007
    Kind.INT: (int, ValueType.INT),
    Kind.FLOAT: (float, ValueType.FLOAT),
    Kind.STR: (str, ValueType.STR),
    Kind.PATH: (str, ValueType.STR),
    Kind.OTHER: (Any, ValueType.LITERAL),
}

_TRUE = {"true", "yes", "on", "1", "y"}
_FALSE = {"false", "no", "off", "0", "n"}


def flag_for(key: str) -> str:
    return "--" + key.replace("_", "-")


class FieldSet:
    """The ordered fields of one workspace, and validation over them."""

    def __init__(self, specs: tuple[FieldSpec, ...], model: type[BaseModel],
                 ini: DefaultsIni | None) -> None:
        self.fields = specs
        self.model = model
        self.ini = ini
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

    def parse_text(self, key: str, text: str) -> Any:
        """Turn text typed by a user (form or `--set`) into the field's value."""
        spec = self._by_key.get(key)
        if spec is None:
            raise KeyError(key)
        return parse_as(spec.type, text)

    def json_schema(self) -> dict[str, Any]:
        return self.model.model_json_schema(by_alias=True)


def parse_as(vtype: ValueType, text: str) -> Any:
    stripped = text.strip()
    if vtype is ValueType.INT:
        try:
            return int(stripped)
        except ValueError:
            raise ValueError(f"{text!r} is not a whole number") from None
    if vtype is ValueType.FLOAT:
        try:
            return float(stripped)
        except ValueError:
            raise ValueError(f"{text!r} is not a number") from None
    if vtype is ValueType.BOOL:
        low = stripped.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError(f"{text!r} is not true or false")
    if vtype is ValueType.OPTIONAL_STR:
        return None if stripped == "None" else text
    if vtype is ValueType.LITERAL:
        try:
            return ast.literal_eval(stripped)
        except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
            raise ValueError(f"{text!r} is not a Python literal") from None
    return text


def build_fieldset(ini: DefaultsIni | None) -> FieldSet:
    """The fields of a workspace: the seed's, then the INI's extra keys."""
    entries = ini.entries if ini else {}
    by_alias = {(info.alias or name): (name, info)
                for name, info in DefaultsConfig.model_fields.items()}
    specs: list[FieldSpec] = []
    extras: dict[str, Any] = {}
    taken = set(DefaultsConfig.model_fields)
    for key, (attr, info) in by_alias.items():
        vtype, choices = _seed_type(info)
        specs.append(_spec(key, attr, vtype, choices, info, entries.get(key), extra=False))
    for key, entry in entries.items():
        if key in by_alias:
            continue
        pytype, vtype = _KIND_TYPES[entry.kind]
        attr = _attr_name(key, taken)
        taken.add(attr)
        info = PydField(entry.intended, alias=key, description=entry.help or None,
                        json_schema_extra={"group": EXTRA})
        extras[attr] = (pytype, info)
        specs.append(_spec(key, attr, vtype, (), info, entry, extra=True))
    model = (create_model("WorkspaceConfig", __base__=DefaultsConfig, **extras)
             if extras else DefaultsConfig)
    return FieldSet(_with_defaults(tuple(specs), model), model, ini)


def _seed_type(info: FieldInfo) -> tuple[ValueType, tuple[str, ...]]:
    ann = info.annotation
    if isinstance(ann, type) and issubclass(ann, Enum):
        return ValueType.CHOICE, tuple(m.value for m in ann)
    if ann is bool:
        return ValueType.BOOL, ()
    if ann is int:
        return ValueType.INT, ()
    if ann is float:
        return ValueType.FLOAT, ()
    if get_origin(ann) in (Union, types.UnionType) and type(None) in get_args(ann):
        return ValueType.OPTIONAL_STR, ()
    return ValueType.STR, ()


def _widget(key: str, vtype: ValueType) -> Widget:
    if vtype in (ValueType.STR, ValueType.OPTIONAL_STR) and key not in STOP_KEYS:
        if key == "save_dir" or key.endswith("_dir"):
            return Widget.DIR
        if key.endswith(("_config", "_ckpt_path")):
            return Widget.FILE
    return {
        ValueType.INT: Widget.INT, ValueType.FLOAT: Widget.FLOAT, ValueType.BOOL: Widget.SWITCH,
        ValueType.CHOICE: Widget.SELECT, ValueType.LITERAL: Widget.LITERAL,
    }.get(vtype, Widget.TEXT)


def _spec(key: str, attr: str, vtype: ValueType, choices: tuple[str, ...], info: FieldInfo,
          entry: IniEntry | None, *, extra: bool) -> FieldSpec:
    extra_info = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    default = entry.intended if entry is not None else _plain(info.default)
    return FieldSpec(
        key=key, flag=flag_for(key), attr=attr, type=vtype, default=default,
        help=(entry.help if entry and entry.help else info.description) or "",
        group=str(extra_info.get("group", EXTRA)), choices=choices,
        widget=_widget(key, vtype), ini=entry, extra=extra,
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
