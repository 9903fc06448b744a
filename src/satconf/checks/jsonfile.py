"""Read a JSON config the way train.py would, but report problems with line and column."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from satconf.checks.finding import Finding, error

# A model or dataset config is a few KiB; anything this large is a mistaken path
# (a checkpoint, an audio file) and is not worth reading to say so.
MAX_JSON_BYTES = 8 * 2**20


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} B"


def load_json(path: Path, field: str, what: str) -> tuple[Any, list[Finding]]:
    """The parsed object, or None and the findings saying why not."""
    try:
        size = path.stat().st_size
        if size > MAX_JSON_BYTES:
            return None, [error(field, f"{path} is {_size(size)}, far too large for a {what}",
                                "point it at the JSON config; is this a checkpoint or "
                                "audio file?")]
        raw = path.read_bytes()
    except OSError as exc:
        return None, [error(field, f"{path} cannot be read: {exc.strerror or exc}")]
    if b"\x00" in raw[:65536]:
        return None, [error(field, f"{path} is a binary file, not a JSON {what}",
                            "point it at the .json config file")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [error(field, f"{path} is not UTF-8 text (line {line})",
                            "save the file as UTF-8 JSON")]
    if not text.strip():
        return None, [error(field, f"{path} is empty", f"a {what} is a JSON object")]
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, [error(field, f"{path}: line {exc.lineno} column {exc.colno}: {exc.msg}",
                            "fix the JSON syntax there (train.py would stop with "
                            "json.decoder.JSONDecodeError)")]
    except RecursionError:
        return None, [error(field, f"{path} is nested too deeply to read")]
    if not isinstance(data, dict):
        return None, [error(field, f"{path} holds a JSON {type(data).__name__}, "
                            f"but a {what} must be a JSON object {{...}}")]
    return data, []
