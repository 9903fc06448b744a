"""Skip pydantic's plugin discovery in satconf's own process.

The first pydantic model satconf builds makes pydantic look for plugins:
`pydantic.plugin._loader` imports `importlib.metadata` (and with it `email`,
`zipfile`, `socket`) and scans every installed distribution's entry points.
In a training environment (torch, Lightning and their many dependencies
installed) that costs 15-20 ms on every `satconf` start, more than any other
single step of `launch --dry-run`, for plugins satconf never wants: a plugin
meant for the user's own services has no business observing satconf's
settings. Training processes are not affected: this changes `sys.modules` of
satconf's process only, never the environment it passes on.

Pydantic imports exactly one name, `get_plugins`, from that module; any other
name asked of the stand-in loads the real module, so a future pydantic that
wants more still gets it (tests/test_pydantic_plugins.py pins the one name).
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterable
from typing import Any

LOADER = "pydantic.plugin._loader"


class _NoPlugins(types.ModuleType):
    def get_plugins(self) -> Iterable[Any]:
        return ()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # the import system asks for `__path__` and the like
            raise AttributeError(name)
        import importlib.util

        package = sys.modules.get("pydantic.plugin")
        spec = importlib.util.spec_from_file_location(
            f"{LOADER}_real", f"{package.__path__[0]}/_loader.py") if package else None
        if spec is None or spec.loader is None:
            raise AttributeError(f"module {LOADER!r} has no attribute {name!r}")
        real = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(real)
        return getattr(real, name)


def skip_plugin_discovery() -> None:
    """Put the stand-in in place, unless pydantic's real loader was imported already."""
    sys.modules.setdefault(LOADER, _NoPlugins(LOADER, "satconf: pydantic plugins skipped"))
