"""Problems with a file the user gave satconf: which file, which line, and why.

INI, profile and migration errors share this shape, so every command can
report `path:line: reason` the same way and never show a traceback.
"""

from __future__ import annotations

from pathlib import Path


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


def read_bytes(path: Path, error: type[FileProblem]) -> bytes:
    """The file's bytes, or `error` saying plainly why they cannot be had."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise error(path, None, "does not exist") from None
    except IsADirectoryError:
        raise error(path, None, "is a folder, not a file") from None
    except OSError as exc:
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
