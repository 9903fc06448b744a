"""torchrun: one command per node, the same train.py flags on every node.

`python -m torch.distributed.run` is torchrun run by the training python
itself, so the node uses the interpreter the profile names. Lightning finds
the TorchElastic environment torchrun sets and takes ranks and world size
from it; `--nproc_per_node` is the processes per node (one per GPU).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from satconf.cluster.options import ClusterOptions
from satconf.command import LaunchPlan


@dataclass(frozen=True)
class NodeCommand:
    node_rank: int
    argv: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)
    cwd: str = "."

    def plan(self) -> LaunchPlan:
        return LaunchPlan(argv=self.argv, env=dict(self.env), cwd=self.cwd)

    def shell(self) -> str:
        return self.plan().shell()

    def to_json(self) -> dict[str, Any]:
        return {"node_rank": self.node_rank, **self.plan().to_json(), "shell": self.shell()}


def node_commands(plan: LaunchPlan, opts: ClusterOptions, *, nodes: int,
                  master_addr: str) -> list[NodeCommand]:
    """The torchrun command for each node rank, 0 .. nodes-1."""
    python, script, *flags = plan.argv
    out = []
    for rank in range(nodes):
        argv = (python, "-m", "torch.distributed.run", f"--nnodes={nodes}",
                f"--nproc_per_node={opts.tasks()}", f"--node_rank={rank}",
                f"--master_addr={master_addr}", f"--master_port={opts.master_port}",
                script, *flags)
        out.append(NodeCommand(rank, argv, dict(plan.env), plan.cwd))
    return out


def render(commands: list[NodeCommand]) -> str:
    """What `--dry-run` prints: one commented shell line per node."""
    lines = []
    for cmd in commands:
        lines.append(f"# node {cmd.node_rank} of {len(commands)}")
        lines.append(cmd.shell())
    return "\n".join(lines) + "\n"
