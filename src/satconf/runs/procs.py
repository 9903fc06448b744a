"""Is a process (or a process group) still there? Zombie- and pid-reuse-aware.

A dead process whose parent never reaps it (e.g. an orphan under a container
init that does not reap) stays a zombie, and `kill(pid, 0)` still succeeds on
it; and a pid can be reused by an unrelated process. So on Linux the answer
comes from `/proc/<pid>/stat`: the state (Z/X = gone) and the kernel start time,
which the record keeps beside the pid. Elsewhere `kill(pid, 0)` is the best
available answer.
"""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError, OSError):
        return None
    # The command name (field 2) may hold spaces and ')', so split after the last ')'.
    return text[text.rfind(")") + 2:].split()


def has_proc() -> bool:
    return (PROC / "self" / "stat").exists()


def process_start(pid: int) -> int | None:
    """The kernel's start time of `pid` (clock ticks since boot); None where unknown."""
    parts = _stat_fields(pid)
    return int(parts[19]) if parts and len(parts) > 19 else None


def process_alive(pid: int | None, start: int | None = None) -> bool:
    """True while `pid` runs (not a zombie) and, when `start` is given, is the same process."""
    if pid is None or pid <= 0:
        return False
    if has_proc():
        parts = _stat_fields(pid)
        if not parts or parts[0] in ("Z", "X", "x"):
            return False
        return start is None or len(parts) <= 19 or int(parts[19]) == start
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def group_members(pgid: int | None) -> list[int]:
    """Live (non-zombie) processes in process group `pgid`."""
    if pgid is None or pgid <= 0:
        return []
    if not has_proc():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return []
        except PermissionError:
            return [pgid]
        return [pgid]
    out: list[int] = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        parts = _stat_fields(int(entry.name))
        if parts and len(parts) > 2 and parts[0] not in ("Z", "X", "x") and int(parts[2]) == pgid:
            out.append(int(entry.name))
    return out


def is_foreign_leader(pid: int, start: int | None) -> bool:
    """`pid` now belongs to a different process that leads its own group (pid reused)."""
    parts = _stat_fields(pid)
    if not parts or start is None or len(parts) <= 19:
        return False
    return int(parts[19]) != start and int(parts[2]) == pid


def group_signal_refusal(pid: int | None, start: int | None, pgid: int | None) -> str | None:
    """Why signalling process group `pgid` might reach a process that is not the run's;
    None when it can only reach the run's own processes.

    The run's leader is `pid` (== `pgid`), started at kernel time `start`. While
    any process of a group lives, the kernel keeps its number from being reused,
    so the group is the run's when its leader is the same process (pid and
    start time match), or when the leader is gone and every member started no
    earlier than the leader did (workers it left behind). Without /proc
    nothing can be checked, and the old answer (signal) stands.
    """
    if pgid is None or pgid <= 0 or pid is None:
        return "the record has no process group"
    if not has_proc():
        return None
    if start is None:
        return (f"the record has no start time for pid {pid}, so satconf cannot tell the run "
                "from an unrelated process that reuses that pid")
    if pgid != pid:
        return f"the record's process group {pgid} is not led by its pid {pid}"
    parts = _stat_fields(pid)
    if parts and len(parts) > 19 and parts[0] not in ("Z", "X", "x"):
        if int(parts[19]) != start:
            return (f"pid {pid} now belongs to another process (started at tick {parts[19]}, "
                    f"the run's at {start})")
        return None
    for member in group_members(pgid):
        member_start = process_start(member)
        if member_start is None or member_start < start:
            return f"process {member} in group {pgid} started before the run did"
    return None
