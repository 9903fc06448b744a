"""Problems with a file the user gave satconf: which file, which line, and why.

INI, profile and migration errors share this shape, so every command can
report `path:line: reason` the same way and never show a traceback.

The readers here also guarantee that a hostile file cannot hang or exhaust
satconf: only regular files are read (a FIFO, a device such as /dev/zero or a
socket is refused without blocking on it), at most `MAX_FILE_BYTES` of them,
and `check_shape` refuses parsed data nested deeper than `MAX_DEPTH` and integers too long
to print (and, where asked, text holding NUL characters).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

# Far above any real defaults.ini, profile, record or YAML config; far below memory trouble.
MAX_FILE_BYTES = 8 * 1024 * 1024
# Configs nest a few levels; the parsers and everything after them recurse per level.
MAX_DEPTH = 64
# Python refuses to turn longer integers into text (sys.int_info.default_max_str_digits).
MAX_INT_DIGITS = 4000


class FileProblem(Exception):
    def __init__(self, path: Path | str | None, line: int | None, reason: str) -> None:
        self.path = Path(path) if path is not None else None
        self.line = line
        self.reason = reason
        if self.path is None:
            message = reason
        else:
            message = f"{self.path}:{line}: {reason}" if line else f"{self.path}: {reason}"
        super().__init__(message)


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_limited(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """A regular file's bytes (at most `limit`); OSError, or ValueError saying why not.

    O_NONBLOCK keeps open() from waiting for a FIFO's writer; the file type is
    checked on the open descriptor, so a swap after a check cannot fool it.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(21, "Is a directory", str(path))
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"is {_kind(info.st_mode)}, not a file")
        if info.st_size > limit:
            raise ValueError(f"is too large ({info.st_size:,} bytes; the limit is {limit:,})")
        chunks: list[bytes] = []
        total = 0
        while chunk := os.read(fd, 1 << 16):
            total += len(chunk)
            if total > limit:  # it grew while being read
                raise ValueError(f"is too large (over {limit:,} bytes)")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_bytes(path: Path, error: type[FileProblem], limit: int = MAX_FILE_BYTES) -> bytes:
    """The file's bytes, or `error` saying plainly why they cannot be had."""
    try:
        return read_limited(Path(path), limit)
    except FileNotFoundError:
        raise error(path, None, "does not exist") from None
    except IsADirectoryError:
        raise error(path, None, "is a folder, not a file") from None
    except ValueError as exc:
        raise error(path, None, str(exc)) from None
    except OSError as exc:
        if exc.errno == 40:  # ELOOP
            raise error(path, None, "is a symbolic link loop") from None
        raise error(path, None, f"cannot be read ({exc.strerror})") from None


def decode_text(data: bytes, path: Path | None, error: type[FileProblem],
                kind: str = "a text file") -> str:
    """UTF-8 text (a BOM is dropped), or `error`: binary data, or the line of the first bad byte."""
    if b"\x00" in data:
        raise error(path, None, f"is a binary file, not {kind}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise error(path, line, f"is not UTF-8 text (byte 0x{data[exc.start]:02x})") from None


def read_text(path: Path, error: type[FileProblem], kind: str = "a text file") -> str:
    """`read_bytes` then `decode_text`: a file's text, or `error` saying why not."""
    return decode_text(read_bytes(path, error), path, error, kind)


def shape_problem(value: Any, max_depth: int = MAX_DEPTH, *, nul: bool = False) -> str | None:
    """Why parsed data is unfit for satconf (too deep, a huge integer; with `nul`, text
    holding a NUL character, which no command line or path can carry), or None.

    Iterative, so that data nested far deeper than the recursion limit is
    judged rather than crashing; containers shared by reference (YAML aliases)
    are looked at once.
    """
    seen: set[int] = set()
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if nul and "\x00" in item:
                return f"holds a NUL character in {item[:40]!r}"
            continue
        if type(item) is int and item.bit_length() > MAX_INT_DIGITS * 3.3:
            return f"holds an integer of more than {MAX_INT_DIGITS} digits"
        if isinstance(item, dict | list | tuple | set | frozenset):
            if depth >= max_depth:
                return f"is nested more than {max_depth} levels deep"
            if id(item) in seen:
                continue
            seen.add(id(item))
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else list(item)
            stack.extend((child, depth + 1) for child in children)
    return None


def check_shape(value: Any, path: Path | None, error: type[FileProblem]) -> None:
    """`error` when `shape_problem` finds one."""
    problem = shape_problem(value)
    if problem is not None:
        raise error(path, None, problem)

