"""What a queued run asks for, and how a request fits the devices that are free.

A request is a number of GPUs (`--gpus 2`: any two), given GPUs (`--gpus 0,1`,
or `--gpus 2,` for GPU 2 alone), or one CPU slot (`--slots K`: the demo on a
machine without GPUs). Fitting is a pure function, so the scheduler's choice can
be tested without processes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CPU = "cpu"


class RequestError(ValueError):
    """A GPU request that cannot be read; the message says how to write it."""


@dataclass(frozen=True)
class GpuRequest:
    count: int = 1  # how many devices (GPUs, or CPU slots)
    ids: tuple[int, ...] | None = None  # these GPUs exactly
    cpu: bool = False  # a CPU slot instead of GPUs
    min_free_mib: int | None = None  # per GPU

    def to_json(self) -> dict[str, Any]:
        return {"count": self.count, "ids": list(self.ids) if self.ids is not None else None,
                "cpu": self.cpu, "min_free_mib": self.min_free_mib}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GpuRequest:
        ids = data.get("ids")
        return cls(count=int(data.get("count", 1)), ids=tuple(int(i) for i in ids)
                   if isinstance(ids, list) else None, cpu=bool(data.get("cpu")),
                   min_free_mib=data.get("min_free_mib"))

    def describe(self) -> str:
        if self.cpu:
            return "1 CPU slot"
        text = ("GPU " + ",".join(map(str, self.ids)) if self.ids is not None
                else f"any {self.count} GPU{'s' if self.count != 1 else ''}")
        return text + (f", {self.min_free_mib} MiB free each" if self.min_free_mib else "")


def parse_request(gpus: str | None, *, slots: int | None = None,
                  min_free_mib: int | None = None) -> GpuRequest:
    """`--gpus` text (a count, or a list with a comma) and `--slots`, as one request."""
    if slots is not None:
        if slots < 1:
            raise RequestError("--slots must be 1 or more")
        if gpus not in (None, "", "0", "none", "cpu"):
            raise RequestError("--slots queues a CPU run: leave out --gpus")
        return GpuRequest(count=1, cpu=True)
    if min_free_mib is not None and min_free_mib < 0:
        raise RequestError("--min-free-mem must be 0 or more (MiB)")
    text = (gpus or "1").strip()
    if "," not in text:
        if not text.isdigit() or int(text) < 1:
            raise RequestError(f"--gpus {text!r}: give a count (2: any two) or a list (0,1; "
                               "2, for GPU 2 alone)")
        return GpuRequest(count=int(text), min_free_mib=min_free_mib)
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts or not all(p.isdigit() for p in parts):
        raise RequestError(f"--gpus {text!r}: write GPU indices such as 0,1")
    ids = tuple(dict.fromkeys(int(p) for p in parts))
    return GpuRequest(count=len(ids), ids=ids, min_free_mib=min_free_mib)


def fit(request: GpuRequest, free: dict[int, int | None], *,
        free_slots: list[int] | None = None) -> list[int] | None:
    """The devices to give `request`, or None when it must wait.

    `free` maps each free GPU to its free memory in MiB (None: unknown);
    `free_slots` are the free CPU slot numbers. The lowest indices are taken, so
    assignments are predictable."""
    if request.cpu:
        return [min(free_slots)] if free_slots else None

    def enough(gpu: int) -> bool:
        mem = free.get(gpu)
        return request.min_free_mib is None or (mem is not None and mem >= request.min_free_mib)

    if request.ids is not None:
        return list(request.ids) if all(g in free and enough(g) for g in request.ids) else None
    usable = sorted(g for g in free if enough(g))
    return usable[:request.count] if len(usable) >= request.count else None
