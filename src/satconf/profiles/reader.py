"""TOML bytes -> Profile, checking the structure and saying where a problem is.

The layout is described in `codec` (the writer).
"""

from __future__ import annotations

import ast
import re
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from satconf.fileerrors import MAX_FILE_BYTES, decode_text, shape_problem
from satconf.profiles.codec import LAUNCH_KEYS, NONE_KEYS, TOP_KEYS
from satconf.profiles.model import FORMAT_VERSION, Profile, ProfileError, validate_name

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_AT_END = re.compile(r"\s*\(at end of document\)\s*$")


def parse_profile(data: bytes, path: Path | str | None, *, name: str | None = None) -> Profile:
    """A profile from TOML bytes; `name` (the file's name in the store) wins over the text's.

    Raises ProfileError naming the file, the line where known, and the reason.
    """
    path = Path(path) if path is not None else None
    if len(data) > MAX_FILE_BYTES:
        raise ProfileError(path, None, f"is too large ({len(data):,} bytes; the limit is "
                                       f"{MAX_FILE_BYTES:,})")
    text = decode_text(data, path, ProfileError, "a TOML profile")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(exc, text, path) from None
    except RecursionError:
        raise ProfileError(path, None, "is not a usable profile: it is nested too deeply") from None
    except ValueError as exc:  # an integer longer than Python turns into a number
        reason = "holds an integer too long to read" if "digits" in str(exc) else str(exc)
        raise ProfileError(path, None, f"is not a usable profile: it {reason}") from None
    problem = shape_problem(doc)
    if problem is not None:
        raise ProfileError(path, None, f"is not a usable profile: it {problem}")
    return _Reader(doc, text, path).profile(name)


def _toml_error(exc: Exception, text: str, path: Path | None) -> ProfileError:
    msg = str(exc).strip()
    m = _AT.search(msg)
    if m:
        reason = _AT.sub("", msg)
        return ProfileError(path, int(m.group(1)), f"is not valid TOML: {reason} "
                                                   f"(column {m.group(2)})")
    if _AT_END.search(msg):
        reason = _AT_END.sub("", msg)
        last = max(1, text.count("\n") + (0 if text.endswith("\n") else 1))
        return ProfileError(path, last, f"is not valid TOML: {reason} at the end of the file "
                                        "(is it cut short?)")
    return ProfileError(path, None, f"is not valid TOML: {msg}")


def _type_name(value: Any) -> str:
    return {bool: "true/false", int: "a whole number", float: "a number", str: "text",
            list: "a list", dict: "a table"}.get(type(value), type(value).__name__)


class _Reader:
    """Checks a parsed document's structure, with line numbers for its complaints."""

    def __init__(self, doc: dict[str, Any], text: str, path: Path | None) -> None:
        self.doc = doc
        self.lines = text.splitlines()
        self.path = path
        self.warnings: list[str] = []

    def fail(self, table: tuple[str, ...], key: str | None, reason: str) -> ProfileError:
        return ProfileError(self.path, line_of(self.lines, table, key), reason)

    def warn(self, table: tuple[str, ...], key: str, reason: str) -> None:
        line = line_of(self.lines, table, key)
        where = f"{self.path}:{line}" if line else str(self.path or "profile")
        self.warnings.append(f"{where}: {reason}")

    def profile(self, name: str | None) -> Profile:
        doc = self.doc
        if "format" not in doc:
            raise ProfileError(self.path, None,
                               "has no `format` key, so it is not a satconf profile")
        version = doc["format"]
        if type(version) is not int:
            raise self.fail((), "format", f"`format` must be a whole number, "
                                          f"not {_type_name(version)}")
        if version > FORMAT_VERSION:
            raise self.fail((), "format", f"was written by a newer satconf (profile format "
                                          f"{version}; this satconf reads format "
                                          f"{FORMAT_VERSION}); upgrade satconf to use it")
        if version < 1:
            raise self.fail((), "format", f"has an unknown profile format {version}")
        text_name = self.opt_str((), "name", doc)
        if name is None:
            if text_name is None:
                raise ProfileError(self.path, None, "has no `name`")
            try:
                name = validate_name(text_name)
            except ProfileError as exc:
                raise self.fail((), "name", exc.reason) from None
        elif text_name is not None and text_name != name:
            self.warn((), "name", f"says name = {text_name!r}; the file name {name!r} is used")
        prof = Profile(
            name=name,
            description=self.opt_str((), "description", doc) or "",
            created=self.when("created"),
            updated=self.when("updated"),
            workspace=self.opt_str((), "workspace", doc),
            path=self.path,
        )
        self.launch(prof)
        for key, text in (("workspace", prof.workspace), ("launch.python", prof.python)):
            if text is not None and "\x00" in text:
                raise self.fail(() if key == "workspace" else ("launch",), key.split(".")[-1],
                                f"`{key}` holds a NUL character, which no path can")
        self.values(prof)
        problem = shape_problem(prof.values)  # [literal_values] text may hold anything
        if problem is not None:
            raise ProfileError(self.path, None, f"is not a usable profile: a value {problem}")
        for key, value in doc.items():
            if key not in TOP_KEYS:
                prof.unknown[key] = value
                self.warn((), key, f"unknown key `{key}` kept as is")
        prof.warnings = self.warnings
        return prof

    def opt_str(self, table: tuple[str, ...], key: str, where: dict[str, Any]) -> str | None:
        value = where.get(key)
        if value is None or isinstance(value, str):
            return value
        dotted = ".".join((*table, key))
        raise self.fail(table, key, f"`{dotted}` must be text, not {_type_name(value)}")

    def table(self, table: tuple[str, ...], key: str, where: dict[str, Any]) -> dict[str, Any]:
        value = where.get(key, {})
        if not isinstance(value, dict):
            dotted = ".".join((*table, key))
            raise self.fail(table, key, f"`{dotted}` must be a table, not {_type_name(value)}")
        return value

    def when(self, key: str) -> datetime:
        value = self.doc.get(key)
        if value is None:
            mtime = self.path.stat().st_mtime if self.path and self.path.exists() else None
            stamp = datetime.fromtimestamp(mtime, timezone.utc) if mtime else datetime.now(
                timezone.utc)
            return stamp.replace(microsecond=0)
        if not isinstance(value, datetime):
            raise self.fail((), key, f"`{key}` must be a date and time "
                                     f"(e.g. 2025-01-31T12:00:00Z), not {_type_name(value)}")
        return value

    def launch(self, prof: Profile) -> None:
        launch = self.table((), "launch", self.doc)
        prof.python = self.opt_str(("launch",), "python", launch)
        if "gpus" in launch:
            gpus = launch["gpus"]
            if not (isinstance(gpus, list)
                    and all(type(g) is int and g >= 0 for g in gpus)):
                raise self.fail(("launch",), "gpus", "`launch.gpus` must be a list of GPU "
                                                     "indices such as [0, 1], not "
                                                     f"{gpus!r}")
            prof.gpus = list(gpus)
        prof.options = self.table(("launch",), "options", launch)
        extra = {k: v for k, v in launch.items() if k not in LAUNCH_KEYS}
        for key in extra:
            self.warn(("launch",), key, f"unknown key `launch.{key}` kept as is")
        if extra:
            prof.unknown["launch"] = extra

    def values(self, prof: Profile) -> None:
        values = dict(self.table((), "values", self.doc))
        literals = self.table((), "literal_values", self.doc)
        none = self.table((), "none", self.doc)
        for key, text in literals.items():
            if not isinstance(text, str):
                raise self.fail(("literal_values",), key, f"`literal_values.{key}` must be a "
                                f"Python literal written as text, not {_type_name(text)}")
            try:
                value = ast.literal_eval(text)
            except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
                raise self.fail(("literal_values",), key, f"`literal_values.{key}` is not a "
                                f"Python literal: {text[:60]!r}") from None
            if key in values:
                raise self.fail(("literal_values",), key, f"`{key}` is set in both [values] "
                                "and [literal_values]")
            values[key] = value
        none_keys = none.get("values", [])
        if not (isinstance(none_keys, list) and all(isinstance(k, str) for k in none_keys)):
            raise self.fail(("none",), "values", "`none.values` must be a list of keys")
        for key in none_keys:
            if key in values:
                raise self.fail(("none",), "values", f"`{key}` is listed in [none] and also "
                                                     "has a value")
            values[key] = None
        paths = none.get("options", [])
        if not (isinstance(paths, list) and all(
                isinstance(p, list) and p and all(isinstance(k, str) for k in p)
                for p in paths)):
            raise self.fail(("none",), "options", "`none.options` must be a list of key paths "
                                                  "such as [[\"cluster\", \"account\"]]")
        for key_path in paths:
            _set_none(prof.options, key_path)
        prof.values = values
        extra = {k: v for k, v in none.items() if k not in NONE_KEYS}
        for key in extra:
            self.warn(("none",), key, f"unknown key `none.{key}` kept as is")
        if extra:
            prof.unknown["none"] = extra


def _set_none(options: dict[str, Any], key_path: list[str]) -> None:
    table = options
    for part in key_path[:-1]:
        nxt = table.setdefault(part, {})
        if not isinstance(nxt, dict):
            return  # a path through a plain value: the value wins, nothing to mark
        table = nxt
    table.setdefault(key_path[-1], None)


_HEADER_LINE = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


def line_of(lines: list[str], table: tuple[str, ...], key: str | None) -> int | None:
    """1-based line of `key` inside `[table]` (or of the header when key is None)."""
    current: tuple[str, ...] = ()
    want_keys = {key, f'"{key}"', f"'{key}'"} if key is not None else set()
    for number, line in enumerate(lines, start=1):
        head = _HEADER_LINE.match(line)
        if head:
            current = tuple(p.strip().strip("\"'") for p in head.group(1).split("."))
            if key is None and current == table:
                return number
            continue
        if key is None or current != table:
            continue
        left, sep, _ = line.partition("=")
        if sep and left.strip() in want_keys:
            return number
    return None
