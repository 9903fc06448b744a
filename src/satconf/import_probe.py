"""Does train.py's start-up get past its own imports in the training python?

Lightning 2.1 without `pkg_resources`, wandb beside too old a protobuf, a
checkout whose package needs `safetensors`: none of this shows in a package
list, all of it ends train.py at its first lines. `probe_imports` runs
train.py's top-level import statements (`probe_main.py --imports`) in a
subprocess of the training python, from train.py's folder, and caches the
answer per interpreter, package set and statement list, like
`environment.probe`: a valid cache answers in milliseconds without a
subprocess. It never raises and never hangs.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from satconf.atomic import atomic_write_text
from satconf.environment import (
    PROBE_SCRIPT,
    ProbeTimeout,
    _fingerprint,
    _parse_output,
    resolve_python,
    run_captured,
)
from satconf.workspace import cache_dir

CACHE_VERSION = 1
DEFAULT_TIMEOUT = 120.0


@dataclass(frozen=True)
class ImportResult:
    statements: tuple[str, ...]
    failed_index: int | None = None  # which statement failed, None when all imported
    error: str = ""  # the traceback's last line
    traceback: str = ""
    problem: str | None = None  # the probe itself could not run or answer
    probed_at: float = 0.0

    @property
    def ok(self) -> bool:
        return self.problem is None and self.failed_index is None


def _cache_file(exe: str, root: Path | None, statements: tuple[str, ...],
                cache: Path | None) -> Path:
    raw = json.dumps([exe, str(root or ""), list(statements)])
    digest = hashlib.sha256(raw.encode()).hexdigest()[:24]
    return (cache or cache_dir() / "imports") / f"{digest}.json"


def cached_imports(python: str, root: Path, statements: tuple[str, ...], *,
                   cache: Path | None = None, local: bool = True) -> ImportResult | None:
    """The cached answer while the interpreter and its packages are unchanged.

    `local` False: no statement imports a module of the workspace itself, so the
    answer holds for any workspace with the same imports (one probe for many copies)."""
    exe = resolve_python(python)
    if exe is None:
        return None
    key_root = root if local else None
    try:
        data = json.loads(_cache_file(exe, key_root, statements, cache).read_text("utf-8"))
        if data.get("version") != CACHE_VERSION:
            return None
        key = data["key"]
        if _fingerprint(exe, list(key.get("site") or [])) != key:
            return None
        r = data["result"]
        return ImportResult(statements, r.get("failed_index"), str(r.get("error") or ""),
                            str(r.get("traceback") or ""), None, float(r.get("probed_at", 0)))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def probe_imports(python: str, root: Path, statements: tuple[str, ...], *,
                  timeout: float = DEFAULT_TIMEOUT, cache: Path | None = None,
                  newer_than: float = 0.0, local: bool = True) -> ImportResult:
    """Run the statements in the training python (from the cache when it still holds).

    `newer_than`: a cached answer older than this is run again (the environment
    probe's time: `satconf check --refresh` re-probes both).
    """
    hit = cached_imports(python, root, statements, cache=cache, local=local)
    if hit is not None and hit.probed_at >= newer_than:
        return hit
    exe = resolve_python(python)
    if exe is None:
        return ImportResult(statements, problem=f"the training python {python!r} does not exist")
    request = json.dumps({"root": str(root), "statements": list(statements)})
    try:
        code, stdout, stderr = run_captured([exe, str(PROBE_SCRIPT), "--imports", request],
                                            timeout)
    except ProbeTimeout:
        return ImportResult(statements, problem=f"importing them took longer than {timeout:g} s")
    except OSError as exc:
        return ImportResult(statements, problem=f"the training python cannot be started "
                            f"({exc.strerror or exc})")
    data = _parse_output(stdout)
    if data is None:
        tail = (stderr.strip().splitlines() or ["no output"])[-1]
        return ImportResult(statements, problem=f"the probe failed (exit {code}): {tail}")
    failed = data.get("failed") if isinstance(data.get("failed"), dict) else None
    result = ImportResult(
        statements, None if failed is None else int(failed.get("index", 0)),
        "" if failed is None else str(failed.get("error") or ""),
        "" if failed is None else str(failed.get("traceback") or ""), None, time.time())
    _write(exe, root if local else None, statements, cache, list(data.get("site_dirs") or []),
           result)
    return result


def _write(exe: str, root: Path | None, statements: tuple[str, ...], cache: Path | None,
           site: list[str], result: ImportResult) -> None:
    record: dict[str, Any] = {
        "version": CACHE_VERSION, "key": _fingerprint(exe, site),
        "result": {"failed_index": result.failed_index, "error": result.error,
                   "traceback": result.traceback, "probed_at": result.probed_at}}
    try:
        path = _cache_file(exe, root, statements, cache)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(record))
    except OSError:
        pass  # the next check probes again
