"""Folders nobody can write and files nobody can read, for root too (CI runs as root).

chmod does not stop root, so as root a folder is made read-only by a read-only bind
mount of itself (the kernel refuses every write: EROFS), and a file is made unreadable
by reading it from a child process whose capability bounding set lacks DAC override
(`setpriv`), so the permission bits apply to it as to any user. As another user the
plain chmod does both. A test skips, with the reason, only where neither can be made.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
DROP_DAC = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]


@contextlib.contextmanager
def read_only_folder(folder: Path) -> Iterator[str]:
    """`folder` refuses writes while inside; yields the error text a write then gets."""
    if not IS_ROOT:
        folder.chmod(0o555)
        try:
            yield "Permission denied"
        finally:
            folder.chmod(0o755)
        return
    bind = subprocess.run(["mount", "--bind", str(folder), str(folder)],
                          capture_output=True, text=True)
    if bind.returncode != 0:
        pytest.skip(f"root, and a read-only bind mount cannot be made: {bind.stderr.strip()}")
    try:
        ro = subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)],
                            capture_output=True, text=True)
        if ro.returncode != 0:
            pytest.skip(f"root, and the bind mount cannot be made read-only: {ro.stderr.strip()}")
        yield "Read-only file system"
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def without_dac_override(argv: list[str]) -> list[str]:
    """`argv` run so that file permission bits apply to it, even as root."""
    if not IS_ROOT:
        return argv
    if shutil.which("setpriv") is None:
        pytest.skip("root, and setpriv (util-linux) is missing to drop CAP_DAC_OVERRIDE")
    probe = subprocess.run([*DROP_DAC, "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"root, and CAP_DAC_OVERRIDE cannot be dropped: {probe.stderr.strip()}")
    return [*DROP_DAC, *argv]
