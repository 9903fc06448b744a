"""The format-neutral form of a defaults.ini that every migration passes through.

A `Document` is the INI's keys in order, each with the value a target format
should hold, the INI kind that writes it back the way prefigure typed it, and
its help text. Targets that cannot hold a value as it is get its Python literal
text instead (kind `literal`) and a `Note` saying so; nothing changes silently.

Kinds are the INI's own (`satconf.defaults_ini.Kind`) plus `literal`. A target
file records only the kinds that differ from `natural_kind` of its value, so a
file written by hand needs no metadata at all.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from satconf.defaults_ini import DefaultsIni, Kind
from satconf.fields import build_fieldset
from satconf.fileerrors import FileProblem
from satconf.kinds import SWITCH

LITERAL = "literal"  # the value is a string holding the INI's Python literal text
KINDS: frozenset[str] = frozenset({k.value for k in Kind} | {LITERAL})
BOOL_TEXTS = {"true": True, "false": False}


class MigrateError(FileProblem):
    """A source that cannot be migrated: file, line (when known) and reason. Exit code 1."""


@dataclass(frozen=True)
class Note:
    """A value a target could not hold as it is, and what was written instead."""

    key: str
    reason: str

    def __str__(self) -> str:
        return f"{self.key}: {self.reason}" if self.key else self.reason


@dataclass
class Entry:
    key: str
    value: Any
    kind: str  # one of KINDS: how the INI writes the value back
    help: str = ""


@dataclass
class Document:
    entries: list[Entry] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    def keys(self) -> list[str]:
        return [e.key for e in self.entries]

    def get(self, key: str) -> Entry | None:
        return next((e for e in self.entries if e.key == key), None)

    def note(self, key: str, reason: str) -> None:
        self.notes.append(Note(key, reason))


@cache
def _seed_bool_keys() -> frozenset[str]:
    return frozenset(s.key for s in build_fieldset(None) if s.kind is SWITCH)


def natural_kind(key: str, value: Any) -> str:
    """The kind a value gets when its file records none.

    A bool in a seed bool field goes back as the seed INI's lowercase string
    (`recover = false`); elsewhere as a Python literal, which prefigure turns
    into a bare flag. A string holding `_dir` is written raw, because prefigure
    reads any such text as a Path whatever its quotes.
    """
    if value is None:
        return Kind.NONE.value
    if isinstance(value, bool):
        return Kind.STR.value if key in _seed_bool_keys() else Kind.BOOL.value
    if isinstance(value, int):
        return Kind.INT.value
    if isinstance(value, float):
        return Kind.FLOAT.value
    if isinstance(value, str):
        return Kind.PATH.value if "_dir" in value else Kind.STR.value
    return Kind.OTHER.value


def kind_fits(kind: str, value: Any) -> bool:
    """Whether a recorded kind still describes the value (a hand edit may have changed it)."""
    if kind == Kind.NONE.value:
        return value is None
    if kind == Kind.BOOL.value:
        return isinstance(value, bool)
    if kind == Kind.STR.value:
        return isinstance(value, (str, bool))
    if kind == Kind.INT.value:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == Kind.FLOAT.value:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == Kind.PATH.value:
        return isinstance(value, str)
    if kind == LITERAL:
        if not isinstance(value, str):
            return False
        try:
            ast.literal_eval(value)
        except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
            return False
        return True
    return kind == Kind.OTHER.value and isinstance(value, (list, dict))


def from_ini(ini: DefaultsIni) -> Document:
    """The INI's entries with the values a structured format should hold."""
    fields = build_fieldset(ini)
    doc = Document()
    for entry in ini.entries.values():
        spec = fields[entry.key]  # every INI key is a field
        value: Any = entry.value
        kind = entry.kind.value
        if entry.kind is Kind.PATH:
            value = entry.text  # the text gives prefigure the same Path back
        elif (entry.kind is Kind.STR and spec.kind is SWITCH
              and entry.value in BOOL_TEXTS):
            value = BOOL_TEXTS[entry.value]  # the seed's `recover = false` is a boolean
        doc.entries.append(Entry(entry.key, value, kind, entry.help))
    return doc


def meta_kinds(doc: Document) -> dict[str, str]:
    """The kinds a target file must record: those its values would not imply."""
    return {e.key: e.kind for e in doc.entries if e.kind != natural_kind(e.key, e.value)}


def apply_kinds(doc: Document, kinds: dict[str, str], where: Path) -> None:
    """Give each entry its recorded kind, or its natural kind where none fits."""
    for e in doc.entries:
        recorded = kinds.get(e.key)
        if recorded is not None and recorded not in KINDS:
            raise MigrateError(where, None, f"unknown kind {recorded!r} recorded for `{e.key}`")
        if recorded is not None and kind_fits(recorded, e.value):
            e.kind = recorded
        else:
            e.kind = natural_kind(e.key, e.value)
            if recorded is not None:
                doc.note(e.key, f"recorded kind {recorded!r} no longer fits the value "
                                f"{e.value!r}; written as {e.kind}")


def literal_text(value: Any) -> str:
    """The Python literal prefigure's `ast.literal_eval` reads back as `value`."""
    return repr(value)


def lower_values(doc: Document, unsupported: Any, target: str) -> Document:
    """A copy where each value `target` cannot hold becomes its literal text (kind `literal`).

    `unsupported(value)` returns why a value cannot be held, or None when it can.
    """
    out = Document(notes=doc.notes)  # shared: notes about the copy reach the caller
    for e in doc.entries:
        if e.kind == Kind.PATH.value:
            # A Path has no YAML/TOML form; its INI text gives prefigure the same Path back.
            out.note(e.key, f"prefigure reads {e.value!r} as a Path (the text holds `_dir`); "
                            f"{target} gets that text, an INI the Path again")
        why = unsupported(e.value)
        if why is None:
            out.entries.append(Entry(e.key, e.value, e.kind, e.help))
            continue
        text = literal_text(e.value)
        out.entries.append(Entry(e.key, text, LITERAL, e.help))
        out.note(e.key, f"{target} cannot hold {why}; written as the Python literal text "
                        f"{text!r}, restored as the value in an INI")
    return out
