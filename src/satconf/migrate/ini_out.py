"""Write a `Document` as a defaults.ini that prefigure reads back value for value."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from satconf.defaults_ini import IniError, Kind, parse_defaults_ini, render_defaults_ini
from satconf.migrate.model import LITERAL, Document, MigrateError, literal_text

# What configparser takes as a key in [DEFAULTS] (no delimiter, no comment or section start).
_INI_KEY = re.compile(r"^[^\s=:#;\[][^=:\n\r]*$")


def expected_value(value: Any, kind: str) -> Any:
    """What prefigure should type the written INI value as."""
    if kind == Kind.STR.value and isinstance(value, bool):
        return "true" if value else "false"
    if kind == Kind.PATH.value:
        return Path(value)
    if kind == LITERAL:
        return ast.literal_eval(value)
    return value


def _render_args(value: Any, kind: str) -> tuple[Any, Kind]:
    # `format_value` writes a list/dict with repr() and no `%%` doubling, which
    # configparser then rejects; a PATH-kind text is written raw with `%%`
    # doubled, so literals go through that route.
    if kind == LITERAL:
        return value, Kind.PATH
    if kind == Kind.OTHER.value:
        return literal_text(value), Kind.PATH
    return value, Kind(kind)


def render_ini(doc: Document, where: Path | str = "defaults.ini") -> str:
    """INI text for the document; notes any value prefigure would read differently."""
    values: dict[str, Any] = {}
    kinds: dict[str, Kind] = {}
    helps: dict[str, str] = {}
    for e in doc.entries:
        if not _INI_KEY.match(e.key) or e.key != e.key.strip():
            raise MigrateError(where, None, f"key {e.key!r} cannot be written in an INI "
                                            "(no `=`, `:`, line breaks or leading `#;[`)")
        values[e.key], kinds[e.key] = _render_args(e.value, e.kind)
        helps[e.key] = e.help
    text = render_defaults_ini(values, helps, kinds)
    _verify(doc, text, where)
    return text


def _verify(doc: Document, text: str, where: Path | str) -> None:
    try:
        back = parse_defaults_ini(text, where)
    except IniError as exc:
        reason = f"the INI written would not parse: {exc.reason}"
        raise MigrateError(where, exc.line, reason) from None
    for e in doc.entries:
        want = expected_value(e.value, e.kind)
        got = back.entries[e.key].value if e.key in back.entries else None
        if repr(got) != repr(want):
            doc.note(e.key, f"an INI cannot give prefigure {want!r}; it will read {got!r}")
