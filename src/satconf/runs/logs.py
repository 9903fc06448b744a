"""Reading a run's log: the last lines, or every line as it is written."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

TAIL_BYTES = 256 * 1024


def _decode(raw: bytes) -> str:
    """One line as a terminal shows it: a progress bar's `\r` redraws leave the last one."""
    text = raw.decode("utf-8", "replace")
    if "\r" in text:
        parts = [p for p in text.split("\r") if p]
        text = parts[-1] if parts else ""
    return text


def tail_lines(path: Path, n: int = 20) -> list[str]:
    """The last `n` lines of the file (fewer if it is shorter; none if it is missing)."""
    try:
        with open(path, "rb") as f:
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


def follow_chunks(path: Path, stop_event: threading.Event | None = None, *,
                  from_start: bool = True, until: Callable[[], bool] | None = None,
                  poll: float = 0.1, until_every: float = 0.5) -> Iterator[bytes]:
    """Yield the log's bytes as they are written, in whatever pieces they come.

    Ends when `stop_event` is set (a thread's way to end it), or when `until()`
    turns true (e.g. the run ended) after the rest has been read. `until` is
    called on a clock, also while data pours in, so it may act too (the
    foreground launch handles Ctrl-C there). A file that does not exist yet is
    waited for; a file cut short is read from its start again.
    """
    f = None
    pos = 0
    checked = 0.0
    try:
        while True:
            if f is None:
                try:
                    f = open(path, "rb")  # noqa: SIM115 - held across yields
                    if not from_start:
                        f.seek(0, 2)
                    pos = f.tell()
                except FileNotFoundError:
                    f = None
            chunk = b""
            if f is not None:
                try:
                    if path.stat().st_size < pos:
                        f.seek(0)
                        pos = 0
                except FileNotFoundError:
                    pass
                chunk = f.read()
                pos += len(chunk)
            if chunk:
                yield chunk
            if stop_event is not None and stop_event.is_set():
                return
            now = time.monotonic()
            if until is not None and now - checked >= until_every:
                checked = now
                if until():
                    rest = f.read() if f is not None else b""
                    if rest:
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
    if pending and not (stop_event is not None and stop_event.is_set()):
        yield _decode(pending)
