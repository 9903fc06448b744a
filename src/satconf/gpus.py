"""The one seam for listing this machine's GPUs: NVML, or a JSON file in tests.

NVML (`pynvml` from nvidia-ml-py) needs only the driver, not torch, so the
list is cheap enough for the form. No driver means an empty list and a plain
message, never a crash. `SATCONF_FAKE_GPUS=/path/to.json` replaces NVML with
the file's contents, so tests and TUI screenshots see the same GPUs anywhere.

Fake file format: a list of GPU objects, or `{"gpus": [...], "error": "..."}`.
Each object takes the `GpuInfo` fields; `index` defaults to its position,
`capability` is `[major, minor]` or `"8.0"`, memory is in MiB.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

FAKE_ENV = "SATCONF_FAKE_GPUS"
NO_DRIVER = "No NVIDIA driver found"
# A GPU counts as busy when another process holds this much memory or it is this
# utilised: launching there would share the card or run out of memory.
BUSY_MEMORY_MIB = 1024
BUSY_UTILIZATION = 10

Capability = tuple[int, int]


@dataclass(frozen=True)
class GpuInfo:
    index: int
    name: str
    memory_used: int  # MiB
    memory_total: int  # MiB
    utilization: int | None  # percent; None when the driver will not say
    busy: bool
    capability: Capability | None = None

    @property
    def capability_text(self) -> str:
        return f"{self.capability[0]}.{self.capability[1]}" if self.capability else "?"

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["capability"] = list(self.capability) if self.capability else None
        return out


@dataclass(frozen=True)
class GpuListing:
    gpus: list[GpuInfo] = field(default_factory=list)
    error: str | None = None  # why the list is empty or partial, in plain words

    def by_index(self) -> dict[int, GpuInfo]:
        return {g.index: g for g in self.gpus}

    def to_json(self) -> dict[str, Any]:
        return {"gpus": [g.to_json() for g in self.gpus], "error": self.error}


def is_busy(memory_used: int, utilization: int | None) -> bool:
    return memory_used >= BUSY_MEMORY_MIB or (utilization or 0) >= BUSY_UTILIZATION


def parse_capability(value: Any) -> Capability | None:
    """`[8, 0]`, `(8, 0)`, `"8.0"` or `8.0` -> (8, 0); anything else -> None."""
    if value is None:
        return None
    try:
        if isinstance(value, (list, tuple)) and len(value) == 2:
            return int(value[0]), int(value[1])
        if isinstance(value, (str, float, int)) and not isinstance(value, bool):
            major, _, minor = str(value).strip().partition(".")
            return int(major), int(minor or 0)
    except (TypeError, ValueError):
        return None
    return None


def list_gpus() -> GpuListing:
    """The GPUs of this machine (or of `$SATCONF_FAKE_GPUS`); never raises."""
    fake = os.environ.get(FAKE_ENV)
    if fake:
        return _from_file(Path(fake))
    return _from_nvml()


def _from_file(path: Path) -> GpuListing:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return GpuListing([], f"{FAKE_ENV}: cannot read {path}: {exc}")
    error: str | None = None
    if isinstance(data, dict):
        error = data.get("error")
        data = data.get("gpus", [])
    if not isinstance(data, list):
        return GpuListing([], f"{FAKE_ENV}: {path} must hold a list of GPUs")
    gpus: list[GpuInfo] = []
    for pos, item in enumerate(data):
        if not isinstance(item, dict):
            return GpuListing([], f"{FAKE_ENV}: GPU #{pos} in {path} is not an object")
        try:
            used = int(item.get("memory_used", 0))
            util = item.get("utilization")
            util = None if util is None else int(util)
            gpus.append(GpuInfo(
                index=int(item.get("index", pos)), name=str(item.get("name", "GPU")),
                memory_used=used, memory_total=int(item.get("memory_total", 0)),
                utilization=util, busy=bool(item.get("busy", is_busy(used, util))),
                capability=parse_capability(item.get("capability")),
            ))
        except (TypeError, ValueError) as exc:
            return GpuListing([], f"{FAKE_ENV}: GPU #{pos} in {path}: {exc}")
    return GpuListing(gpus, error if isinstance(error, str) else None)


def _from_nvml() -> GpuListing:
    try:
        import pynvml
    except ImportError:
        return GpuListing([], "nvidia-ml-py is not installed; cannot list GPUs")
    try:
        pynvml.nvmlInit()
    except Exception:  # NVMLError_LibraryNotFound, DriverNotLoaded, ... all mean no GPUs
        return GpuListing([], NO_DRIVER)
    try:
        count = pynvml.nvmlDeviceGetCount()
        gpus = [_one(pynvml, i) for i in range(count)]
        return GpuListing(gpus, None if gpus else "The NVIDIA driver sees no GPUs")
    except Exception as exc:  # a driver fault must not take the form down
        return GpuListing([], f"NVML error: {exc}")
    finally:
        with contextlib.suppress(Exception):
            pynvml.nvmlShutdown()


def _one(pynvml: Any, index: int) -> GpuInfo:
    handle = pynvml.nvmlDeviceGetHandleByIndex(index)
    name = pynvml.nvmlDeviceGetName(handle)
    if isinstance(name, bytes):
        name = name.decode(errors="replace")
    mem = pynvml.nvmlDeviceGetMemoryInfo(handle)
    used, total = int(mem.used) // 2**20, int(mem.total) // 2**20
    try:
        util: int | None = int(pynvml.nvmlDeviceGetUtilizationRates(handle).gpu)
    except Exception:
        util = None
    try:
        cap: Capability | None = tuple(pynvml.nvmlDeviceGetCudaComputeCapability(handle))  # type: ignore[assignment]
    except Exception:
        cap = None
    return GpuInfo(index, str(name), used, total, util, is_busy(used, util), cap)
