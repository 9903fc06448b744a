"""The seed's Hydra layout: `config/training/base.yaml` plus `strategy/` and `logger/` groups.

base.yaml's defaults list selects the INI's strategy and logger; `_self_`
comes first, so a group (and a `strategy=deepspeed` override) sets those keys
and base.yaml holds everything else. Group files are `# @package _global_`
so their key lands at the top of the composed config, as in the INI.

The group options come from the schema's enums: every logger, and the
strategies the seed names (plus the INI's own when it is another one). Reading
a tree back composes it the way Hydra does, without needing hydra-core.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from satconf.atomic import atomic_write_text
from satconf.migrate import yaml_tree as yt
from satconf.migrate.model import Document, Entry, MigrateError, apply_kinds, meta_kinds
from satconf.schema import LoggerType, StrategyType

TREE = Path("config", "training")
BASE = "base.yaml"
GLOBAL = "# @package _global_"
RESERVED = ("defaults", "hydra")  # keys Hydra itself owns
SELF = "_self_"
_OPTION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_PACKAGE_GLOBAL = re.compile(r"^#\s*@package\s+_global_\s*$", re.M)


@dataclass(frozen=True)
class Group:
    key: str  # the config key the group sets; also the group's folder
    options: tuple[Any, ...]  # the values written as option files
    known: frozenset[Any]  # every value the schema's enum allows

    def option_name(self, value: Any) -> str | None:
        if value is None and self.key == "logger":
            return LoggerType.NONE.value  # the seed's `logger/none.yaml` holds null
        if isinstance(value, str) and _OPTION.match(value):
            return value
        return None


GROUPS = (
    Group("strategy", (StrategyType.AUTO.value, StrategyType.DDP.value,
                       StrategyType.DEEPSPEED.value),
          frozenset(m.value for m in StrategyType)),
    # The seed's none.yaml means "no logger": null, as `logger = None` in an INI.
    Group("logger", tuple(None if m is LoggerType.NONE else m.value for m in LoggerType),
          frozenset({None, *(m.value for m in LoggerType)})),
)


def tree_files(doc: Document, source: Path) -> dict[Path, str]:
    """Relative path -> text of every file of the tree."""
    doc = yt.prepare(doc)
    for key in RESERVED:
        if doc.get(key) is not None:
            raise MigrateError(source, None, f"the key `{key}` is reserved by Hydra; "
                                             "this INI cannot become a Hydra tree")
    for e in doc.entries:
        if isinstance(e.value, str) and "${" in e.value:
            doc.note(e.key, "Hydra (OmegaConf) reads `${...}` in this text as an interpolation")
    files: dict[Path, str] = {}
    defaults: list[str] = [SELF]
    grouped: set[str] = set()
    for group in GROUPS:
        entry = doc.get(group.key)
        if entry is None:
            continue
        chosen = group.option_name(entry.value)
        if chosen is None:
            doc.note(entry.key, f"{entry.value!r} cannot name a Hydra option file; "
                                f"kept in {BASE} without a `{group.key}` group")
            continue
        options: dict[str, Any] = {}
        for value in group.options:
            name = group.option_name(value)
            if name is not None:
                options[name] = value
        options[chosen] = entry.value  # the INI's own value, exactly ("none" or None alike)
        if entry.value not in group.known:
            doc.note(entry.key, f"{entry.value!r} is not a {group.key} the schema knows; "
                                "its option file is written all the same")
        for name, value in options.items():
            body = yt.body_lines([Entry(group.key, value, entry.kind, entry.help)])
            files[Path(group.key, f"{name}.yaml")] = "\n".join([GLOBAL, "", *body])
        defaults.append(f"{group.key}: {yt.dump_flow(chosen)}")
        grouped.add(group.key)
    kinds = meta_kinds(doc)
    meta: dict[str, Any] = {"order": doc.keys()}
    if kinds:
        meta["kinds"] = kinds
    head = [yt.header(source), *yt.meta_line(meta), "", "defaults:"]
    head += [f"  - {item}" for item in defaults] + [""]
    rest = [e for e in doc.entries if e.key not in grouped]
    files[Path(BASE)] = "\n".join(head + yt.body_lines(rest))
    return files


def write_tree(files: dict[Path, str], root: Path, force: bool) -> Path:
    """Write the tree under `root/config/training`, all at once where it is new."""
    target = root / TREE
    if target.exists() and not force:
        raise FileExistsError(target)
    if target.exists():
        for rel, text in files.items():
            atomic_write_text(target / rel, text)
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".training.", dir=target.parent))
    try:
        for rel, text in files.items():
            atomic_write_text(staging / rel, text)
        os.chmod(staging, 0o755)
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


# -- reading --------------------------------------------------------------------------


def find_base(path: Path) -> Path | None:
    """base.yaml of a tree given as its root folder, its training folder, or the file."""
    for candidate in (path / TREE / BASE, path / BASE, path):
        if candidate.is_file() and candidate.name == BASE:
            return candidate
    return None


def _defaults_list(base: Path, data: dict[str, Any], line: int | None) -> list[tuple[str, Any]]:
    items = data.get("defaults", [])
    if not isinstance(items, list):
        raise MigrateError(base, line, "`defaults` is not a list")
    out: list[tuple[str, Any]] = []
    for item in items:
        if item == SELF:
            out.append((SELF, None))
        elif isinstance(item, dict) and len(item) == 1:
            (group, option), = item.items()
            group = str(group).removeprefix("optional ").strip()
            if group.startswith(("override ", "/")) or "@" in group:
                raise MigrateError(base, line, f"defaults entry {item!r} is not supported")
            out.append((group, option))
        else:
            raise MigrateError(base, line, f"defaults entry {item!r} is not supported")
    if all(group != SELF for group, _ in out):
        out.append((SELF, None))  # Hydra's own rule: the primary config comes last
    return out


def _group_file(base: Path, group: str, option: Any, line: int | None) -> Path:
    """The option's file, which must lie inside the tree (no `..`, no absolute path)."""
    if not isinstance(option, str | int | float | bool):
        raise MigrateError(base, line, f"defaults entry {group}: {option!r} is not an option name")
    option = str(option)
    parts = [*group.split("/"), *option.split("/")]
    if any(part in ("", ".", "..") for part in parts) or "\\" in group + option:
        raise MigrateError(base, line, f"defaults entry {group}: {option} leaves the config "
                                       "folder; only names inside it are read")
    root = base.parent.resolve()
    file = base.parent / group / f"{option}.yaml"
    if not file.resolve().is_relative_to(root):
        raise MigrateError(base, line, f"defaults entry {group}: {option} leads outside "
                                       f"{root} (a symbolic link?); only files inside it are read")
    return file


def _merged(old: Any, new: Any) -> Any:
    """OmegaConf's merge: mappings merge key by key, anything else is replaced."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = dict(old)
        for key, value in new.items():
            out[key] = _merged(out[key], value) if key in out else value
        return out
    return new


def read_tree(path: Path) -> Document:
    """Compose a tree as Hydra would (no overrides) into a document."""
    base = find_base(path)
    if base is None:
        raise MigrateError(path, None, f"is not a Hydra tree (no {TREE / BASE} in it)")
    text = yt.read_text(base)
    data, lines = yt.load_mapping(base, text)
    meta = yt.read_meta(base, text)
    composed: dict[str, Entry] = {}
    src = yt.lines_of(text)
    for group, option in _defaults_list(base, data, lines.get("defaults")):
        if group == SELF:
            for key, value in data.items():
                if key != "defaults":
                    if key in composed:
                        value = _merged(composed[key].value, value)
                    composed[key] = Entry(key, value, "", yt.help_above(src, lines[key]))
            continue
        if option is None:
            continue
        file = _group_file(base, group, option, lines.get("defaults"))
        gtext = yt.read_text(file)
        gdata, glines = yt.load_mapping(file, gtext)
        if not _PACKAGE_GLOBAL.search(gtext):
            # Hydra nests a group without `_global_` under the group's name.
            gdata, glines = {group: gdata}, {group: 0}
        gsrc = yt.lines_of(gtext)
        for key, value in gdata.items():
            if key in composed:
                value = _merged(composed[key].value, value)
            composed[key] = Entry(key, value, "", yt.help_above(gsrc, glines[key]))
    order = [k for k in meta.get("order", []) if k in composed]
    order += [k for k in composed if k not in order]
    doc = Document(entries=[composed[k] for k in order])
    apply_kinds(doc, meta.get("kinds", {}), base)
    return doc
