"""satconf's own process never loads Textual outside tui/, nor torch or Lightning at all."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import pytest

import satconf

HEAVY = ("textual", "torch", "lightning", "pytorch_lightning")


def _modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(satconf.__path__, "satconf."):
        if info.name.startswith(("satconf.tui", "satconf.demo")) or info.name.endswith("__main__"):
            continue
        names.append(info.name)
    return sorted(names)


def test_there_are_modules_to_check() -> None:
    assert "satconf.fields" in _modules() and "satconf.cli" in _modules()


@pytest.mark.parametrize("module", _modules())
def test_module_imports_nothing_heavy(module: str) -> None:
    code = (
        "import importlib, json, sys\n"
        f"importlib.import_module({module!r})\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_building_the_cli_parser_loads_nothing_heavy() -> None:
    code = (
        "import json, sys\nfrom satconf.cli import build_parser\nbuild_parser()\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip()) == []
