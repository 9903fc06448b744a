"""Convert a defaults.ini to TOML (a satconf profile), YAML, a Hydra tree, and back.

    from satconf.migrate import migrate
    result = migrate("defaults.ini", "hydra", "out/")   # raises MigrateError / OutputExistsError
    for note in result.notes: print(note)               # values a target could not hold as is

Every conversion reads the source into a `Document` (keys in order, values,
INI kinds, help) and writes the target from it; see `model.py` for how kinds
make the way back to an INI lossless.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from satconf.atomic import atomic_write_text
from satconf.defaults_ini import SECTION, IniError, read_defaults_ini
from satconf.migrate import hydra, toml_io
from satconf.migrate import yaml_tree as yt
from satconf.migrate.ini_out import render_ini
from satconf.migrate.model import Document, Entry, MigrateError, Note, from_ini

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

FORMATS = ("toml", "yaml", "hydra", "ini")
STDOUT = Path("-")  # OUTPUT `-`: the text is returned (the CLI prints it), nothing is written
_SECTION = re.compile(r"^\[([^\]]+)\]", re.M)
_SUFFIXES = {".ini": "ini", ".cfg": "ini", ".yaml": "yaml", ".yml": "yaml", ".toml": "toml"}

__all__ = ["FORMATS", "Document", "Entry", "MigrateError", "MigrationResult", "Note",
           "OutputExistsError", "UsageProblem", "detect_format", "migrate", "read_source",
           "render"]


class OutputExistsError(MigrateError):
    """The output is there already and `force` was not given."""


class UsageProblem(MigrateError):
    """The request itself is wrong (an output path that cannot be of that format)."""


@dataclass
class MigrationResult:
    source: Path
    source_format: str
    target: str
    output: Path
    written: list[Path] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    text: str | None = None  # the output itself when OUTPUT is `-` (nothing written)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": str(self.source), "source_format": self.source_format,
            "target": self.target, "output": str(self.output),
            "written": [str(p) for p in self.written],
            "notes": [{"key": n.key, "reason": n.reason} for n in self.notes],
            **({"text": self.text} if self.text is not None else {}),
        }


def detect_format(path: Path) -> str:
    """`ini`, `yaml`, `hydra` or `toml`, by suffix, else by content; MigrateError otherwise."""
    if path.is_dir():
        if hydra.find_base(path) is None:
            raise MigrateError(path, None, f"is a folder without a Hydra tree "
                                           f"({hydra.TREE / hydra.BASE})")
        return "hydra"
    if not path.exists():
        raise MigrateError(path, None, "does not exist")
    fmt = _SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        fmt = _sniff(path)
    if fmt == "yaml" and _has_defaults_list(path):
        return "hydra"
    return fmt


def _sniff(path: Path) -> str:
    text = yt.read_text(path)
    if any(line.strip() == "[DEFAULTS]" for line in text.splitlines()):
        return "ini"
    try:
        if tomllib.loads(text):
            return "toml"
    except (tomllib.TOMLDecodeError, RecursionError, ValueError):
        pass  # a TOML too deep or with a huge integer is read again, and reported, as YAML
    try:
        if isinstance(yaml.load(text, Loader=yt.Loader), dict):
            return "yaml"
    except (yaml.YAMLError, RecursionError, ValueError):
        pass
    raise MigrateError(path, None, "is not a defaults.ini, YAML or TOML file that satconf can "
                                   "tell (name it .ini, .yaml or .toml, or pass a Hydra folder)")


def _has_defaults_list(path: Path) -> bool:
    try:
        data = yaml.load(yt.read_text(path), Loader=yt.Loader)
    except (yaml.YAMLError, RecursionError, ValueError):
        return False  # the YAML reader reports it with its line
    return isinstance(data, dict) and isinstance(data.get("defaults"), list)


def read_source(path: Path | str) -> tuple[str, Document]:
    path = Path(path)
    fmt = detect_format(path)
    if fmt == "ini":
        try:
            doc = from_ini(read_defaults_ini(path))
        except IniError as exc:
            raise MigrateError(exc.path, exc.line, exc.reason) from None
        for name in _other_sections(yt.read_text(path)):
            doc.note("", f"section [{name}] is not read by prefigure and is not migrated")
        return fmt, doc
    if fmt == "hydra":
        return fmt, hydra.read_tree(path)
    if fmt == "toml":
        return fmt, toml_io.read_toml(path)
    return fmt, yt.read_yaml(path)


def _other_sections(text: str) -> list[str]:
    names = (m.group(1).strip() for m in _SECTION.finditer(text))
    return [n for n in dict.fromkeys(names) if n != SECTION]


def render(doc: Document, to: str, output: Path, source: Path) -> dict[Path, str]:
    """The files of the target (relative to the Hydra folder for `hydra`, else {output: text})."""
    if to == "hydra":
        return hydra.tree_files(doc, source)
    if to == "yaml":
        return {output: yt.render_yaml(doc, source)}
    if to == "toml":
        return {output: toml_io.render_toml(doc, output, source)}
    if to == "ini":
        return {output: render_ini(doc, output)}
    raise UsageProblem(output, None, f"unknown format {to!r} (choose from {', '.join(FORMATS)})")


def migrate(source: Path | str, to: str, output: Path | str, *, force: bool = False
            ) -> MigrationResult:
    source, output = Path(source), Path(output)
    if to not in FORMATS:
        raise UsageProblem(output, None, f"unknown format {to!r} (choose from "
                                         f"{', '.join(FORMATS)})")
    _check_output(to, output, force)
    fmt, doc = read_source(source)
    files = render(doc, to, output, source)
    result = MigrationResult(source, fmt, to, output, notes=doc.notes)
    if to == "hydra":
        try:
            target = hydra.write_tree(files, output, force)
        except FileExistsError:
            raise _exists(output / hydra.TREE) from None
        except OSError as exc:
            raise MigrateError(output, None, f"cannot be written ({exc.strerror})") from None
        result.written = [target / rel for rel in files]
        return result
    if output == STDOUT:
        result.text = files[output]
        return result
    for path, text in files.items():
        try:
            atomic_write_text(path, text)
        except OSError as exc:
            raise MigrateError(path, None, f"cannot be written ({exc.strerror}); "
                                           "nothing was changed") from None
        result.written.append(path)
    return result


def _exists(path: Path) -> OutputExistsError:
    return OutputExistsError(path, None, "exists already; pass --force to replace it")


def _check_output(to: str, output: Path, force: bool) -> None:
    if output == STDOUT:
        if to == "hydra":
            raise UsageProblem(output, None, "a Hydra tree is several files; name a folder")
        return
    if to == "hydra":
        if output.suffix.lower() in (".yaml", ".yml"):
            raise UsageProblem(output, None, "a Hydra tree is written into a folder; "
                                             "name a folder, not a .yaml file")
        if output.exists() and not output.is_dir():
            raise MigrateError(output, None, "is a file; a Hydra tree needs a folder")
        if (output / hydra.TREE).exists() and not force:
            raise _exists(output / hydra.TREE)
        return
    if output.is_dir():
        raise MigrateError(output, None, "is a folder; name the file to write")
    if output.exists() and not force:
        raise _exists(output)
