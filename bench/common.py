"""Measuring whole processes from outside: wall time, first drawn frame, resident memory."""

from __future__ import annotations

import contextlib
import os
import pty
import re
import select
import signal
import statistics
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ANSI = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[@-Z\\-_]")


@dataclass(frozen=True)
class Sample:
    seconds: float
    rss_mb: float | None = None


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def wall(cmd: Sequence[str], *, runs: int = 7, env: dict[str, str] | None = None,
         cwd: Path | None = None, warmup: int = 1) -> float:
    """Median wall time of a whole process, start to exit (output discarded)."""
    full = {**os.environ, **(env or {})}
    times: list[float] = []
    for i in range(warmup + runs):
        t0 = time.perf_counter()
        subprocess.run(list(cmd), env=full, cwd=cwd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return median(times)


def _rss_mb(pid: int) -> float | None:
    """Resident memory of the process and its children (Textual apps run in one)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    m = re.search(r"VmRSS:\s+(\d+) kB", text)
    return int(m.group(1)) / 1024 if m else None


def first_frame(cmd: Sequence[str], marker: str, *, env: dict[str, str] | None = None,
                cwd: Path | None = None, cols: int = 100, rows: int = 32,
                timeout: float = 20.0, settle: float = 0.0) -> Sample:
    """Seconds from spawn until `marker` is on the terminal, and RSS at that moment."""
    import fcntl
    import struct
    import termios

    pid, fd = pty.fork()
    if pid == 0:  # child: become the app
        if cwd:
            os.chdir(cwd)
        full = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(cols),
                "LINES": str(rows), **(env or {})}
        os.execvpe(cmd[0], list(cmd), full)
    t0 = time.perf_counter()
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    buf = b""
    needle = marker.encode()
    seen_at: float | None = None
    rss: float | None = None
    try:
        while time.perf_counter() - t0 < timeout:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            if needle in ANSI.sub(b"", buf[-200000:]):
                seen_at = time.perf_counter() - t0
                if settle:
                    time.sleep(settle)
                rss = _rss_mb(pid)
                break
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)
    if seen_at is None:
        tail = ANSI.sub(b"", buf)[-300:].decode(errors="replace")
        raise RuntimeError(f"{marker!r} never appeared; last output: {tail!r}")
    return Sample(seen_at, rss)


def first_frame_median(cmd: Sequence[str], marker: str, *, runs: int = 5,
                       **kw: object) -> Sample:
    first_frame(cmd, marker, **kw)  # warm the file cache
    samples = [first_frame(cmd, marker, **kw) for _ in range(runs)]
    rss = [s.rss_mb for s in samples if s.rss_mb is not None]
    return Sample(median([s.seconds for s in samples]), median(rss) if rss else None)
