"""Read and write a defaults.ini exactly as prefigure reads it.

prefigure (0.0.9, pinned by stable-audio-tools, and 0.0.10) reads the
`[DEFAULTS]` section with `configparser` (case kept, basic interpolation),
then types each value: a value whose text contains `_dir` becomes a `Path`
(quotes kept), anything else goes through `ast.literal_eval`, falling back to
the raw text. Registration of flags stops at a `wandb_config` or
`config_file` key. This module reproduces that typing and records, for each
key, the line it sits on and the comment above it (its help text).
"""

from __future__ import annotations

import ast
import configparser
import math
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path, PurePath
from typing import Any

from satconf.fileerrors import FileProblem, read_text

SECTION = "DEFAULTS"
STOP_KEYS = ("wandb_config", "config_file")


class Kind(str, Enum):
    """How prefigure types a key's flag, decided by the INI text."""

    BOOL = "bool"  # Python True/False: a bare flag, omitted means False
    NONE = "none"  # None: a str flag whose default is None
    INT = "int"
    FLOAT = "float"
    STR = "str"
    PATH = "path"  # the text contains `_dir`: Path(text), quotes kept
    OTHER = "other"  # list, dict, tuple...: argparse cannot take a new value


class IniError(FileProblem):
    """A defaults.ini that prefigure could not read, with where and why."""


@dataclass(frozen=True)
class IniEntry:
    key: str
    text: str  # the value as configparser returns it
    value: Any  # the value as prefigure types it (its argparse default)
    kind: Kind
    line: int  # 1-based line of `key = ...`
    help: str
    registered: bool  # False for keys at or after a wandb_config/config_file stop

    @property
    def intended(self) -> Any:
        """The value the user meant: for a `_dir` text, without prefigure's quotes."""
        if self.kind is Kind.PATH:
            try:
                lit = ast.literal_eval(self.text)
            except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
                return self.text
            return lit if isinstance(lit, str) else self.text
        return self.value


@dataclass(frozen=True)
class DefaultsIni:
    path: Path
    entries: dict[str, IniEntry] = field(default_factory=dict)
    stop_key: str | None = None  # the key that stopped prefigure's registration

    def __contains__(self, key: object) -> bool:
        return key in self.entries

    def get(self, key: str) -> IniEntry | None:
        return self.entries.get(key)



def _unrepr(line: str) -> str:
    """configparser reports a bad line as its repr(); give back the line as written."""
    import ast

    try:
        value = ast.literal_eval(line)
    except (ValueError, SyntaxError):
        return line
    return value if isinstance(value, str) else line

def prefigure_value(text: str) -> tuple[Any, Kind]:
    """Type one INI value exactly as prefigure's `setup_args` does."""
    if "_dir" in text:
        return Path(text), Kind.PATH
    try:
        val = ast.literal_eval(text)
    except (SyntaxError, ValueError, AssertionError):
        return text, Kind.STR
    except (TypeError, MemoryError, RecursionError):
        # prefigure would crash here; the text is the closest honest value.
        return text, Kind.STR
    return val, _kind_of(val)


def _kind_of(val: Any) -> Kind:
    if val is None:
        return Kind.NONE
    if isinstance(val, bool):
        return Kind.BOOL
    if isinstance(val, int):
        return Kind.INT
    if isinstance(val, float):
        return Kind.FLOAT
    if isinstance(val, str):
        return Kind.STR
    if isinstance(val, PurePath):
        return Kind.PATH
    return Kind.OTHER




def read_defaults_ini(path: Path | str) -> DefaultsIni:
    path = Path(path)
    return parse_defaults_ini(read_text(path, IniError, "an INI text"), path)


def parse_defaults_ini(text: str, path: Path | str = "defaults.ini") -> DefaultsIni:
    path = Path(path)
    parser = configparser.ConfigParser()
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # prefigure keeps case
    try:
        parser.read_string(text)  # the errors below name the path themselves
    except configparser.MissingSectionHeaderError as exc:
        raise IniError(path, exc.lineno, "has a key before any [section] header") from None
    except configparser.DuplicateOptionError as exc:
        raise IniError(path, exc.lineno, f"sets `{exc.option}` twice in [{exc.section}]") from None
    except configparser.DuplicateSectionError as exc:
        raise IniError(path, exc.lineno, f"has the section [{exc.section}] twice") from None
    except configparser.ParsingError as exc:
        lineno, line = exc.errors[0]
        raise IniError(path, lineno, "cannot be parsed (not `key = value`): "
                                     f"{_unrepr(line).strip()}") from None
    except configparser.Error as exc:
        raise IniError(path, None, exc.message) from None
    if not parser.has_section(SECTION):
        raise IniError(path, None, f"has no [{SECTION}] section (prefigure reads only that one)")

    # Split on "\n" only, as configparser does: splitlines() would also split on
    # characters such as \x85 inside a value and shift every later line number.
    lines = text.split("\n")
    where = _key_lines(lines)
    entries: dict[str, IniEntry] = {}
    stop_key: str | None = None
    # prefigure walks dict(items("DEFAULTS")): the keys of configparser's [DEFAULT] first
    # (every section inherits them), then the section's own; the stop key ends that walk.
    for key in dict(parser.items(SECTION, raw=True)):
        line = where.get(key, 0)
        try:
            value_text = parser.get(SECTION, key)
        except configparser.InterpolationError as exc:
            reason = f"`{key}`: {exc.message.splitlines()[0]} (write %% for a literal %)"
            raise IniError(path, line or None, reason) from None
        if stop_key is None and key in STOP_KEYS:
            stop_key = key
        value, kind = prefigure_value(value_text)
        entries[key] = IniEntry(
            key=key,
            text=value_text,
            value=value,
            kind=kind,
            line=line,
            help=_help_above(lines, line),
            registered=stop_key is None,
        )
    return DefaultsIni(path=path, entries=entries, stop_key=stop_key)


def _key_lines(lines: list[str]) -> dict[str, int]:
    """1-based line of each key in [DEFAULTS], else in the [DEFAULT] it inherits from
    (configparser does not say): configparser's own reading of headers, keys and indented
    continuation lines, redone with its own patterns."""
    found: dict[str, int] = {}
    inherited: dict[str, int] = {}
    section: str | None = None
    value_open = False  # the last key's value may go on, on lines indented deeper
    indent = 0
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith(("#", ";")):
            continue  # neither ends a value: configparser keeps empty lines in values
        level = len(line) - len(line.lstrip())
        if value_open and level > indent:
            continue  # a continuation line of that value
        indent = level
        head = configparser.ConfigParser.SECTCRE.match(text)
        if head:
            section, value_open = head.group("header"), False
            continue
        m = configparser.ConfigParser.OPTCRE.match(text)
        value_open = m is not None
        if m and section in (SECTION, configparser.DEFAULTSECT):
            into = found if section == SECTION else inherited
            into.setdefault(m.group("option"), number)  # OPTCRE leaves no spaces around
    return {**inherited, **found}


def _help_above(lines: list[str], line: int) -> str:
    """The comment lines directly above a key, joined."""
    out: list[str] = []
    i = line - 2
    while i >= 0 and lines[i].lstrip().startswith(("#", ";")):
        out.append(lines[i].lstrip().lstrip("#;").strip())
        i -= 1
    return " ".join(reversed([o for o in out if o]))


def format_value(value: Any, kind: Kind | None = None) -> str:
    """INI text that prefigure reads back as `value` (of the given kind)."""
    if kind is Kind.PATH and isinstance(value, str):
        return value.replace("%", "%%")  # prefigure keeps `_dir` texts as they are
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, PurePath):
        return str(value)
    if kind is Kind.STR and isinstance(value, bool):
        return "true" if value else "false"  # the INI's own lowercase convention
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, float) and math.isinf(value):
        return "1e999" if value > 0 else "-1e999"  # literal_eval has no `inf`
    return repr(value).replace("%", "%%")  # lists and dicts may hold text with `%`


def _quote(text: str) -> str:
    # repr() gives a Python literal that literal_eval reads back exactly; the
    # `%` doubling survives configparser's interpolation.
    return repr(text).replace("%", "%%")


def render_defaults_ini(values: dict[str, Any], helps: dict[str, str] | None = None,
                        kinds: dict[str, Kind] | None = None) -> str:
    """A `[DEFAULTS]` INI text whose keys prefigure reads back as `values`."""
    helps = helps or {}
    kinds = kinds or {}
    out = ["[DEFAULTS]", ""]
    for key, value in values.items():
        for help_line in _wrap_help(helps.get(key, "")):
            out.append(f"# {help_line}")
        text = format_value(value, kinds.get(key))
        out.append(f"{key} = {_indent_continuations(text)}")
        out.append("")
    return "\n".join(out)


def _wrap_help(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _indent_continuations(text: str) -> str:
    # A newline inside a value must continue on an indented line.
    return text.replace("\n", "\n    ")
