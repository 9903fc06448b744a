"""Workspaces whose defaults.ini has N keys: the demo's, plus keys a fork might add."""

from __future__ import annotations

from pathlib import Path

from satconf.workspace import copy_demo

_KINDS = ("{i}", "{i}.5e-4", "'text_{i}'", "None", "True", "'choice_{i}'")


def make_scaled_workspace(dest: Path, keys: int) -> Path:
    """A copy of the demo workspace with extra typed keys until the INI has `keys` keys."""
    if dest.exists():
        return dest
    copy_demo(dest)
    ini = dest / "defaults.ini"
    text = ini.read_text(encoding="utf-8")
    have = sum(1 for line in text.splitlines() if "=" in line and not line.startswith("#"))
    extra = [
        f"\n# fork option number {i}: what it tunes\nfork_opt_{i} = "
        + _KINDS[i % len(_KINDS)].format(i=i)
        for i in range(max(0, keys - have))
    ]
    ini.write_text(text.rstrip("\n") + "\n" + "\n".join(extra) + "\n", encoding="utf-8")
    return dest
