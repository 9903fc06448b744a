"""Quitting the form while a run it started goes on: the shell is told where the run went.

The real `satconf` runs in a pseudo-terminal, as a user starts it; f5 launches a
train.py that runs until stopped, ctrl+q quits, and what is left on the terminal
must name the run and the commands that follow and stop it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

from satconf.runs.records import list_runs
from satconf.runs.status import run_status

from tui_support import launchable

FOREVER = "import time\nprint('step 0', flush=True)\nwhile True:\n    time.sleep(0.1)\n"
F5, CTRL_Q = b"\x1b[15~", b"\x11"
ANSI = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[@-Z\\-_]")


class Terminal:
    """A 100x32 pseudo-terminal running one process; `until` reads its screen output."""

    def __init__(self, argv: list[str], cwd: Path) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 32, 100, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color"}
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, cwd=cwd,
                                     env=env, start_new_session=True)
        os.close(slave)
        self.seen = b""

    def read(self, wait: float) -> None:
        ready, _, _ = select.select([self.master], [], [], wait)
        if ready:
            with contextlib.suppress(OSError):  # the process closed the terminal
                self.seen += os.read(self.master, 65536)

    def text(self) -> str:
        return ANSI.sub(b"", self.seen).decode("utf-8", "replace")

    def until(self, what: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while what not in self.text():
            assert time.monotonic() < deadline, f"{what!r} never appeared: {self.text()[-600:]}"
            self.read(0.1)

    def send(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)
        os.close(self.master)


def test_quitting_with_a_run_going_says_how_to_follow_and_stop_it(tmp_path: Path,
                                                                    run_satconf) -> None:
    ws = launchable(tmp_path / "ws", FOREVER)
    term = Terminal([sys.executable, "-m", "satconf.cli", "--workspace", str(ws)], cwd=ws)
    try:
        term.until("batch-size")
        term.send(F5)
        term.until("step 0")  # the run view shows the run's first log line
        term.send(CTRL_Q)  # quit acts on every screen
        deadline = time.monotonic() + 60
        while term.proc.poll() is None:
            assert time.monotonic() < deadline, term.text()[-600:]
            term.read(0.1)
        term.read(0.5)
        [run] = list_runs()
        assert run_status(run) == "running"
        said = " ".join(term.text().split())
        assert f"satconf: run {run.id} " in said
        assert f"`satconf runs logs {run.id} -f` follows it" in said
        assert f"`satconf runs stop {run.id}` stops it" in said
        assert term.proc.returncode == 0
    finally:
        term.close()
        for record in list_runs():
            run_satconf("runs", "stop", record.id)
