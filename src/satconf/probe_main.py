"""Run by the *training* python as a script: report torch, Lightning and GPUs as JSON.

This file must stay standalone (stdlib imports at module level only): the
training interpreter may be another virtualenv without satconf installed, so
`environment.py` runs it by path. It is the one place where torch and
Lightning are imported on satconf's behalf, and only in this subprocess.
The JSON goes to stdout on one line after MARKER, so anything a package
prints while importing cannot corrupt it.

`probe_main.py --imports JSON` instead runs train.py's top-level import
statements (given as text, produced by `ast.unparse` of import nodes only)
from train.py's folder, the way `python train.py` would start, and reports
the first that fails with its last traceback line. train.py itself is never
run, so its `main` never starts.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import sys
import typing
from typing import Any

MARKER = "SATCONF_PROBE_JSON:"
PACKAGES = ("deepspeed", "transformer_engine", "wandb", "comet_ml", "prefigure")
_DIST_SUFFIXES = (".dist-info", ".egg-info", ".egg-link", ".pth")


def unshadow_stdlib() -> None:
    """Run by path, this file's folder (satconf's package) is sys.path[0], where satconf's
    own modules (`satconf/queue/`) would shadow the standard library torch imports."""
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]


def _version(module: str) -> str | None:
    if importlib.util.find_spec(module) is None:
        return None
    try:
        from importlib.metadata import version

        return version(module.replace("_", "-"))
    except Exception:
        return "unknown"


def _spec(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _torch(out: dict[str, Any]) -> None:
    try:
        import torch
    except Exception as exc:
        out["problems"].append(f"import torch failed: {type(exc).__name__}: {exc}")
        return
    out["torch"] = str(torch.__version__)
    out["cuda_version"] = getattr(torch.version, "cuda", None)
    try:
        available = bool(torch.cuda.is_available())
    except Exception as exc:
        out["problems"].append(f"torch.cuda.is_available() failed: {exc}")
        available = False
    out["cuda_available"] = available
    if not available:
        return
    for i in range(torch.cuda.device_count()):
        try:
            props = torch.cuda.get_device_properties(i)
            out["gpus"].append({
                "index": i, "name": props.name, "capability": [props.major, props.minor],
                "memory_total": int(props.total_memory) // 2**20,
            })
        except Exception as exc:
            out["problems"].append(f"GPU {i}: {exc}")


def _lightning(out: dict[str, Any]) -> None:
    # stable-audio-tools imports `pytorch_lightning`; the unified `lightning`
    # package carries the same registry, so either answers.
    for pkg in ("pytorch_lightning", "lightning"):
        if _spec(pkg):
            out[pkg] = _version(pkg)
    strategies_from = [("pytorch_lightning.strategies", "pytorch_lightning"),
                       ("lightning.pytorch.strategies", "lightning")]
    for module, pkg in strategies_from:
        if out.get(pkg) is None:
            continue
        try:
            mod = __import__(module, fromlist=["StrategyRegistry"])
            names = list(mod.StrategyRegistry.available_strategies())
            out["strategies"] = sorted({"auto", *names})
            break
        except Exception as exc:
            out["problems"].append(f"{module}.StrategyRegistry: {type(exc).__name__}: {exc}")
    for module in ("lightning_fabric.plugins.precision.precision",
                   "lightning.fabric.plugins.precision.precision"):
        if not _spec(module.split(".")[0]):
            continue
        try:
            mod = __import__(module, fromlist=["_PRECISION_INPUT_STR"])
            names: list[str] = []
            for attr in ("_PRECISION_INPUT_STR", "_PRECISION_INPUT_STR_ALIAS"):
                names += [str(a) for a in typing.get_args(getattr(mod, attr, None))]
            out["precisions"] = names
            break
        except Exception as exc:
            out["problems"].append(f"{module}: {type(exc).__name__}: {exc}")


def site_dirs() -> list[str]:
    """The folders whose package lists decide whether a cached probe still holds."""
    return [p for p in sys.path if p and os.path.isdir(p) and (
        p.endswith(("site-packages", "dist-packages"))
        or any(n.endswith(_DIST_SUFFIXES) for n in os.listdir(p)))]


def run_imports(request: dict[str, Any]) -> dict[str, Any]:
    """Run each import statement in order; the first failure ends the run."""
    import traceback

    root = str(request.get("root") or ".")
    unshadow_stdlib()
    sys.path.insert(0, root)  # as for `python train.py`: the script's folder comes first
    with contextlib.suppress(OSError):
        os.chdir(root)
    os.environ.setdefault("WANDB_SILENT", "true")
    os.environ.setdefault("WANDB_MODE", "disabled")
    done = 0
    for index, source in enumerate(request.get("statements") or []):
        try:
            exec(compile(str(source), "<train.py imports>", "exec"), {"__name__": "__probe__"})
        except BaseException as exc:  # SystemExit or KeyboardInterrupt from a package, too
            lines = traceback.format_exception_only(type(exc), exc)
            tail = (lines[-1] if lines else type(exc).__name__).strip()
            text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            return {"ok": done, "failed": {"index": index, "error": tail[:500],
                                           "type": type(exc).__name__,
                                           "traceback": text[-4000:]},
                    "site_dirs": site_dirs()}
        done += 1
    return {"ok": done, "failed": None, "site_dirs": site_dirs()}


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--imports":
        result = run_imports(json.loads(sys.argv[2]))
        sys.stdout.write("\n" + MARKER + json.dumps(result) + "\n")
        sys.stdout.flush()
        return 0
    out: dict[str, Any] = {
        "python_version": sys.version.split()[0], "executable": sys.executable,
        "torch": None, "cuda_version": None, "cuda_available": False, "gpus": [],
        "lightning": None, "pytorch_lightning": None, "strategies": [], "precisions": [],
        "packages": {name: _spec(name) for name in PACKAGES}, "problems": [],
        "site_dirs": site_dirs(),
    }
    # Quiet imports: some packages print banners or warnings on import.
    os.environ.setdefault("WANDB_SILENT", "true")
    _torch(out)
    _lightning(out)
    sys.stdout.write("\n" + MARKER + json.dumps(out) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    unshadow_stdlib()
    raise SystemExit(main())
