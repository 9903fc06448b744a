"""Atomic file writes: a reader sees the old file or the new one, never half of one.

A new file gets the mode the user's umask gives (as `open()` would), unless
the caller asks for a stricter one: run records and logs, which hold
commands and environments, are written 0600.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def current_umask() -> int:
    """The process's umask, read without changing it where the kernel tells it."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # the only portable way to read it: set and restore at once
    os.umask(mask)
    return mask


def default_mode() -> int:
    return 0o666 & ~current_umask()


def atomic_write_bytes(path: Path | str, data: bytes, *, mode: int | None = None,
                       exclusive: bool = False) -> None:
    """Write `data` to a temporary file beside `path`, fsync it, then rename over `path`.

    `mode` None follows the umask. With `exclusive`, an existing `path` is
    never replaced: FileExistsError instead.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes the file 0600; widen it only as far as asked (or the umask allows).
        os.fchmod(fd, default_mode() if mode is None else mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if exclusive:
            _link_new(tmp, path)
        else:
            os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)  # gone already after a rename; the leftover name after a link
    fsync_dir(path.parent)


def _link_new(tmp: str, path: Path) -> None:
    try:
        os.link(tmp, path)  # atomic, and refuses an existing name
    except FileExistsError:
        raise
    except OSError:
        # A filesystem without hard links: check, then rename (a narrow race).
        if path.exists():
            raise FileExistsError(path) from None
        os.replace(tmp, path)


def atomic_write_text(path: Path | str, text: str, *, mode: int | None = None) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), mode=mode)


def fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable; not every filesystem allows it.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
