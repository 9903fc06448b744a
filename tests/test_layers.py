"""The layer contract, read from every import statement (lazy ones inside functions too).

Read top to bottom the layers never climb back up: cli/ and tui/ call the
launch use case, which calls the engines, which call the checks and the
config. A runtime check (`test_imports`) only sees what one import path
loads; this one reads every `import` in every module, so a lazy import of
the CLI from deep inside an engine fails here too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import satconf

ROOT = Path(satconf.__file__).parent

# (modules under this prefix, may not import these)
RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("satconf.", ("textual",)),  # only tui/ imports Textual (tui/ is exempted below)
    ("satconf.", ("satconf.cli", "satconf.tui")),  # the core: never the surfaces
    ("satconf.runs.engines", ("satconf.cli", "satconf.tui", "satconf.launch")),
    ("satconf.checks", ("satconf.launch", "satconf.runs.engines", "satconf.cluster")),
    ("satconf.kinds", ("satconf.fields", "satconf.runconfig", "satconf.launch")),
    ("satconf.fields", ("satconf.runconfig", "satconf.launch", "satconf.command")),
)
EXEMPT = {"satconf.cli": ("satconf.cli", "satconf.tui"), "satconf.tui": ("textual", "satconf.tui"),
          "satconf.__main__": ("satconf.cli",)}  # `python -m satconf` is the CLI


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
    return out


def _modules() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if "demo" not in p.relative_to(ROOT).parts)


def _forbidden(module: str) -> set[str]:
    banned: set[str] = set()
    for prefix, names in RULES:
        if module.startswith(prefix) or module == prefix.rstrip("."):
            banned.update(names)
    for prefix, allowed in EXEMPT.items():
        if module == prefix or module.startswith(prefix + "."):
            banned.difference_update(allowed)
    return banned


def test_the_layers_are_read_from_every_module() -> None:
    names = {_module_name(p) for p in _modules()}
    assert {"satconf.launch", "satconf.runs.engines.slurm", "satconf.kinds",
            "satconf.cli.launch", "satconf.tui.app"} <= names


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_imports_a_layer_above_it(path: Path) -> None:
    module = _module_name(path)
    banned = _forbidden(module)
    bad = [f"line {line}: {name}" for line, name in _imports(path)
           if any(name == b or name.startswith(b + ".") for b in banned)]
    assert bad == [], f"{module} imports above its layer: {bad}"


def test_the_contract_catches_a_lazy_import(tmp_path: Path) -> None:
    """The reader sees an import inside a function, the kind a runtime check misses."""
    sample = tmp_path / "sample.py"
    sample.write_text("def later():\n    from satconf.cli.common import warn\n")
    assert _imports(sample) == [(2, "satconf.cli.common")]
    assert "satconf.cli" in _forbidden("satconf.runs.engines.slurm")
    assert "textual" not in _forbidden("satconf.tui.form")
