"""What train.py's source says, read with `ast` (never run): imports, keys read, DataLoaders.

The checks need to know what the workspace's train.py imports (to probe those
imports in the training python and to decide whether it needs prefigure),
which `args.<key>` it reads, and whether its dataset code builds DataLoaders
with `persistent_workers=True`. Text matching got all three wrong (a comment
naming prefigure, `vars(args)` handed to a logger), so this module reads the
syntax tree. Parsed trees are kept per (path, mtime, size): the form re-runs
the checks on every keystroke and a real checkout's dataset module is long.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

# Calls whose result is the parsed flags namespace, besides the conventional name `args`.
_ARGS_FACTORIES = ("get_all_args", "parse_args", "parse_known_args")
_IMPORT_GUARDS = ("ImportError", "ModuleNotFoundError", "Exception", "BaseException")
MAX_LOCAL_FILES = 40  # local modules followed from train.py: enough for a checkout's own package

_trees: dict[Path, tuple[tuple[int, int], ast.Module | None]] = {}


@dataclass(frozen=True)
class ImportLine:
    line: int
    source: str  # the statement, as `ast.unparse` writes it
    modules: tuple[str, ...]  # dotted module names it imports


@dataclass(frozen=True)
class KeyReads:
    keys: frozenset[str]
    dynamic: bool  # some read cannot be told (getattr with a variable, **vars(args)...)


def parse(path: Path) -> ast.Module | None:
    """The file's syntax tree, or None when it cannot be read or parsed."""
    try:
        st = path.stat()
    except OSError:
        return None
    stamp = (st.st_mtime_ns, st.st_size)
    hit = _trees.get(path)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    try:
        tree: ast.Module | None = ast.parse(path.read_bytes(), filename=str(path))
    except (OSError, SyntaxError, ValueError, RecursionError):
        tree = None
    if len(_trees) > 256:
        _trees.clear()
    _trees[path] = (stamp, tree)
    return tree


def _guarded(handlers: list[ast.ExceptHandler]) -> bool:
    for handler in handlers:
        if handler.type is None:
            return True
        names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        if any(isinstance(n, ast.Name) and n.id in _IMPORT_GUARDS for n in names):
            return True
    return False


def _module_level(body: list[ast.stmt]) -> list[ast.Import | ast.ImportFrom]:
    out: list[ast.Import | ast.ImportFrom] = []
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            out.append(node)
        elif isinstance(node, ast.Try) and not _guarded(node.handlers):
            out += _module_level(node.body)  # an unguarded try still imports at start-up
    return out


def top_level_imports(tree: ast.Module) -> list[ImportLine]:
    """Imports that run when train.py starts (module level, not optional), in order."""
    out: list[ImportLine] = []
    for node in _module_level(tree.body):
        if isinstance(node, ast.ImportFrom):
            if node.level or node.module in (None, "__future__"):
                continue  # relative imports have no meaning for a script
            modules: tuple[str, ...] = (str(node.module),)
        else:
            modules = tuple(a.name for a in node.names)
        out.append(ImportLine(node.lineno, ast.unparse(node), modules))
    return out


def imported_roots(tree: ast.Module) -> set[str]:
    """First components of every module imported anywhere in the file."""
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            roots.add(node.module.split(".")[0])
    return roots


def _namespace_names(tree: ast.Module) -> set[str]:
    names = {"args"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, (ast.Call, ast.Subscript)):
            call = node.value.value if isinstance(node.value, ast.Subscript) else node.value
            if isinstance(call, ast.Call) and _call_name(call) in _ARGS_FACTORIES:
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        names.add(target.id)
                    elif isinstance(target, ast.Tuple) and target.elts and isinstance(
                            target.elts[0], ast.Name):
                        names.add(target.elts[0].id)  # args, rest = parse_known_args()
    return names


def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _const_str(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


_reads: dict[int, tuple[ast.Module, KeyReads]] = {}  # by tree: `parse` hands out the same one


def read_keys(tree: ast.Module) -> KeyReads:
    """`_read_keys`, once per syntax tree (the INI-trap checks ask it once per key)."""
    hit = _reads.get(id(tree))
    if hit is not None and hit[0] is tree:
        return hit[1]
    if len(_reads) > 64:
        _reads.clear()
    result = _read_keys(tree)
    _reads[id(tree)] = (tree, result)
    return result


def _read_keys(tree: ast.Module) -> KeyReads:
    """Keys train.py reads from its flags: `args.<key>`, `getattr(args, "<key>")`,
    `vars(args)["<key>"]` (also through a variable holding `vars(args)`).

    `vars(args)` or `args` handed to a call (a logger's `log_hyperparams`,
    `push_wandb_config`) is not a read of every key; `**vars(args)`, a
    `getattr` with a computed name or iterating the dict is, and makes the
    answer `dynamic`.
    """
    spaces = _namespace_names(tree)
    dicts: set[str] = set()  # variables holding vars(args)

    def is_space(node: ast.AST) -> bool:
        return isinstance(node, ast.Name) and node.id in spaces

    def is_dict(node: ast.AST) -> bool:
        if isinstance(node, ast.Name):
            return node.id in dicts
        if isinstance(node, ast.Call) and _call_name(node) == "vars" and len(node.args) == 1:
            return is_space(node.args[0])
        return (isinstance(node, ast.Attribute) and node.attr == "__dict__"
                and is_space(node.value))

    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and is_dict(node.value):
            dicts |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    keys: set[str] = set()
    dynamic = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and is_space(node.value):
            if node.attr != "__dict__" and isinstance(node.ctx, ast.Load):
                keys.add(node.attr)
        elif isinstance(node, ast.Call):
            name = _call_name(node)
            if name in ("getattr", "hasattr") and len(node.args) >= 2 and is_space(node.args[0]):
                key = _const_str(node.args[1])
                dynamic |= key is None
                if key:
                    keys.add(key)
            elif (isinstance(node.func, ast.Attribute) and is_dict(node.func.value)):
                method = node.func.attr
                key = _const_str(node.args[0]) if node.args else None
                if method in ("get", "pop", "setdefault") and key:
                    keys.add(key)
                elif method in ("items", "keys", "values", "copy"):
                    dynamic = True
            dynamic |= any(k.arg is None and is_dict(k.value) for k in node.keywords)
        elif isinstance(node, ast.Subscript) and is_dict(node.value):
            key = _const_str(node.slice)
            dynamic |= key is None
            if key:
                keys.add(key)
        elif isinstance(node, (ast.For, ast.comprehension)) and is_dict(node.iter):
            dynamic = True
    return KeyReads(frozenset(keys), dynamic)


def module_file(root: Path, module: str) -> Path | None:
    """The file under `root` that `import module` would load from train.py's folder."""
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        try:
            if candidate.is_file():
                return candidate
        except OSError:
            return None
    return None


def local_files(root: Path, tree: ast.Module) -> list[Path]:
    """Modules of the workspace itself that train.py imports, followed transitively."""
    seen: list[Path] = []
    todo = [tree]
    while todo and len(seen) < MAX_LOCAL_FILES:
        current = todo.pop()
        for node in ast.walk(current):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                path = module_file(root, name)
                if path is not None and path not in seen:
                    seen.append(path)
                    sub = parse(path)
                    if sub is not None:
                        todo.append(sub)
    return seen


def persistent_loaders(tree: ast.Module) -> list[int]:
    """Lines of `DataLoader(..., persistent_workers=True)` calls (the constant True only)."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _call_name(node).endswith("DataLoader"):
            for kw in node.keywords:
                if (kw.arg == "persistent_workers" and isinstance(kw.value, ast.Constant)
                        and kw.value.value is True):
                    lines.append(node.lineno)
    return lines
