"""Config values -> the exact command line train.py's prefigure parses back to them.

Every flag is written as `--flag=value`, so values that start with `-` are
not taken for options. A flag is passed only where prefigure's own default
(typed from the INI) differs from the wanted value, except `--name`, which
prefigure 0.0.9 never reads from the INI and so is always passed.
Where prefigure cannot express a value (a string for a key whose INI default
is an int, False for a key typed str...) the result is an error that names
the INI line to change, never a silently different run.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from satconf.defaults_ini import IniEntry, Kind
from satconf.fields import Errors, FieldSet, FieldSpec, Values


class PlanError(Exception):
    """Values that cannot become a command line, by key."""

    def __init__(self, problems: Errors) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{k}: {m}" for k, ms in problems.items() for m in ms))


@dataclass(frozen=True)
class LaunchPlan:
    argv: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)  # what satconf adds to the environment
    cwd: str = "."

    def to_json(self) -> dict[str, Any]:
        return {"argv": list(self.argv), "env": dict(self.env), "cwd": self.cwd}

    def shell(self) -> str:
        """One line a user could paste into a shell to do the same."""
        env = " ".join(f"{k}={shlex.quote(v)}" for k, v in self.env.items())
        cmd = shlex.join(self.argv)
        return f"cd {shlex.quote(self.cwd)} && " + (f"{env} {cmd}" if env else cmd)


class _Inexpressible(Exception):
    pass


def _ini_hint(entry: IniEntry) -> str:
    return f"defaults.ini line {entry.line} has `{entry.key} = {entry.text}`"


def _same(a: Any, b: Any) -> bool:
    # No INI literal is NaN (literal_eval has no `nan`), so NaN never needs to equal itself.
    return (type(a) is type(b) and a == b) or (
        isinstance(a, (int, float)) and isinstance(b, (int, float))
        and not isinstance(a, bool) and not isinstance(b, bool) and a == b
    )


def encode_flag(spec: FieldSpec, value: Any) -> list[str]:
    """The argv items for one field (possibly none); raises _Inexpressible."""
    entry = spec.ini
    if spec.key == "name":
        # 0.0.9 registers --name itself (str, default None) and skips the INI key.
        if not isinstance(value, str):
            raise _Inexpressible("the run name must be text")
        return [_text_flag("--name", value)]
    if entry is None or not entry.registered:
        if _same(value, spec.default):
            return []
        if entry is None:
            raise _Inexpressible(
                f"defaults.ini has no `{spec.key}` key, so train.py has no {spec.flag} flag; "
                "add the key to defaults.ini to set it"
            )
        raise _Inexpressible(
            f"prefigure stops reading defaults.ini at a `wandb_config`/`config_file` key, "
            f"so {spec.flag} (line {entry.line}) does not exist; move that key to the end"
        )
    return ENCODERS[entry.kind].encode(spec.flag, entry, value)


def _text_flag(flag: str, text: str) -> str:
    if text == "--":
        # argparse (Python 3.11, for one) takes `--flag=--` for the end-of-options marker
        # and gives train.py an empty list instead of the text.
        raise _Inexpressible(f"argparse cannot pass the text `--` to {flag}; write another value")
    return f"{flag}={text}"


class FlagEncoder:
    """How one prefigure flag type carries a value: decided by the INI line, not the field."""

    def encode(self, flag: str, entry: IniEntry, value: Any) -> list[str]:
        if _same(value, entry.value):
            return []
        raise _Inexpressible(
            f"{_ini_hint(entry)} (a {type(entry.value).__name__}); argparse cannot pass a new "
            "value for it, so change it in defaults.ini"
        )


class SwitchFlag(FlagEncoder):
    """`key = True/False`: a bare switch, present means True, absent False."""

    def encode(self, flag: str, entry: IniEntry, value: Any) -> list[str]:
        if not isinstance(value, bool):
            raise _Inexpressible(f"{_ini_hint(entry)} (a True/False switch); the value must be "
                                 "true or false")
        return [flag] if value else []


class NoneFlag(FlagEncoder):
    """`key = None`: a text flag whose default is None."""

    def encode(self, flag: str, entry: IniEntry, value: Any) -> list[str]:
        if value is None:
            return []
        if isinstance(value, str):
            return [_text_flag(flag, value)]
        raise _Inexpressible(f"{_ini_hint(entry)}, so {flag} only takes text")


@dataclass(frozen=True)
class NumberFlag(FlagEncoder):
    typ: type
    what: str  # the words for the type, in messages

    def encode(self, flag: str, entry: IniEntry, value: Any) -> list[str]:
        number = _as_number(value, self.typ)
        if number is None:
            raise _Inexpressible(
                f"{_ini_hint(entry)} ({self.what}), so {flag} only takes {self.what}; "
                f"quote the value on that line (`{entry.key} = \"{entry.text}\"`) to allow text"
            )
        return [] if _same(number, entry.value) else [f"{flag}={number!r}"]


class TextFlag(FlagEncoder):
    def encode(self, flag: str, entry: IniEntry, value: Any) -> list[str]:
        text = _as_text(value)
        return [] if text == entry.value else [_text_flag(flag, text)]


class PathFlag(FlagEncoder):
    """A value holding `_dir`: prefigure makes it a Path, keeping any quotes of the INI."""

    def encode(self, flag: str, entry: IniEntry, value: Any) -> list[str]:
        text = _as_text(value)
        if text == "":
            raise _Inexpressible(
                f"{_ini_hint(entry)}; prefigure turns any {flag} value into a path, "
                "so it cannot be empty"
            )
        # Always passed: prefigure's own default keeps the INI's quotes in the path.
        return [_text_flag(flag, text)]


ENCODERS: dict[Kind, FlagEncoder] = {
    Kind.BOOL: SwitchFlag(), Kind.NONE: NoneFlag(),
    Kind.INT: NumberFlag(int, "a whole number"), Kind.FLOAT: NumberFlag(float, "a number"),
    Kind.STR: TextFlag(), Kind.PATH: PathFlag(), Kind.OTHER: FlagEncoder(),
}


def _as_number(value: Any, typ: type) -> int | float | None:
    if isinstance(value, bool):
        return None
    if typ is int:
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                return None
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"  # the INI's own lowercase convention
    if isinstance(value, PurePath):
        return str(value)
    return value if isinstance(value, str) else str(value)


def encode_flags(fields: FieldSet, values: Values) -> tuple[list[str], Errors]:
    flags: list[str] = []
    errors: Errors = {}
    for spec in fields:
        value = values.get(spec.key, spec.default)
        try:
            flags.extend(encode_flag(spec, value))
        except _Inexpressible as exc:
            errors.setdefault(spec.key, []).append(str(exc))
    return flags, errors


def gpu_env(gpus: list[int] | None) -> dict[str, str]:
    """train.py uses every visible GPU, so the selection is CUDA_VISIBLE_DEVICES."""
    if gpus is None:
        return {}
    return {"CUDA_VISIBLE_DEVICES": ",".join(str(g) for g in gpus)}


def plan_from_flags(flags: tuple[str, ...], *, python: str, train_py: Path, cwd: Path,
                    config_file: Path | None = None,
                    gpus: list[int] | None = None) -> LaunchPlan:
    """The command around already encoded flags (`RunConfig.plan` encodes them once)."""
    head: list[str] = [python, _relative(train_py, cwd)]
    if config_file is not None and config_file.resolve() != (cwd / "defaults.ini").resolve():
        head.append(f"--config-file={config_file}")
    env = {"PYTHONUNBUFFERED": "1", **gpu_env(gpus)}
    return LaunchPlan(argv=(*head, *flags), env=env, cwd=str(cwd))


def _relative(path: Path, cwd: Path) -> str:
    try:
        return str(path.resolve().relative_to(cwd.resolve()))
    except ValueError:
        return str(path)
