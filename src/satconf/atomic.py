"""Atomic file writes: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def atomic_write_bytes(path: Path | str, data: bytes, *, mode: int = 0o644,
                       exclusive: bool = False) -> None:
    """Write `data` to a temporary file beside `path`, fsync it, then rename over `path`.

    With `exclusive`, an existing `path` is never replaced: FileExistsError instead.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
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


def atomic_write_text(path: Path | str, text: str, *, mode: int = 0o644) -> None:
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
