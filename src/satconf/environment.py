"""What the training interpreter offers: torch, Lightning, GPUs, optional packages.

`probe()` runs `probe_main.py` in a subprocess of the training python (so
satconf's own process never imports torch or Lightning) and caches the answer
under `cache_dir()/environment/`. The cache key is the interpreter's path and
mtime plus the names of the `*.dist-info`/`*.egg-info` entries in its package
folders (names carry versions), which a few `os.listdir` calls give in
milliseconds: a second start costs no subprocess. A missing or broken
interpreter, or one that takes too long, gives an `EnvironmentInfo` whose
`error` says why; probing never raises and never hangs.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import netrc
import os
import shutil
import signal
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from satconf import probe_main
from satconf.atomic import atomic_write_text
from satconf.workspace import cache_dir

PROBE_SCRIPT = Path(__file__).with_name("probe_main.py")
MARKER = probe_main.MARKER
CACHE_VERSION = 2  # 2: probes made while satconf/queue/ shadowed the stdlib are stale
DEFAULT_TIMEOUT = 120.0  # importing torch + Lightning takes seconds on a busy machine
_DIST_SUFFIXES = probe_main._DIST_SUFFIXES
WANDB_HOST = "api.wandb.ai"


@dataclass(frozen=True)
class ProbeGpu:
    index: int
    name: str
    capability: tuple[int, int] | None
    memory_total: int  # MiB


@dataclass(frozen=True)
class EnvironmentInfo:
    python: str  # the interpreter asked for, as given
    error: str | None = None  # set when the probe could not run or answer
    python_version: str | None = None
    torch: str | None = None
    lightning: str | None = None
    pytorch_lightning: str | None = None
    cuda_available: bool = False
    cuda_version: str | None = None
    gpus: tuple[ProbeGpu, ...] = ()
    strategies: tuple[str, ...] = ()  # empty: Lightning missing, names unknown
    precisions: tuple[str, ...] = ()
    packages: dict[str, bool] = field(default_factory=dict)  # importable, by spec lookup
    problems: tuple[str, ...] = ()  # partial failures inside the probe
    wandb_logged_in: bool = False  # computed fresh, never cached, never the key itself
    cached: bool = False
    probed_at: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None

    def has(self, package: str) -> bool:
        return bool(self.packages.get(package))

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["gpus"] = [{**asdict(g), "capability": list(g.capability) if g.capability else None}
                       for g in self.gpus]
        return out


def wandb_logged_in(env: dict[str, str] | None = None) -> bool:
    """Whether wandb would find a login: `WANDB_API_KEY` or a netrc entry; a yes/no only."""
    env = dict(os.environ if env is None else env)
    if env.get("WANDB_API_KEY", "").strip():
        return True
    path = Path(env.get("NETRC") or Path(env.get("HOME") or Path.home()) / ".netrc")
    try:
        return netrc.netrc(str(path)).authenticators(WANDB_HOST) is not None
    except (OSError, netrc.NetrcParseError):
        return False


def resolve_python(python: str) -> str | None:
    """An absolute path for `python` (a path or a name on PATH), or None if absent."""
    if os.sep in python or (os.altsep and os.altsep in python):
        path = Path(python).expanduser()
        return str(path.absolute()) if path.is_file() else None
    found = shutil.which(python)
    return str(Path(found).absolute()) if found else None


def probe(python: str, *, refresh: bool = False, timeout: float = DEFAULT_TIMEOUT,
          cache: Path | None = None) -> EnvironmentInfo:
    """The training interpreter's environment, from the cache when still valid."""
    login = wandb_logged_in()
    exe = resolve_python(python)
    if exe is None:
        return EnvironmentInfo(python=python, error=f"the training python {python!r} "
                               "does not exist or is not a file", wandb_logged_in=login)
    path = _cache_file(exe, cache)
    if not refresh:
        hit = _read_cache(path, exe)
        if hit is not None:
            return replace(hit, python=python, cached=True, wandb_logged_in=login)
    info, site = _run_probe(python, exe, timeout)
    if info.error is None:
        _write_cache(path, exe, site, info)
    return replace(info, wandb_logged_in=login)


def cached_probe(python: str, *, cache: Path | None = None) -> EnvironmentInfo | None:
    """The cached answer if it still holds, without ever starting a subprocess."""
    exe = resolve_python(python)
    if exe is None:
        return None
    hit = _read_cache(_cache_file(exe, cache), exe)
    return None if hit is None else replace(hit, python=python, cached=True,
                                            wandb_logged_in=wandb_logged_in())


class ProbeTimeout(Exception):
    pass


def run_captured(argv: list[str], timeout: float) -> tuple[int, str, str]:
    """Run `argv` with a hard time limit; on timeout the whole process group is killed.

    `subprocess.run(timeout=...)` kills only the child and then waits for its
    pipes, which a grandchild can hold open for ever: a new session avoids that.
    """
    import subprocess  # only when a probe runs: the cached path starts nothing

    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, errors="replace", env=env,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise ProbeTimeout from None
    return proc.returncode, out, err


def _run_probe(python: str, exe: str, timeout: float) -> tuple[EnvironmentInfo, list[str]]:
    try:
        code, stdout, stderr = run_captured([exe, str(PROBE_SCRIPT)], timeout)
    except ProbeTimeout:
        return _failed(python, f"the training python {python} did not answer within "
                       f"{timeout:g} s (importing torch and Lightning)"), []
    except OSError as exc:
        return _failed(python, f"the training python {python} cannot be started: "
                       f"{exc.strerror or exc}"), []
    data = _parse_output(stdout)
    if data is None:
        tail = (stderr.strip().splitlines() or ["no output"])[-1]
        return _failed(python, f"the training python {python} failed to run the probe "
                       f"(exit {code}): {tail}"), []
    return _info_from(python, data, time.time()), list(data.get("site_dirs") or [])


def _failed(python: str, error: str) -> EnvironmentInfo:
    return EnvironmentInfo(python=python, error=error, probed_at=time.time())


def _parse_output(stdout: str) -> dict[str, Any] | None:
    for line in reversed(stdout.splitlines()):
        if line.startswith(MARKER):
            try:
                data = json.loads(line[len(MARKER):])
            except ValueError:
                return None
            return data if isinstance(data, dict) else None
    return None


def _capability(value: Any) -> tuple[int, int] | None:
    if isinstance(value, list) and len(value) == 2:
        try:
            return int(value[0]), int(value[1])
        except (TypeError, ValueError):
            return None
    return None


def _info_from(python: str, data: dict[str, Any], when: float) -> EnvironmentInfo:
    gpus = tuple(
        ProbeGpu(int(g.get("index", i)), str(g.get("name", "GPU")),
                 _capability(g.get("capability")), int(g.get("memory_total") or 0))
        for i, g in enumerate(data.get("gpus") or []) if isinstance(g, dict)
    )
    packages = data.get("packages") if isinstance(data.get("packages"), dict) else {}
    return EnvironmentInfo(
        python=python,
        python_version=data.get("python_version"),
        torch=data.get("torch"),
        lightning=data.get("lightning"),
        pytorch_lightning=data.get("pytorch_lightning"),
        cuda_available=bool(data.get("cuda_available")),
        cuda_version=data.get("cuda_version"),
        gpus=gpus,
        strategies=tuple(str(s) for s in data.get("strategies") or ()),
        precisions=tuple(str(p) for p in data.get("precisions") or ()),
        packages={str(k): bool(v) for k, v in packages.items()},
        problems=tuple(str(p) for p in data.get("problems") or ()),
        probed_at=when,
    )


# --- cache -----------------------------------------------------------------

def _cache_file(exe: str, cache: Path | None) -> Path:
    digest = hashlib.sha256(exe.encode()).hexdigest()[:20]
    return (cache or cache_dir() / "environment") / f"{digest}.json"


def _fingerprint(exe: str, site: list[str]) -> dict[str, Any]:
    """Cheap facts that change whenever the interpreter or its packages change."""
    st = os.stat(exe)  # follows a venv's symlink to the real binary
    names: list[str] = []
    for folder in site:
        try:
            names += [f"{folder}/{n}" for n in os.listdir(folder) if n.endswith(_DIST_SUFFIXES)]
        except OSError:
            names.append(f"{folder}/<missing>")
    packages = hashlib.sha256("\n".join(sorted(names)).encode()).hexdigest()
    return {"exe": exe, "mtime_ns": st.st_mtime_ns, "size": st.st_size, "site": site,
            "packages": packages, "cuda_visible": os.environ.get("CUDA_VISIBLE_DEVICES")}


def _read_cache(path: Path, exe: str) -> EnvironmentInfo | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        key = data["key"]
        if data.get("version") != CACHE_VERSION or key.get("exe") != exe:
            return None
        if _fingerprint(exe, list(key.get("site") or [])) != key:
            return None
        return _info_from(str(data["info"].get("python", exe)), data["info"],
                          float(data["info"].get("probed_at", 0.0)))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # no cache, or an unreadable one: probe again


def _write_cache(path: Path, exe: str, site: list[str], info: EnvironmentInfo) -> None:
    try:
        record = {"version": CACHE_VERSION, "key": _fingerprint(exe, site),
                  "info": {**info.to_json(), "wandb_logged_in": None}}
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(record, indent=1))
    except OSError:
        pass  # a cache that cannot be written only costs the next probe
