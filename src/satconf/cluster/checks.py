"""Cluster checks: what Lightning and the engine will refuse, said before launch.

Lightning's SLURM environment raises when `--ntasks-per-node` differs from the
devices each task sees (train.py uses every GPU it sees) or `--nodes` differs
from `num_nodes`; under torchrun the world size must be nodes x processes.
Findings about a cluster option name it `cluster.<option>`; about a config
value, its INI key.
"""

from __future__ import annotations

import re

from satconf.checks.finding import Finding, error, info, warning
from satconf.cluster.options import (
    ClusterOptions,
)
from satconf.cluster.slurm import SBATCH_HINT, sbatch_path
from satconf.runconfig import RunConfig

DEMO_MARKER = ".satconf-demo"  # written by workspace.copy_demo
_OPTION = re.compile(r"^(--[a-z-]+|-[A-Za-z])(?:[= ]\s*(.*))?$")
# Options satconf writes itself, and what to change instead.
_OWNED = {
    "--nodes": "num_nodes", "-N": "num_nodes",
    "--ntasks-per-node": "cluster.tasks_per_node",
    "--ntasks": "cluster.tasks_per_node", "-n": "cluster.tasks_per_node",
    "--output": None, "-o": None, "--job-name": "cluster.job_name", "-J": "cluster.job_name",
    "--gres": "cluster.gpus_per_node", "--gpus-per-node": "cluster.gpus_per_node",
    "--partition": "cluster.partition", "-p": "cluster.partition",
    "--account": "cluster.account", "-A": "cluster.account",
    "--time": "cluster.time_limit", "-t": "cluster.time_limit",
    "--cpus-per-task": "cluster.cpus_per_task", "-c": "cluster.cpus_per_task",
}


def config_nodes(config: RunConfig) -> int:
    """num_nodes as train.py will pass it to Lightning (1 if the INI has no such key)."""
    value = config.values.get("num_nodes", 1)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 1


def is_cpu_trainer(config: RunConfig) -> bool:
    """The embedded demo (or a copy of it) trains on the CPU; train.py needs GPUs."""
    return config.workspace.is_demo or (config.workspace.root / DEMO_MARKER).is_file()


def cluster_findings(config: RunConfig, opts: ClusterOptions, *,
                     submitting: bool = True) -> list[Finding]:
    """Problems with running `config` on the engine `opts` names (errors block a launch).
    `submitting=False` (a preview) leaves out that sbatch is missing here."""
    nodes = config_nodes(config)
    if opts.engine == "local":
        return []  # num_nodes > 1 on one machine is the hardware checks' finding
    out: list[Finding] = []
    tasks = opts.tasks()
    if opts.gpus_per_node > 0 and tasks != opts.gpus_per_node:
        out.append(error(
            "cluster.tasks_per_node",
            f"{tasks} tasks per node but each task sees {opts.gpus_per_node} GPUs: Lightning "
            "needs one task per GPU (train.py uses every GPU a task sees)",
            f"set tasks per node to {opts.gpus_per_node} or leave it empty"))
    if opts.gpus_per_node == 0 and not is_cpu_trainer(config):
        out.append(warning(
            "cluster.gpus_per_node", "no GPUs requested, but train.py trains on GPUs only "
            "(accelerator='gpu')", "set GPUs per node"))
    if config.gpus is not None and opts.engine == "slurm":
        out.append(warning(
            None, "the GPU selection (--gpus / CUDA_VISIBLE_DEVICES) is not used under SLURM: "
            "SLURM gives each job its own GPUs", "request GPUs with GPUs per node"))
    if config.gpus is not None and opts.engine == "torchrun" and opts.gpus_per_node > 0 \
            and len(config.gpus) != tasks:
        out.append(error(
            "cluster.tasks_per_node", f"{len(config.gpus)} GPUs selected on this node but "
            f"{tasks} processes per node: Lightning needs one process per visible GPU",
            f"select {tasks} GPUs or change GPUs per node"))
    if opts.engine == "slurm":
        out += _slurm_findings(opts, nodes, tasks, submitting)
    else:
        out += _torchrun_findings(opts, nodes)
    return out


def _slurm_findings(opts: ClusterOptions, nodes: int, tasks: int,
                    submitting: bool) -> list[Finding]:
    out: list[Finding] = []
    if submitting and sbatch_path() is None:
        out.append(error(None, "sbatch is not installed, so a SLURM job cannot be submitted "
                         "from here", SBATCH_HINT.split(": ", 1)[1]))
    if opts.job_name in ("bash", "interactive"):
        out.append(error("cluster.job_name", f"a job named {opts.job_name!r} hides SLURM from "
                         "Lightning, which then starts one process only",
                         "pick another job name"))
    for line in opts.extra_sbatch:
        m = _OPTION.match(line)
        if not m:
            continue
        name, value = m.group(1), (m.group(2) or "").strip()
        if name in ("--nodes", "-N") and value != str(nodes):
            out.append(error("num_nodes", f"extra #SBATCH {line} but num_nodes is {nodes}: "
                             "Lightning needs --nodes to equal num_nodes",
                             "remove the line and set num_nodes"))
        elif name in ("--ntasks-per-node", "--ntasks", "-n") and value != str(tasks):
            out.append(error("cluster.tasks_per_node", f"extra #SBATCH {line} but the job "
                             f"runs {tasks} tasks per node; Lightning needs "
                             "--ntasks-per-node to equal the GPUs per task",
                             "remove the line and set tasks per node"))
        elif name in _OWNED:
            where = _OWNED[name]
            hint = f"set {where} instead" if where else "satconf keeps the log in the run folder"
            out.append(warning(where, f"extra #SBATCH {line} overrides an option satconf "
                               "writes itself", hint))
    return out


def _torchrun_findings(opts: ClusterOptions, nodes: int) -> list[Finding]:
    out: list[Finding] = []
    if opts.node_rank >= nodes:
        out.append(error("cluster.node_rank", f"node rank {opts.node_rank} but only {nodes} "
                         f"nodes (ranks 0 to {nodes - 1})", "set num_nodes or the node rank"))
    if nodes > 1 and not opts.master_addr:
        out.append(info("cluster.master_addr", "no master address given: the commands use "
                        "this machine's host name, which every node must reach",
                        "set the master address to node 0's address"))
    return out


def has_errors(findings: list[Finding]) -> bool:
    return any(f.level == "error" for f in findings)
