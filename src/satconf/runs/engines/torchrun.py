"""The torchrun engine: one command per node; this machine's (its node rank) runs supervised."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from satconf.runs.engines.local import LocalEngine, start_supervised

if TYPE_CHECKING:
    from satconf.checks.finding import Finding
    from satconf.cluster.options import ClusterOptions
    from satconf.cluster.plan import EnginePlan
    from satconf.runconfig import RunConfig
    from satconf.runs.records import RunRecord


class TorchrunEngine(LocalEngine):
    name = "torchrun"
    option_keys = ("gpus_per_node", "tasks_per_node", "master_addr", "master_port",
                   "node_rank")

    def plan(self, config: RunConfig, opts: ClusterOptions, *,
             folder: Path | None = None) -> EnginePlan:
        from satconf.cluster.plan import torchrun_plan

        return torchrun_plan(config, opts)

    def findings(self, config: RunConfig, opts: ClusterOptions, *,
                 submitting: bool) -> list[Finding]:
        from satconf.cluster.checks import cluster_findings

        return cluster_findings(config, opts, submitting=submitting)

    def start(self, config: RunConfig, plan: EnginePlan, *, notes: list[str],
              extra: dict[str, Any], base: Path | None = None) -> RunRecord:
        opts = plan.options
        extra = {**extra, "nodes": plan.nodes, "node_rank": opts.node_rank,
                 "tasks_per_node": opts.tasks(), "cluster": opts.to_options(),
                 "node_commands": [c.shell() for c in plan.commands]}
        return start_supervised(config, plan, engine=self.name, notes=notes, extra=extra,
                                base=base)


ENGINE = TorchrunEngine()
