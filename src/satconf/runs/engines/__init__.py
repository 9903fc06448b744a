"""The engines that start runs: one module each, registered here by name, loaded on first use.

An engine turns a checked config into its plan (the preview text and what is
started), says what it will refuse (`findings`), starts the plan, and tells a
run's status and stops it. Adding one (say a Kubernetes Job) is one module
defining `ENGINE` and one line in `MODULES`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from satconf.runs.engines.base import Engine

MODULES: dict[str, str] = {
    "local": "satconf.runs.engines.local",
    "slurm": "satconf.runs.engines.slurm",
    "torchrun": "satconf.runs.engines.torchrun",
}
NAMES: tuple[str, ...] = tuple(MODULES)


def get_engine(name: str) -> Engine | None:
    """The engine called `name`, or None when this satconf has no such engine."""
    module = MODULES.get(name)
    if module is None:
        return None
    try:
        return importlib.import_module(module).ENGINE  # type: ignore[no-any-return]
    except ImportError:
        return None
