"""The deeper checks as the TUI runs them: probe the training python, then the launch use case.

Called from a worker thread only (the probe starts a subprocess of the
training interpreter the first time; later calls hit its cache).
"""

from __future__ import annotations

from typing import Any

from satconf.runconfig import RunConfig
from satconf.schema import PrecisionType, StrategyType

ProbedChoices = tuple[dict[str, tuple[str, ...]], Any]


def lightning_choices(config: RunConfig, env: Any) -> dict[str, tuple[str, ...]]:
    """For the strategy and precision selects: the names this environment's Lightning takes.

    The fields are found by their choice lists (the schema's enums), so no key is named here.
    """
    wanted = {
        tuple(m.value for m in StrategyType): tuple(getattr(env, "strategies", ()) or ()),
        tuple(m.value for m in PrecisionType): tuple(getattr(env, "precisions", ()) or ()),
    }
    out: dict[str, tuple[str, ...]] = {}
    for spec in config.fields:
        if spec.choices and spec.choices in wanted and wanted[spec.choices]:
            names = list(dict.fromkeys(wanted[spec.choices]))
            if "auto" in spec.choices and "auto" not in names:
                names.insert(0, "auto")  # Lightning takes "auto" without registering it
            out[spec.key] = tuple(names)
    return out


def deep_check(config: RunConfig, env: Any, *, probe_env: bool = True,
               inspect: bool = True) -> tuple[Any, str | None, ProbedChoices | None]:
    """(the launch use case's `Prepared` with every finding, note, (choices, env) when
    freshly probed); never raises. Without `probe_env` only the checks that need no
    training interpreter run."""
    try:
        from satconf.environment import probe
        from satconf.launch import prepare
    except ImportError as exc:
        return None, f"preflight checks unavailable ({exc})", None
    probed: ProbedChoices | None = None
    try:
        if probe_env and (env is None or getattr(env, "python", None) != config.python):
            env = probe(config.python)
            probed = (lightning_choices(config, env), env)
        prepared = prepare(config, env=env if probe_env else None,
                           inspect=inspect and probe_env, submitting=True)
    except Exception as exc:  # a checker bug must not take the form down
        return None, f"the checks failed: {type(exc).__name__}: {exc}", probed
    note = None if probe_env else "training environment not probed"
    return prepared, note, probed
