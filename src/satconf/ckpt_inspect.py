"""Run by the *training* python as a script: list a checkpoint's keys, never its tensors.

Standalone like `probe_main.py` (stdlib at module level; torch imported only
here, in this subprocess). For each path given on the command line it prints
what the preflight checks need: whether it is a Lightning checkpoint
(`pytorch-lightning_version`), its top-level keys, and how many state-dict keys
start with each first name component (`diffusion.`, `encoder.`...).
`.safetensors` files are read from their JSON header without torch. Torch
files load with `weights_only=True` and `mmap=True`, so nothing is unpickled
beyond tensors and nothing large is read; a file that `weights_only` refuses
is read by scanning its pickle opcodes for strings, which runs no code.

With `--model-config PATH --root ROOT` it also lists the parameter names of
the model that config builds (`model_names`), when stable-audio-tools is
importable from ROOT: the model is built on torch's `meta` device (no
memory, no weights) with the Hugging Face hub offline, so the checks can say
what fraction of the model a checkpoint would fill.
"""

from __future__ import annotations

import json
import os
import re
import struct
import sys
from collections import Counter
from typing import Any

MARKER = "SATCONF_CKPT_JSON:"
MAX_KEYS = 100_000
LIGHTNING_KEY = "pytorch-lightning_version"
_PARAM = re.compile(r"^[A-Za-z_]\w*(\.\w+)+$")


def unshadow_stdlib() -> None:
    """Run by path, this file's folder (satconf's package) is sys.path[0], where satconf's
    own modules (`satconf/queue/`) would shadow the standard library torch imports."""
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]


def _summary(top: dict[str, Any] | None, names: list[str], version: Any,
             fmt: str) -> dict[str, Any]:
    prefixes = Counter(n.split(".", 1)[0] for n in names)
    return {
        "format": fmt,
        "lightning_version": None if version is None else str(version),
        "top_keys": sorted(str(k) for k in (top or {}))[:50],
        "n_keys": len(names),
        "prefixes": dict(prefixes.most_common(20)),
        "sample_keys": names[:5],
        "keys": names[:MAX_KEYS],
        "error": None,
    }


def _safetensors(path: str) -> dict[str, Any]:
    with open(path, "rb") as fh:
        (size,) = struct.unpack("<Q", fh.read(8))
        if size > 100 * 2**20:
            raise ValueError("safetensors header too large")
        header = json.loads(fh.read(size))
    names = [k for k in header if k != "__metadata__"]
    return _summary(None, names, None, "safetensors")


def _state_names(obj: Any) -> tuple[dict[str, Any] | None, list[str], Any]:
    if not isinstance(obj, dict):
        return None, [], None
    version = obj.get(LIGHTNING_KEY)
    state = obj.get("state_dict")
    if isinstance(state, dict):
        return obj, [str(k) for k in state], version
    return obj, [str(k) for k in obj], version


def _torch(path: str) -> dict[str, Any]:
    import torch

    try:
        obj = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except RuntimeError as exc:
        if "mmap" not in str(exc).lower() and "zip" not in str(exc).lower():
            raise
        obj = torch.load(path, map_location="cpu", weights_only=True)  # legacy format
    top, names, version = _state_names(obj)
    return _summary(top, names, version, "lightning" if version is not None else "torch")


def _pickle_strings(path: str) -> dict[str, Any]:
    """Strings in the pickle of a zip-format torch file, found without unpickling."""
    import pickletools
    import zipfile

    with zipfile.ZipFile(path) as zf:
        member = next(n for n in zf.namelist() if n.endswith("data.pkl"))
        data = zf.read(member)
    strings = [arg for _op, arg, _pos in pickletools.genops(data) if isinstance(arg, str)]
    version = None
    if LIGHTNING_KEY in strings:
        after = strings[strings.index(LIGHTNING_KEY) + 1:]
        version = after[0] if after else "unknown"
    names = [s for s in strings if _PARAM.match(s)]
    out = _summary({s: None for s in strings if s in ("state_dict", LIGHTNING_KEY)}, names,
                   version, "lightning" if version is not None else "torch")
    out["note"] = "read by scanning the pickle (weights_only refused it)"
    return out


def inspect(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
        if path.endswith(".safetensors") or (len(head) >= 9 and head[8:9] == b"{"):
            return _safetensors(path)
        try:
            return _torch(path)
        except ImportError:
            return {"error": "torch is not installed in the training python"}
        except Exception as exc:
            import zipfile

            if zipfile.is_zipfile(path):
                try:
                    return _pickle_strings(path)
                except Exception:
                    pass
            return {"error": f"torch.load failed: {type(exc).__name__}: {exc}"[:500]}
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"[:500]}


def model_names(config_path: str, root: str) -> dict[str, Any]:
    """{"names": [...]} of the model the config builds, or {"error": why not}."""
    import importlib.util
    import os

    sys.path.insert(0, root)
    try:
        if importlib.util.find_spec("stable_audio_tools") is None:
            return {"error": "stable_audio_tools is not importable"}
        for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
            os.environ.setdefault(var, "1")  # never download a conditioner to count names
        import torch
        from stable_audio_tools.models.factory import create_model_from_config

        with open(config_path, encoding="utf-8") as fh:
            config = json.load(fh)
        with torch.device("meta"):
            model = create_model_from_config(config)
        return {"names": [str(k) for k in model.state_dict()][:MAX_KEYS]}
    except BaseException as exc:
        return {"error": f"building the model failed: {type(exc).__name__}: {exc}"[:500]}


def main(argv: list[str]) -> int:
    model: dict[str, Any] | None = None
    if len(argv) >= 4 and argv[0] == "--model-config" and argv[2] == "--root":
        model = model_names(argv[1], argv[3])
        argv = argv[4:]
    result: dict[str, Any] = {path: inspect(path) for path in argv}
    if model is not None:
        result["__model__"] = model
    sys.stdout.write("\n" + MARKER + json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    unshadow_stdlib()
    raise SystemExit(main(sys.argv[1:]))
