"""What every engine provides, so that the launch use case and `runs` never ask which one it is."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from satconf.checks.finding import Finding
    from satconf.cluster.options import ClusterOptions
    from satconf.cluster.plan import EnginePlan
    from satconf.runconfig import RunConfig
    from satconf.runs.records import RunRecord


class Engine(Protocol):
    name: str
    option_keys: tuple[str, ...]  # the ClusterOptions fields this engine reads

    def plan(self, config: RunConfig, opts: ClusterOptions, *,
             folder: Path | None = None) -> EnginePlan:
        """What would run; `folder` is the run folder (a placeholder in a preview).
        Raises command.PlanError when the values cannot become a command line."""

    def findings(self, config: RunConfig, opts: ClusterOptions, *,
                 submitting: bool) -> list[Finding]:
        """What this engine would refuse or warn about (`submitting` False: a preview)."""

    def start(self, config: RunConfig, plan: EnginePlan, *, notes: list[str],
              extra: dict[str, Any], base: Path | None = None) -> RunRecord:
        """Start `plan` (planned from `config`); raises RunError."""

    def status(self, record: RunRecord) -> str: ...

    def stop(self, folder: Path, record: RunRecord, grace: tuple[float, float]) -> RunRecord: ...
