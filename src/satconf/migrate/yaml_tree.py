"""One-file YAML: the INI's keys in order, help text as comments above each key.

PyYAML drops comments, so the text is written here line by line (each value
through PyYAML's emitter, strings always double-quoted so `"16-mixed"` or
`"true"` stay strings) and comments are read back by scanning the lines above
each top-level key. Values are read with OmegaConf's rules (`1e-5` is a float,
dates stay strings), so satconf and Hydra see the same values.

A line `# satconf:ini {...}` (JSON) records what the values alone do not say
for a lossless way back to the INI: the kinds that differ from the natural
ones, and for a Hydra tree the INI's key order.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import yaml

from satconf import fileerrors
from satconf.migrate.model import (
    Document,
    Entry,
    MigrateError,
    apply_kinds,
    lower_values,
    meta_kinds,
)

META_PREFIX = "# satconf:ini "
def header(source: Path) -> str:
    name = source.name.replace("\n", " ").replace("\r", " ")
    return f"# Written by `satconf migrate` from {name}."


class _Dumper(yaml.SafeDumper):
    pass


def _str_double_quoted(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')


_Dumper.add_representer(str, _str_double_quoted)


class YamlLimit(yaml.YAMLError):
    """A YAML text past what satconf reads: nested too deeply, or aliases expanding too far."""

    def __init__(self, reason: str, line: int | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


MAX_EXPANDED_NODES = 100_000  # a "billion laughs" of aliases expands past this at once


class Loader(yaml.SafeLoader):
    """PyYAML's safe loader with OmegaConf's float and timestamp rules, and limits.

    The composer (recursive in PyYAML) stops past `MAX_DEPTH` levels, and a
    document whose aliases would expand to more than `MAX_EXPANDED_NODES`
    values is refused before anything walks it.
    """

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > fileerrors.MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise YamlLimit(f"is nested more than {fileerrors.MAX_DEPTH} levels deep",
                                mark.line + 1 if mark else None)
            return super().compose_node(parent, index)  # type: ignore[no-untyped-call]
        finally:
            self._depth -= 1

    def compose_document(self) -> yaml.Node | None:
        node = super().compose_document()  # type: ignore[no-untyped-call]
        if node is not None and expanded_size(node, MAX_EXPANDED_NODES) > MAX_EXPANDED_NODES:
            raise YamlLimit(f"expands to more than {MAX_EXPANDED_NODES:,} values through its "
                            "aliases (&anchor / *alias)", node.start_mark.line + 1)
        return node


def expanded_size(root: yaml.Node, limit: int) -> int:
    """How many nodes the document has with every alias expanded (counting stops past `limit`).

    Each node's size is computed once (aliases share nodes), so this is quick
    however far the aliases would expand; an alias loop counts as past the limit.
    """
    sizes: dict[int, int] = {}
    open_ids: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            open_ids.discard(key)
            kids = _children(node)
            # A child still open is an alias loop: counted once here, refused by its reader.
            sizes[key] = min(limit + 1, 1 + sum(sizes.get(id(k), 1) for k in kids))
            continue
        if key in sizes:
            continue
        open_ids.add(key)
        stack.append((node, True))
        stack.extend((k, False) for k in _children(node)
                     if id(k) not in sizes and id(k) not in open_ids)
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:
         [-+]?[0-9]+(?:_[0-9]+)*\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?[0-9]+(?:_[0-9]+)*(?:[eE][-+]?[0-9]+)
        |\.[0-9]+(?:_[0-9]+)*(?:[eE][-+][0-9]+)?
        |[-+]?[0-9]+(?:_[0-9]+)*(?::[0-5]?[0-9])+\.[0-9_]*
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)
Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in Loader.yaml_implicit_resolvers.items()
}

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def dump_flow(value: Any) -> str:
    """One value as single-line YAML."""
    text = yaml.dump(value, Dumper=_Dumper, default_flow_style=True, width=math.inf,
                     sort_keys=False, allow_unicode=True)
    return text.removesuffix("\n...\n").rstrip("\n")


def dump_key(key: str) -> str:
    if _PLAIN_KEY.match(key) and yaml.load(key, Loader=Loader) == key:
        return key
    return dump_flow(key)


def unsupported(value: Any) -> str | None:
    """Why YAML (as OmegaConf reads it) has no form for a value, or None."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return None
    if isinstance(value, list):
        return next((why for v in value if (why := unsupported(v))), None)
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, (str, int, float, bool)):
                return f"a {type(k).__name__} key in {value!r}"
            why = unsupported(v)
            if why:
                return why
        return None
    return f"a {type(value).__name__} ({value!r})"


_BREAKS = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")  # what PyYAML counts as a line end
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def lines_of(text: str) -> list[str]:
    """The lines of a YAML text, numbered as PyYAML numbers them."""
    return _BREAKS.split(text)


def comment_lines(text: str) -> list[str]:
    # A comment ends at any line break (TOML forbids control characters in it too).
    parts = (_CONTROL.sub(" ", line).strip() for line in text.splitlines())
    return [f"# {part}" for part in parts if part]


def meta_line(meta: dict[str, Any]) -> list[str]:
    return [META_PREFIX + json.dumps(meta, ensure_ascii=False, sort_keys=True)] if meta else []


def body_lines(entries: list[Entry]) -> list[str]:
    out: list[str] = []
    for e in entries:
        out.extend(comment_lines(e.help))
        out.append(f"{dump_key(e.key)}: {dump_flow(e.value)}")
        out.append("")
    return out


def prepare(doc: Document) -> Document:
    """The document with every value YAML cannot hold as its literal text."""
    return lower_values(doc, unsupported, "YAML")


def render_yaml(doc: Document, source: Path) -> str:
    doc = prepare(doc)
    kinds = meta_kinds(doc)
    head = [header(source), *meta_line({"kinds": kinds} if kinds else {}), ""]
    body = body_lines(doc.entries) if doc.entries else ["{}", ""]  # an empty INI stays a mapping
    return "\n".join(head + body)


# -- reading --------------------------------------------------------------------------


def read_text(path: Path) -> str:
    return fileerrors.read_text(path, MigrateError)


def load_mapping(path: Path, text: str) -> tuple[dict[Any, Any], dict[Any, int]]:
    """The top-level mapping of a YAML text and the 1-based line of each key."""
    try:
        node = yaml.compose(text, Loader=Loader)
        data = yaml.load(text, Loader=Loader)
    except YamlLimit as exc:
        raise MigrateError(path, exc.line, exc.reason) from None
    except RecursionError:
        raise MigrateError(path, None, "is nested too deeply") from None
    except ValueError as exc:  # an integer longer than Python turns into a number
        reason = "holds an integer too long to read" if "digits" in str(exc) else str(exc)
        raise MigrateError(path, None, reason) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise MigrateError(path, line, f"is not valid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise MigrateError(path, None, f"is not valid YAML: {exc}") from None
    if data is None:
        raise MigrateError(path, None, "is empty")
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        raise MigrateError(path, 1, "does not hold a mapping of keys to values")
    lines: dict[Any, int] = {}
    seen: set[str] = set()
    for knode, _ in node.value:
        line = knode.start_mark.line + 1
        if isinstance(knode, yaml.ScalarNode):
            if knode.value in seen:
                raise MigrateError(path, line, f"sets `{knode.value}` twice")
            seen.add(knode.value)
            key = yaml.load(yaml.serialize(knode), Loader=Loader)
            lines[key] = line
    for key, value in data.items():
        if not isinstance(key, str):
            raise MigrateError(path, lines.get(key), f"key {key!r} is not text")
        if _loops(value, set()):
            raise MigrateError(path, lines.get(key), f"`{key}` contains itself (an alias loop)")
    fileerrors.check_shape(data, path, MigrateError)
    return data, lines


def _loops(value: Any, open_ids: set[int]) -> bool:
    """Whether a value holds itself (`a: &x [*x]`), which no INI literal can."""
    if not isinstance(value, (list, dict, set, tuple)):
        return False
    if id(value) in open_ids:
        return True
    open_ids.add(id(value))
    items = list(value.items()) if isinstance(value, dict) else list(value)
    found = any(_loops(v, open_ids) for v in items)
    open_ids.discard(id(value))
    return found


def read_meta(path: Path, text: str) -> dict[str, Any]:
    for number, line in enumerate(text.split("\n"), start=1):
        if line.startswith(META_PREFIX):
            try:
                meta = json.loads(line[len(META_PREFIX):])
            except json.JSONDecodeError as exc:
                raise MigrateError(path, number, f"satconf metadata is not JSON: {exc}") from None
            if not isinstance(meta, dict):
                raise MigrateError(path, number, "satconf metadata is not a JSON object")
            kinds = meta.get("kinds", {})
            order = meta.get("order", [])
            if not isinstance(kinds, dict) or not isinstance(order, list):
                raise MigrateError(path, number, "satconf metadata has a malformed kinds/order")
            return meta
    return {}


def help_above(lines: list[str], line: int) -> str:
    """The comment lines directly above a top-level key at 1-based `line`, joined."""
    out: list[str] = []
    i = line - 2
    while (i >= 0 and lines[i].startswith("#") and not lines[i].startswith(META_PREFIX)
           and not lines[i].startswith("# @package")):
        out.append(lines[i].lstrip("#").strip())
        i -= 1
    return " ".join(reversed([o for o in out if o]))


def read_yaml(path: Path) -> Document:
    """A one-file YAML (as `render_yaml` writes it, or by hand) as a document."""
    text = read_text(path)
    data, lines = load_mapping(path, text)
    meta = read_meta(path, text)
    src = lines_of(text)
    doc = Document()
    for key, value in data.items():
        doc.entries.append(Entry(key, value, "", help_above(src, lines.get(key, 0))))
    apply_kinds(doc, meta.get("kinds", {}), path)
    return doc
