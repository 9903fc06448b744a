"""Field kinds: one class per kind of value a field holds, and everything that depends on it.

A kind owns how text typed by a user (the form, `--set`, a CLI flag) becomes a
value, how a value is written back as text, which editor the form uses for it
and whether it names a file or a folder. `FieldSpec.kind` is one of these
instances; nothing else switches over "what sort of field is this".

The seed's schema declares a field's kind (`kind="file"` in `schema.py`); a
fork's extra INI key gets the kind its INI text implies (`for_ini_kind`); the
remaining seed fields get theirs from their Python annotation (`for_annotation`).
How a value becomes a train.py flag is not the field's kind but prefigure's
typing of the INI line: that is `command.py`'s per-INI-kind encoders.
"""

from __future__ import annotations

import ast
import types
from enum import Enum
from typing import Any, ClassVar, Literal, Union, get_args, get_origin

from satconf.defaults_ini import Kind as IniKind

_TRUE = {"true", "yes", "on", "1", "y"}
_FALSE = {"false", "no", "off", "0", "n"}


class FieldKind:
    """Text in, value out, and back. Subclasses differ only where their kind does."""

    name: ClassVar[str] = "text"
    editor: ClassVar[str] = "text"  # text | integer | number | switch | select | literal
    path: ClassVar[str | None] = None  # "file" or "dir" when the value names one
    nullable: ClassVar[bool] = False  # empty text means None
    pytype: ClassVar[Any] = str  # the pydantic annotation of a fork's extra key of this kind

    def parse(self, text: str) -> Any:
        return text

    def format(self, value: Any) -> str:
        """How a value is written in its editor (the inverse of `parse`)."""
        return "" if value is None else str(value)

    def same(self, a: Any, b: Any) -> bool:
        return type(a) is type(b) and a == b

    def __repr__(self) -> str:
        return f"<kind {self.name}>"


class TextKind(FieldKind):
    pass


class OptionalTextKind(FieldKind):
    """Text or None (an INI `None`): the empty editor, or the word None, is None."""

    name = "optional_text"
    nullable = True
    pytype = Union[str, None]  # noqa: UP007

    def parse(self, text: str) -> Any:
        return None if text.strip() in ("", "None") else text


class FileKind(TextKind):
    name = "file"
    path = "file"


class FolderKind(TextKind):
    name = "dir"
    path = "dir"


class IntegerKind(FieldKind):
    name = "integer"
    editor = "integer"
    pytype = int

    def parse(self, text: str) -> Any:
        try:
            return int(text.strip())
        except ValueError:
            raise ValueError(f"{text!r} is not a whole number") from None

    def format(self, value: Any) -> str:
        return "" if value is None else (value if isinstance(value, str) else repr(value))


class OptionalIntegerKind(IntegerKind):
    """A whole number or None (empty): "one per GPU", "SLURM's default"."""

    name = "optional_integer"
    nullable = True
    pytype = Union[int, None]  # noqa: UP007

    def parse(self, text: str) -> Any:
        return None if text.strip() in ("", "None") else super().parse(text)


class NumberKind(IntegerKind):
    name = "number"
    editor = "number"
    pytype = float

    def parse(self, text: str) -> Any:
        try:
            return float(text.strip())
        except ValueError:
            raise ValueError(f"{text!r} is not a number") from None


class SwitchKind(FieldKind):
    name = "switch"
    editor = "switch"
    pytype = bool

    def parse(self, text: str) -> Any:
        low = text.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError(f"{text!r} is not true or false")

    def format(self, value: Any) -> str:
        return "true" if value is True else "false" if value is False else str(value)


class ChoiceKind(FieldKind):
    """One of a fixed list of names (the schema's enums)."""

    name = "choice"
    editor = "select"

    def __init__(self, choices: tuple[str, ...]) -> None:
        self.choices = choices

    def parse(self, text: str) -> Any:
        return text.strip()


class LiteralKind(FieldKind):
    """A Python literal (list, dict, tuple...) from a fork's INI."""

    name = "literal"
    editor = "literal"
    pytype = Any

    def parse(self, text: str) -> Any:
        try:
            return ast.literal_eval(text.strip())
        except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
            raise ValueError(f"{text!r} is not a Python literal") from None

    def format(self, value: Any) -> str:
        return "" if value is None else repr(value)


class LinesKind(FieldKind):
    """A list of text items, typed comma-separated (engine options such as extra #SBATCH)."""

    name = "lines"
    pytype = list[str]

    def parse(self, text: str) -> Any:
        return [part.strip() for part in text.split(",") if part.strip()]

    def format(self, value: Any) -> str:
        return ", ".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value)


TEXT, OPTIONAL_TEXT, FILE, DIR = TextKind(), OptionalTextKind(), FileKind(), FolderKind()
INTEGER, NUMBER, SWITCH, LITERAL, LINES = (IntegerKind(), NumberKind(), SwitchKind(),
                                           LiteralKind(), LinesKind())
OPTIONAL_INTEGER = OptionalIntegerKind()

# The names the schema may declare (`kind="file"`), and what the JSON Schema calls a widget.
BY_NAME: dict[str, FieldKind] = {k.name: k for k in (TEXT, OPTIONAL_TEXT, FILE, DIR, INTEGER,
                                                     NUMBER, SWITCH, LITERAL, LINES,
                                                     OPTIONAL_INTEGER)}

_BY_INI_KIND: dict[IniKind, FieldKind] = {
    IniKind.BOOL: SWITCH, IniKind.NONE: OPTIONAL_TEXT, IniKind.INT: INTEGER,
    IniKind.FLOAT: NUMBER, IniKind.STR: TEXT, IniKind.PATH: DIR, IniKind.OTHER: LITERAL,
}


def for_ini_kind(kind: IniKind) -> FieldKind:
    """A fork's extra key: prefigure's typing of its INI text decides (`_dir` text is a folder)."""
    return _BY_INI_KIND[kind]


def for_annotation(annotation: Any) -> FieldKind:
    """A seed field with no declared kind: its Python type decides."""
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return ChoiceKind(tuple(m.value for m in annotation))
    if annotation is bool:
        return SWITCH
    if annotation is int:
        return INTEGER
    if annotation is float:
        return NUMBER
    if get_origin(annotation) is Literal:
        return ChoiceKind(tuple(str(a) for a in get_args(annotation)))
    if get_origin(annotation) in (Union, types.UnionType) and type(None) in get_args(annotation):
        return OPTIONAL_INTEGER if int in get_args(annotation) else OPTIONAL_TEXT
    if get_origin(annotation) is list:
        return LINES
    return TEXT

