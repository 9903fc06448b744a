"""TOML: a satconf profile file (`satconf.profiles` format) that `satconf profiles import` takes.

The profile codec writes the values: None in its `[none]` table, tuples and
other values TOML lacks in `[literal_values]` as Python literal text. This
module adds what a profile does not hold, as comments (so the profile store
reads the file without complaint): the help text above each key in `[values]`
and `[literal_values]`, and a `# satconf:ini {...}` line with the INI's key
order, the kinds that differ from the natural ones and the help of None keys.
The store drops comments when it saves its own copy; only the migrated file
keeps them. A plain TOML mapping of keys (no `format`) is read as values too.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path
from typing import Any

from satconf.defaults_ini import Kind
from satconf.fileerrors import check_shape
from satconf.migrate import yaml_tree as yt
from satconf.migrate.model import (
    LITERAL,
    Document,
    Entry,
    MigrateError,
    apply_kinds,
    meta_kinds,
    natural_kind,
)
from satconf.profiles import Profile, ProfileError, parse_profile, render_profile, validate_name
from satconf.profiles.codec import _toml_exact

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

_TABLE = re.compile(r"^\[([^\]]+)\]\s*$")
_HELP_TABLES = ("values", "literal_values")


def profile_name(output: Path) -> str:
    try:
        return validate_name(output.stem)
    except ProfileError:
        cleaned = re.sub(r"[^\w\-. ]+", "-", output.stem).strip(" .-")
        try:
            return validate_name(cleaned)
        except ProfileError:
            return "migrated"


def _raise_literals(doc: Document) -> Document:
    # The profile codec writes tuples and the like itself; give it the real value.
    out = Document(notes=doc.notes)  # shared: notes about the copy reach the caller
    for e in doc.entries:
        if e.kind == LITERAL:
            value = ast.literal_eval(e.value)
            out.entries.append(Entry(e.key, value, natural_kind(e.key, value), e.help))
        else:
            out.entries.append(Entry(e.key, e.value, e.kind, e.help))
    return out


def render_toml(doc: Document, output: Path, source: Path) -> str:
    doc = _raise_literals(doc)
    for e in doc.entries:
        if e.kind == Kind.PATH.value:
            doc.note(e.key, f"prefigure reads {e.value!r} as a Path (the text holds `_dir`); "
                            "TOML gets that text, an INI the Path again")
        if e.value is None:
            doc.note(e.key, "TOML has no None; listed in the profile's [none] table")
        elif not _toml_exact(e.value):
            doc.note(e.key, f"TOML cannot hold {type(e.value).__name__} {e.value!r}; "
                            "written in [literal_values] as Python literal text")
    prof = Profile(name=profile_name(output), values={e.key: e.value for e in doc.entries},
                   description=f"Migrated by satconf from {source.name}")
    try:
        text = render_profile(prof).decode("utf-8")
    except ProfileError as exc:
        raise MigrateError(source, None, exc.reason) from None
    helps = {e.key: e.help for e in doc.entries if e.help}
    text, placed = _with_help(text, helps)
    meta: dict[str, Any] = {"order": doc.keys()}
    kinds = meta_kinds(doc)
    if kinds:
        meta["kinds"] = kinds
    rest = {k: h for k, h in helps.items() if k not in placed}
    if rest:
        meta["help"] = rest
    head = yt.header(source)
    return "\n".join([head, *yt.meta_line(meta), text])


def _key_of(line: str) -> str | None:
    if not line or line[0] in " \t#[" or "=" not in line:
        return None
    try:
        parsed = tomllib.loads(line.split("=", 1)[0] + "= 0")
    except tomllib.TOMLDecodeError:
        return None
    return next(iter(parsed)) if len(parsed) == 1 else None


def _with_help(text: str, helps: dict[str, str]) -> tuple[str, set[str]]:
    out: list[str] = []
    placed: set[str] = set()
    table = ""
    for line in text.split("\n"):  # TOML's only line end; splitlines() would cut strings
        head = _TABLE.match(line)
        if head:
            table = head.group(1).strip()
        elif table in _HELP_TABLES:
            key = _key_of(line)
            if key is not None and key in helps:
                out.extend(yt.comment_lines(helps[key]))
                placed.add(key)
        out.append(line)
    return "\n".join(out), placed


# -- reading --------------------------------------------------------------------------


def read_toml(path: Path) -> Document:
    text = yt.read_text(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\(at line (\d+), column \d+\)", msg)
        raise MigrateError(path, int(m.group(1)) if m else None,
                           f"is not valid TOML: {re.sub(r' *[(]at .*[)]', '', msg)}") from None
    except RecursionError:
        raise MigrateError(path, None, "is nested too deeply") from None
    except ValueError as exc:  # an integer longer than Python turns into a number
        reason = "holds an integer too long to read" if "digits" in str(exc) else str(exc)
        raise MigrateError(path, None, reason) from None
    check_shape(data, path, MigrateError)
    # A fork may have keys named `format` or `name`; a profile also has one of its tables.
    profile = isinstance(data.get("format"), int) and any(
        isinstance(data.get(t), dict) for t in (*_HELP_TABLES, "none"))
    if profile:
        try:
            values = parse_profile(text.encode("utf-8"), path).values
        except ProfileError as exc:
            raise MigrateError(path, exc.line, exc.reason) from None
    else:
        values = data
    meta = yt.read_meta(path, text)
    helps = _helps(text, _HELP_TABLES if profile else ("",))
    helps.update({k: v for k, v in meta.get("help", {}).items() if isinstance(v, str)})
    order = [k for k in meta.get("order", []) if k in values]
    order += [k for k in values if k not in order]
    doc = Document(entries=[Entry(k, values[k], "", helps.get(k, "")) for k in order])
    apply_kinds(doc, meta.get("kinds", {}), path)
    return doc


def _helps(text: str, tables: tuple[str, ...]) -> dict[str, str]:
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    found: dict[str, str] = {}
    table = ""
    for number, line in enumerate(lines, start=1):
        head = _TABLE.match(line)
        if head:
            table = head.group(1).strip()
            continue
        if table in tables:
            key = _key_of(line)
            if key is not None:
                found.setdefault(key, yt.help_above(lines, number))
    return {k: v for k, v in found.items() if v}
