"""Profile <-> TOML bytes.

TOML has no None and no tuples, so a profile file has two side tables:
`[none]` lists the value keys (`values = [...]`) and option paths
(`options = [["cluster", "account"], ...]`) that are None, and
`[literal_values]` holds, as Python literal text, values TOML cannot write
exactly (tuples, sets, None inside a list, very large integers...). Every
other value is plain TOML, so a hand edit of `[values]` does what it looks
like. Keys this version does not know are kept and written back.
"""

from __future__ import annotations

import ast
import math
from pathlib import Path
from typing import Any

import tomli_w

from satconf.fileerrors import shape_problem
from satconf.profiles.model import FORMAT_VERSION, Profile, ProfileError

HEADER = (
    f"# satconf profile (format {FORMAT_VERSION}). Hand edits are kept.\n"
    "# TOML has no None: keys listed under [none] are None. [literal_values] holds\n"
    "# Python literals (tuples, sets...) that TOML cannot write.\n"
)
# The keys and tables this format defines; anything else is kept as unknown.
TOP_KEYS = ("format", "name", "description", "created", "updated", "workspace", "launch",
            "values", "literal_values", "none")
LAUNCH_KEYS = ("python", "gpus", "options")
NONE_KEYS = ("values", "options")
_INT64 = 2**63


def render_profile(profile: Profile) -> bytes:
    """The TOML bytes of `profile`; raises ProfileError for a value TOML cannot hold."""
    problem = shape_problem(profile.values) or shape_problem(profile.options)
    if problem is not None:  # the reader would refuse the file: never write one it cannot read
        raise ProfileError(profile.path, None, f"cannot be saved: a value {problem}")
    values: dict[str, Any] = {}
    literals: dict[str, str] = {}
    none_keys: list[str] = []
    for key, value in profile.values.items():
        if not isinstance(key, str):
            raise ProfileError(profile.path, None, f"value key {key!r} is not text")
        if value is None:
            none_keys.append(key)
        elif toml_exact(value):
            values[key] = value
        else:
            literals[key] = _literal_text(key, value, profile.path)
    none_paths: list[list[str]] = []
    options = _split_options(profile.options, (), none_paths, profile.path)

    doc: dict[str, Any] = {"format": FORMAT_VERSION, "name": profile.name,
                           "description": profile.description,
                           "created": profile.created, "updated": profile.updated}
    if profile.workspace is not None:
        doc["workspace"] = profile.workspace
    unknown = dict(profile.unknown)
    launch: dict[str, Any] = {}
    if profile.python is not None:
        launch["python"] = profile.python
    if profile.gpus is not None:
        launch["gpus"] = list(profile.gpus)
    if options:
        launch["options"] = options
    _merge(launch, unknown.pop("launch", None))
    if launch:
        doc["launch"] = launch
    doc["values"] = values
    if literals:
        doc["literal_values"] = literals
    none: dict[str, Any] = {}
    if none_keys:
        none["values"] = none_keys
    if none_paths:
        none["options"] = none_paths
    _merge(none, unknown.pop("none", None))
    if none:
        doc["none"] = none
    for key, value in unknown.items():
        if key in TOP_KEYS:
            continue  # a clash with a known key cannot come from a file; never write two
        doc[key] = value
    try:
        return (HEADER + "\n" + tomli_w.dumps(doc)).encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start:exc.end]
        raise ProfileError(profile.path, None, f"holds text that is not valid Unicode "
                                               f"({bad!r})") from None
    except (TypeError, ValueError) as exc:
        raise ProfileError(profile.path, None, f"cannot be written as TOML: {exc}") from None


def _merge(table: dict[str, Any], extra: Any) -> None:
    if isinstance(extra, dict):
        for key, value in extra.items():
            table.setdefault(key, value)


def toml_exact(value: Any, *, tables: bool = False) -> bool:
    """Whether TOML gives back exactly this value, type and order included.

    A dict inside a value becomes a TOML table whose plain keys tomli-w moves
    ahead of its sub-tables, so values holding dicts go to [literal_values]
    unless `tables` (launch options, whose order does not matter).
    """
    kind = type(value)  # exact types: a str Enum or a numpy float would come back changed
    if kind is bool or kind is float:
        return True
    if kind is int:
        return -_INT64 <= value < _INT64
    if kind is str:
        return _utf8(value)
    if kind is list:
        return all(toml_exact(v, tables=tables) for v in value)
    if kind is dict and tables:
        return all(isinstance(k, str) and _utf8(k) and toml_exact(v, tables=True)
                   for k, v in value.items())
    return False


_toml_exact = toml_exact  # the name satconf.migrate imported first


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _literal_text(key: str, value: Any, path: Path | None) -> str:
    try:
        text = repr(value)
    except (ValueError, RecursionError):  # an integer past Python's digit limit; a deep value
        raise ProfileError(path, None, f"value of `{key}` ({type(value).__name__}) is too large "
                           "or too deep to write") from None
    try:
        back = ast.literal_eval(text)
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
        back = _NOT_SAME
    if not same_value(back, value):
        raise ProfileError(path, None, f"value of `{key}` ({type(value).__name__} {text[:60]}) "
                           "can be written neither as TOML nor as a Python literal")
    return text


_NOT_SAME = object()


def same_value(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down (1 != 1.0 != True); nan equals nan."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_value(a[k], b[k]) for k in a)
    return bool(a == b)


def _split_options(options: Any, prefix: tuple[str, ...], none_paths: list[list[str]],
                   path: Path | None) -> dict[str, Any]:
    """Options without their None leaves (recorded in `none_paths`)."""
    if not isinstance(options, dict):
        raise ProfileError(path, None, f"launch option {'.'.join(prefix)} must be a table")
    out: dict[str, Any] = {}
    for key, value in options.items():
        where = (*prefix, key)
        if not isinstance(key, str):
            raise ProfileError(path, None, f"launch option key {key!r} is not text")
        if value is None:
            none_paths.append(list(where))
        elif type(value) is dict:
            out[key] = _split_options(value, where, none_paths, path)
        elif toml_exact(value, tables=True):
            out[key] = value
        else:
            raise ProfileError(path, None, f"launch option {'.'.join(where)} "
                               f"({type(value).__name__}) cannot be written as TOML")
    return out
