"""The local engine: train.py on this machine, under satconf's detached supervisor."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from satconf.runs.status import local_status, local_stop

if TYPE_CHECKING:
    from satconf.checks.finding import Finding
    from satconf.cluster.options import ClusterOptions
    from satconf.cluster.plan import EnginePlan
    from satconf.runconfig import RunConfig
    from satconf.runs.records import RunRecord


def start_supervised(config: RunConfig, plan: EnginePlan, *, engine: str, notes: list[str],
                     extra: dict[str, Any], base: Path | None) -> RunRecord:
    """Start this machine's command of `plan` detached, with the config's record fields."""
    from satconf.runs.launcher import start_plan

    return start_plan(plan.local_command(), values=config.normal, profile=config.profile,
                      gpus=config.gpus, python=config.python,
                      workspace=str(config.workspace.root), notes=notes, engine=engine,
                      extra=extra, base=base)


class LocalEngine:
    name = "local"
    option_keys: tuple[str, ...] = ()

    def plan(self, config: RunConfig, opts: ClusterOptions, *,
             folder: Path | None = None) -> EnginePlan:
        from satconf.cluster.checks import config_nodes
        from satconf.cluster.plan import EnginePlan

        return EnginePlan(self.name, opts, config_nodes(config), config.plan())

    def findings(self, config: RunConfig, opts: ClusterOptions, *,
                 submitting: bool) -> list[Finding]:
        return []  # num_nodes > 1 on one machine is the hardware checks' finding

    def start(self, config: RunConfig, plan: EnginePlan, *, notes: list[str],
              extra: dict[str, Any], base: Path | None = None) -> RunRecord:
        return start_supervised(config, plan, engine=self.name, notes=notes, extra=extra,
                                base=base)

    def status(self, record: RunRecord) -> str:
        return local_status(record)

    def stop(self, folder: Path, record: RunRecord, grace: tuple[float, float]) -> RunRecord:
        return local_stop(folder, record, grace)


ENGINE = LocalEngine()
