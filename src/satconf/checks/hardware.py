"""The training interpreter and the GPUs against precision, strategy and node count."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from satconf.checks.context import Context
from satconf.checks.finding import Finding, error, info, warning
from satconf.environment import EnvironmentInfo

BF16 = (8, 0)
TRANSFORMER_ENGINE = (8, 9)
CLUSTER_LAUNCHERS = ("slurm", "torchrun")
CAPABILITY_PRECISIONS = ("bf16", "transformer-engine")
_GPU_ACCELERATOR = re.compile(r"""accelerator\s*=\s*["']gpu["']""")
# A probe problem that is a package failing on import, not a partial answer.
_IMPORT_FAILURE = re.compile(r"^(import torch failed|[\w.]*lightning[\w.]*(\.StrategyRegistry)?): "
                             r"(ModuleNotFoundError|ImportError|AttributeError)")


@dataclass(frozen=True)
class SelectedGpu:
    index: int
    name: str
    capability: tuple[int, int] | None


def environment_findings(env: EnvironmentInfo, *, needs_prefigure: bool = True,
                         reason: str = "") -> list[Finding]:
    """The probe's answer as findings; `reason` says why this python (pythons.choose_python)."""
    if env.error:
        return [error(None, env.error, "set the training python (profile or workspace) to an "
                      "interpreter with torch and Lightning; satconf check --refresh probes "
                      "again")]
    out: list[Finding] = []
    if env.torch is None:
        out.append(error(None, f"torch is not installed in the training python {env.python}",
                         "install torch there, or choose the right interpreter"))
    if env.lightning is None and env.pytorch_lightning is None:
        out.append(error(None, f"Lightning is not installed in the training python "
                         f"{env.python}", "pip install lightning (train.py imports "
                         "pytorch_lightning)"))
    if needs_prefigure and not env.has("prefigure"):
        out.append(error(None, f"prefigure is not installed in the training python "
                         f"{env.python}; train.py imports it first",
                         "pip install prefigure==0.0.9"))
    broken = [p for p in env.problems if _IMPORT_FAILURE.search(p)]
    for problem in broken:
        out.append(error(None, f"the training python {env.python} has the package but cannot "
                         f"import it: {problem}", _import_hint(problem, env.python)))
    out += [warning(None, f"probe: {p}") for p in env.problems if p not in broken]
    pl = env.pytorch_lightning or env.lightning or "none"
    if any("lightning" in p.split(":")[0] for p in broken):
        pl += " (fails to import)"
    cuda = f"CUDA {env.cuda_version}" if env.cuda_available else "no CUDA"
    cached = ", cached" if env.cached else ""
    why = f", {reason}" if reason else ""
    out.append(info(None, f"training python {env.python_version or '?'} ({env.python}{why}): "
                    f"torch {env.torch or 'none'}, Lightning {pl}, {cuda}, "
                    f"{len(env.gpus)} GPU(s){cached}"))
    return out


def _import_hint(problem: str, python: str) -> str:
    from satconf.checks.imports import import_hint

    return import_hint(problem.split(": ", 1)[-1], problem, python)


def selected_gpus(ctx: Context, env: EnvironmentInfo, *,
                  nvml: bool) -> tuple[list[SelectedGpu], list[Finding]]:
    """The selected GPUs: the probe's when its torch sees CUDA, else NVML's (or the fake file's).

    NVML is asked only with `nvml`: its GPUs serve only for their compute capability,
    since a torch without CUDA cannot use them anyway.
    """
    known: list[SelectedGpu] = []
    if env.cuda_available and env.gpus:
        known = [SelectedGpu(g.index, g.name, g.capability) for g in env.gpus]
    elif nvml:
        from satconf.gpus import list_gpus

        known = [SelectedGpu(g.index, g.name, g.capability) for g in list_gpus().gpus]
    wanted = ctx.config.gpus
    if wanted is None:
        return known, []
    by_index = {g.index: g for g in known}
    missing = [i for i in wanted if i not in by_index]
    out = []
    if missing and known:
        have = ", ".join(str(i) for i in by_index)  # `known`: never empty here
        out.append(error("gpus", f"GPU {', '.join(map(str, missing))} does not exist "
                         f"(this machine has {have})", "pick GPUs from the list"))
    return [by_index[i] for i in wanted if i in by_index], out


def _too_old(gpus: list[SelectedGpu], need: tuple[int, int]) -> list[str]:
    return [f"GPU {g.index} {g.name} ({g.capability[0]}.{g.capability[1]})"
            for g in gpus if g.capability is not None and g.capability < need]


def check_hardware(ctx: Context, env: EnvironmentInfo) -> list[Finding]:
    precision = str(ctx.value("precision") or "")
    gpus, out = selected_gpus(ctx, env, nvml=precision.startswith(CAPABILITY_PRECISIONS))
    usable = gpus if env.cuda_available else []  # what torch, and so Lightning, can use
    if not usable and _GPU_ACCELERATOR.search(ctx.train_py_text()):
        if not env.cuda_available:
            seen = f"; NVML lists {len(gpus)} GPU(s), so torch is a CPU build" if gpus else ""
            torch = f"torch {env.torch}" if env.torch else "torch"
            out.append(error("gpus", f"{torch} in the training python sees no "
                             f"CUDA GPU{seen}, but train.py asks Lightning for "
                             "accelerator='gpu'", "run where there is an NVIDIA GPU, with a "
                             "CUDA build of torch"))
        else:
            out.append(error("gpus", "no GPU is selected, but train.py asks Lightning for "
                             "accelerator='gpu'", "select at least one GPU"))
    out += _precision(ctx, env, gpus) or _precision_without_gpu(ctx, usable)
    out += _strategy(ctx, env, usable)
    out += _nodes(ctx)
    return out


def _precision(ctx: Context, env: EnvironmentInfo, gpus: list[SelectedGpu]) -> list[Finding]:
    precision = str(ctx.value("precision") or "")
    if not precision:
        return []
    out: list[Finding] = []
    if env.precisions and precision not in env.precisions:
        out.append(error("precision", f"Lightning in the training python does not accept "
                         f"precision {precision!r}", f"use one of {', '.join(env.precisions)}"))
    if precision.startswith("bf16"):
        old = _too_old(gpus, BF16)
        if old:
            out.append(error("precision", f"{precision} needs compute capability 8.0 or "
                             f"newer; {', '.join(old)} cannot do it",
                             "use 16-mixed on these GPUs, or pick Ampere or newer GPUs"))
    if precision.startswith("transformer-engine"):
        if not env.has("transformer_engine"):
            out.append(error("precision", f"{precision} needs the transformer_engine package "
                             "in the training python", "install transformer-engine or use "
                             "bf16-mixed"))
        old = _too_old(gpus, TRANSFORMER_ENGINE)
        if old:
            out.append(error("precision", f"{precision} needs compute capability 8.9 or "
                             f"newer; {', '.join(old)} cannot do it", "use bf16-mixed"))
    return out


# What the capability-bound precisions need, said where no GPU can be used at all
# (16-mixed needs just a GPU: the "no GPU" error says that already).
_PRECISION_NEEDS = (
    ("bf16", "a CUDA GPU of compute capability 8.0 or newer (Ampere or later, e.g. A100, "
             "RTX 30xx)"),
    ("transformer-engine", "a CUDA GPU of compute capability 8.9 or newer (Ada/Hopper) and "
                           "the transformer_engine package"),
)


def _precision_without_gpu(ctx: Context, usable: list[SelectedGpu]) -> list[Finding]:
    precision = str(ctx.value("precision") or "")
    need = next((n for p, n in _PRECISION_NEEDS if precision.startswith(p)), None)
    if usable or need is None or not _GPU_ACCELERATOR.search(ctx.train_py_text()):
        return []  # Lightning runs bf16 on the CPU too, where train.py allows a CPU
    return [error("precision", f"precision {precision} needs {need}; no GPU is usable here",
                  "run on such a GPU; train.py asks Lightning for a GPU whatever the "
                  "precision")]


def _strategy(ctx: Context, env: EnvironmentInfo, gpus: list[SelectedGpu]) -> list[Finding]:
    value = ctx.value("strategy")
    if not isinstance(value, str) or not value:
        return []
    out: list[Finding] = []
    if env.strategies and value not in env.strategies:
        out.append(error("strategy", f"Lightning in the training python has no strategy "
                         f"{value!r}", "pick one it lists (satconf check --json shows them)"))
    if value.startswith("deepspeed") and not env.has("deepspeed"):
        out.append(error("strategy", f"strategy {value} needs the deepspeed package in the "
                         "training python", "pip install deepspeed, or use ddp"))
    if value.startswith("fsdp") and not gpus:
        out.append(error("strategy", f"strategy {value} needs a GPU; none is available",
                         "use a GPU machine or strategy auto"))
    if value == "ddp" and len(gpus) > 1:
        out.append(warning("strategy", f"plain ddp on {len(gpus)} GPUs stops at the first "
                           "step when a model has parameters without gradients, as "
                           "stable-audio-tools' models do",
                           "use ddp_find_unused_parameters_true"))
    return out


def launch_engine(options: dict[str, Any]) -> str:
    """The profile's engine (`options["cluster"]["engine"]`, as satconf.cluster keeps it)."""
    cluster = options.get("cluster")
    engine = cluster.get("engine") if isinstance(cluster, dict) else options.get("launcher")
    return str(engine or "local").lower()


def _nodes(ctx: Context) -> list[Finding]:
    nodes = ctx.value("num_nodes")
    if not isinstance(nodes, int) or nodes <= 1:
        return []
    launcher = launch_engine(ctx.config.options)
    if launcher in CLUSTER_LAUNCHERS:
        return [info("num_nodes", f"num_nodes = {nodes}: launched through {launcher}")]
    return [warning("num_nodes", f"num_nodes = {nodes} on a local launch: train.py would "
                    "wait for the other nodes forever", "launch through SLURM (or torchrun) "
                    "on the cluster, or set num_nodes = 1")]
