"""Runs: start detached, record, follow the log, stop; recover -> newest checkpoint.

The public API (used by the CLI, the TUI and the cluster helpers):

    start_run(config, *, engine="local", recover=True) -> RunRecord
    start_plan(plan, *, values=..., engine=..., ...) -> RunRecord
    list_runs() -> list[RunRecord]            newest first
    load_run(run_id) -> RunRecord             exact id, unique prefix or "last"
    run_status(record) -> str                 running|succeeded|failed|stopped|lost
    stop_run(run_id, grace=(30, 10)) -> RunRecord
    request_interrupt(run_id) -> RunRecord    one recorded SIGINT (Ctrl-C)
    log_path(run_id) -> Path
    follow_log(path, stop_event=None, *, until=None) -> Iterator[str]     lines
    follow_chunks(path, stop_event=None, *, until=None) -> Iterator[bytes]  raw pieces
    tail_lines(path, n=20) -> list[str]
    find_recover_checkpoint(values, cwd) -> Path | None
    apply_recover(config) -> (RunConfig, str | None)

Names are loaded on first use, so `python -m satconf.runs.supervisor` and
importers of one name stay light.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not `typing`: the supervisor imports this package, and starts fast
if TYPE_CHECKING:
    from typing import Any

_EXPORTS = {
    "RunError": "records", "RunRecord": "records", "StopStep": "records",
    "list_runs": "records", "load_run": "records", "log_path": "records",
    "run_dir": "records", "resolve_run_id": "records",
    "start_run": "launcher", "start_plan": "launcher",
    "run_status": "status", "stop_run": "status", "request_interrupt": "status",
"STATUSES": "status", "RUNNING": "status",
    "SUCCEEDED": "status", "FAILED": "status", "STOPPED": "status", "LOST": "status",
    "DEFAULT_GRACE": "status",
    "follow_log": "logs", "follow_chunks": "logs", "tail_lines": "logs",
    "find_recover_checkpoint": "recover", "apply_recover": "recover",
    "wants_recover": "recover",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'satconf.runs' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"satconf.runs.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
