"""Preflight checks: what train.py would report minutes into start-up, in milliseconds.

`run_checks(config, env)` runs the cheap checks (files, JSON configs, INI
traps, train.py's use of keys) and, given an `EnvironmentInfo` from
`satconf.environment.probe`, the ones about the training python and its GPUs.
`inspect_checkpoints(config, env)` holds the slow checks that run in the
training python: train.py's top-level imports (once per interpreter, package
set and import list) and checkpoint keys (once per file). It is slow when
something is new: the TUI runs it in a worker, the CLI inline; afterwards
`run_checks` repeats the import finding from the cache.

Names are loaded on first use (as in `satconf.runs`): importing one check, or
`satconf.checks.finding`, does not load every check module, so the form's
first frame waits for none of them.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_EXPORTS = {
    "LEVELS": "finding", "Finding": "finding", "Level": "finding",
    "findings_from_errors": "finding", "sort_findings": "finding",
    "inspect_checkpoints": "checkpoints", "run_checks": "run",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'satconf.checks' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"satconf.checks.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
