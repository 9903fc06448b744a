"""One config + cluster options -> what each engine would run (the preview and the launch).

The local `LaunchPlan` is the base: SLURM wraps it in `srun` inside a batch
script and torchrun puts it behind `python -m torch.distributed.run`, so the
train.py flags are the same on every engine.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from satconf.cluster.checks import config_nodes
from satconf.cluster.options import ClusterOptions
from satconf.cluster.slurm import batch_script
from satconf.cluster.torchrun import NodeCommand, node_commands, render
from satconf.command import LaunchPlan
from satconf.runconfig import RunConfig

LOG_NAME = "train.log"  # the run folder's log, as the run records name it
EXIT_NAME = "slurm-exit-code"  # srun's exit status, written by the batch script
SCRIPT_NAME = "job.sbatch"
PLACEHOLDER_RUN = "RUN_ID"  # stands for the run id in a preview made before launch


@dataclass(frozen=True)
class EnginePlan:
    """What an engine would run: the preview and the launch read the same object."""

    engine: str
    options: ClusterOptions
    nodes: int
    local: LaunchPlan  # the one-machine command; also what each task runs
    script: str | None = None  # slurm: the batch script
    commands: list[NodeCommand] = field(default_factory=list)  # torchrun: one per node
    folder: str | None = None  # the run folder the script names (a placeholder in a preview)

    def render(self) -> str:
        """The preview text: the batch script, the per-node commands, or the shell line."""
        if self.script is not None:
            return self.script
        if self.commands:
            return render(self.commands)
        return self.local.shell() + "\n"

    def local_command(self) -> LaunchPlan:
        """What runs on this machine: the local plan, or this node's command."""
        if self.commands:
            return self.commands[self.options.node_rank].plan()
        return self.local

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"engine": self.engine, "nodes": self.nodes,
                               "tasks_per_node": self.options.tasks(),
                               "options": self.options.model_dump(), **self.local.to_json()}
        if self.script is not None:
            out["batch_script"] = self.script
        if self.commands:
            out["node_commands"] = [c.to_json() for c in self.commands]
        return out


ClusterPlan = EnginePlan  # the name the cluster tests and scripts know


def job_name(config: RunConfig, opts: ClusterOptions) -> str:
    if opts.job_name:
        return opts.job_name
    name = config.values.get("name")
    return name.strip() if isinstance(name, str) and name.strip() else "satconf"


def placeholder_folder() -> Path:
    """The run folder a preview names: the real one exists only once the run starts."""
    from satconf.workspace import runs_dir

    return runs_dir() / PLACEHOLDER_RUN


def slurm_plan(config: RunConfig, opts: ClusterOptions, *,
               folder: Path | None = None) -> EnginePlan:
    folder = folder or placeholder_folder()
    local, nodes = config.plan(), config_nodes(config)
    script = batch_script(local, opts, nodes=nodes, job_name=job_name(config, opts),
                          output=str(folder / LOG_NAME), exit_file=str(folder / EXIT_NAME))
    return EnginePlan("slurm", opts, nodes, local, script=script, folder=str(folder))


def torchrun_plan(config: RunConfig, opts: ClusterOptions, *,
                  master_addr: str | None = None) -> EnginePlan:
    local, nodes = config.plan(), config_nodes(config)
    addr = master_addr or opts.master_addr or socket.gethostname()
    cmds = node_commands(local, opts, nodes=nodes, master_addr=addr)
    return EnginePlan("torchrun", opts, nodes, local, commands=cmds)


def build_cluster_plan(config: RunConfig, opts: ClusterOptions, *,
                       folder: Path | None = None) -> EnginePlan:
    """The plan of the engine `opts` names. Raises command.PlanError as `RunConfig.plan`
    does, RunError for an engine this satconf does not have."""
    from satconf.runs.engines import get_engine

    engine = get_engine(opts.engine)
    if engine is None:
        from satconf.runs.records import RunError

        raise RunError(f"no engine called {opts.engine!r}")
    return engine.plan(config, opts, folder=folder)
