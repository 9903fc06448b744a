"""A queued run's inputs, kept as JSON, and the checked launch they become.

What is queued is the resolved config (workspace, values, profile name,
python, launch options) as it was checked, not the profile's name to read
again later: a profile edited while the run waits does not change it. Recover
is not frozen: `prepare` applies it again at the start, so a queued
`recover = true` run resumes from the newest checkpoint at that moment.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from satconf.launch import Prepared
    from satconf.runconfig import RunConfig


def spec_of(config: RunConfig) -> dict[str, Any]:
    return {"workspace": str(config.workspace.root),
            "values": json.loads(json.dumps(config.values, default=str)),
            "profile": config.profile, "python": config.python,
            "options": json.loads(json.dumps(config.options, default=str)),
            "warnings": list(config.warnings), "gpus": config.gpus}


def config_of(spec: dict[str, Any], gpus: list[int] | None) -> RunConfig:
    """The config a spec was made from, on the given GPUs; ConfigError/UsageError when its
    workspace or INI can no longer be read."""
    from satconf.runconfig import load_run_config

    base = load_run_config(Path(spec["workspace"]), python=spec.get("python"))
    values = {**base.values, **{k: v for k, v in spec["values"].items() if k in base.fields}}
    return base.evolve(values=values, profile=spec.get("profile"),
                       options=dict(spec.get("options") or {}), gpus=gpus,
                       warnings=tuple(spec.get("warnings") or ()))


def prepare_spec(spec: dict[str, Any], gpus: list[int] | None, *,
                 probe: bool = True) -> Prepared:
    """The launch use case's check of a queued run on its assigned devices. The training
    python's probe is used where one is cached (the queue never probes: it would stall)."""
    from satconf.launch import prepare

    config = config_of(spec, gpus)
    env = None
    if probe:
        from satconf.environment import cached_probe

        env = cached_probe(config.python)
    return prepare(config, env=env, inspect=False, submitting=True)
