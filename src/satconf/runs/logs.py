"""Reading a run's log: the last lines, all of it, or every line as it is written.

Memory stays constant whatever the log's size: the tail reads at most
`TAIL_BYTES`, `copy_log` streams in pieces, and following holds one piece at
a time. Following goes by name, like `tail -F`: when the file is rotated
(renamed away and a new one made), deleted and made again, or cut short, the
rest of the old file is read once and the new file from its start; nothing
is printed twice.
"""

from __future__ import annotations

import os
import stat
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

TAIL_BYTES = 256 * 1024
MAX_LINE_BYTES = 1 << 20  # a "line" longer than this (no newline for a MiB) is cut


def open_log(path: Path) -> BinaryIO | None:
    """The log opened for reading; None when it is missing or not a regular file (a FIFO
    or a device put in its place is never waited on, nor read for ever)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            return None
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except OSError:
        os.close(fd)
        return None


def _decode(raw: bytes) -> str:
    """One line as a terminal shows it: a progress bar's `\r` redraws leave the last one."""
    text = raw.decode("utf-8", "replace")
    if "\r" in text:
        parts = [p for p in text.split("\r") if p]
        text = parts[-1] if parts else ""
    return text


def tail_lines(path: Path, n: int = 20) -> list[str]:
    """The last `n` lines of the file (fewer if it is shorter; none if it is missing)."""
    f = open_log(path)
    if f is None:
        return []
    try:
        with f:
            f.seek(0, 2)
            size = f.tell()
            f.seek(max(0, size - TAIL_BYTES))
            raw = f.read()
    except OSError:
        return []
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if size > TAIL_BYTES and lines:
        lines = lines[1:]  # probably cut in the middle
    return [_decode(line) for line in lines[-n:]] if n > 0 else []


def copy_log(path: Path, out: BinaryIO, chunk: int = 1 << 16) -> None:
    """Write the whole log to `out` in pieces (a missing log writes nothing)."""
    f = open_log(path)
    if f is None:
        return
    with f:
        while piece := f.read(chunk):
            out.write(piece)


def _identity(st: os.stat_result) -> tuple[int, int]:
    return st.st_dev, st.st_ino


def follow_chunks(path: Path, stop_event: threading.Event | None = None, *,
                  from_start: bool = True, until: Callable[[], bool] | None = None,
                  poll: float = 0.1, until_every: float = 0.5,
                  chunk_bytes: int = 1 << 20) -> Iterator[bytes]:
    """Yield the log's bytes as they are written, in pieces of at most `chunk_bytes`.

    Ends when `stop_event` is set (a thread's way to end it), or when `until()`
    turns true (e.g. the run ended) after the rest has been read. `until` is
    called on a clock, also while data pours in, so it may act too (the
    foreground launch handles Ctrl-C there). A file that does not exist yet is
    waited for; a file cut short is read from its start again; a file replaced
    under the same name (rotation) is finished, then the new one is read.
    """
    f = None
    ident: tuple[int, int] | None = None
    checked = 0.0
    try:
        while True:
            if f is None:
                f = open_log(path)
                if f is not None:
                    ident = _identity(os.fstat(f.fileno()))
                    if not from_start:
                        f.seek(0, 2)
                from_start = True  # a file made after the follow began is read whole
            chunk = f.read(chunk_bytes) if f is not None else b""
            if f is not None and not chunk:
                # At the end of what we hold: has the name moved on, or the file shrunk?
                try:
                    now_st = os.stat(path)
                except FileNotFoundError:
                    now_st = None
                if now_st is None or _identity(now_st) != ident:
                    rest = f.read()  # written between the read above and the rename
                    f.close()
                    f = None
                    if rest:
                        yield rest
                    if now_st is not None:
                        continue  # the new file, at once
                elif now_st.st_size < f.tell():
                    f.seek(0)  # cut short in place (`: > train.log`): its new content
                    continue
            if chunk:
                yield chunk
            if stop_event is not None and stop_event.is_set():
                return
            now = time.monotonic()
            if until is not None and now - checked >= until_every:
                checked = now
                if until():
                    if f is not None:
                        while rest := f.read(chunk_bytes):
                            yield rest
                    return
            if chunk:
                continue
            if stop_event is not None:
                stop_event.wait(poll)
            else:
                time.sleep(poll)
    finally:
        if f is not None:
            f.close()


def follow_log(path: Path, stop_event: threading.Event | None = None, *,
               from_start: bool = True, until: Callable[[], bool] | None = None,
               poll: float = 0.1, until_every: float = 0.5) -> Iterator[str]:
    """Yield the log's lines (without newline) as they are written; see `follow_chunks`.

    A last line without a newline is yielded when following ends by `until`.
    """
    pending = b""
    for chunk in follow_chunks(path, stop_event, from_start=from_start, until=until,
                               poll=poll, until_every=until_every):
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            yield _decode(line)
        while len(pending) > MAX_LINE_BYTES:  # a line without end: shown in pieces
            yield _decode(pending[:MAX_LINE_BYTES])
            pending = pending[MAX_LINE_BYTES:]
    if pending and not (stop_event is not None and stop_event.is_set()):
        yield _decode(pending)
