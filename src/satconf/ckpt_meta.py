"""The small plain-data entries of a torch checkpoint (e.g. `model_config`), read without torch.

`recover` must tell this run's checkpoints from another model's in a shared
save_dir, and stable-audio-tools embeds the model config in every checkpoint
it saves. Importing torch for that would cost seconds in satconf's own
process, so this reads the zip-format checkpoint's `data.pkl` with an
unpickler that imports nothing: every class it names (tensors, storages,
Namespaces) becomes an inert stub, and tensor data is never read. Only
dicts, lists, strings and numbers come out intact. Legacy (non-zip) files
and anything unreadable give None. Answers are kept per (path, size, mtime).
"""

from __future__ import annotations

import io
import pickle
import zipfile
from collections import OrderedDict
from pathlib import Path
from typing import Any

MAX_PICKLE_BYTES = 64 * 2**20  # tensor metadata only: even large models stay far below
_memo: dict[tuple[str, int, int], dict[str, Any] | None] = {}


class _Stub:
    """Stands for any class the pickle names; accepts and drops whatever it is given."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __setstate__(self, state: Any) -> None:
        pass

    def __setitem__(self, key: Any, value: Any) -> None:
        pass

    def append(self, value: Any) -> None:
        pass

    def extend(self, values: Any) -> None:
        pass


class _InertUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("collections", "OrderedDict"):
            return OrderedDict
        return _Stub

    def persistent_load(self, pid: Any) -> Any:
        return None  # a tensor's storage: never read


def _top_pickle(zf: zipfile.ZipFile) -> str | None:
    names = [n for n in zf.namelist() if n.endswith("data.pkl") and n.count("/") <= 1]
    return names[0] if names else None


def read_top(path: Path) -> dict[str, Any] | None:
    """The checkpoint's top-level dict with tensors stubbed out, or None."""
    try:
        st = path.stat()
    except OSError:
        return None
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key in _memo:
        return _memo[key]
    result: dict[str, Any] | None = None
    try:
        with zipfile.ZipFile(path) as zf:
            member = _top_pickle(zf)
            if member is not None and zf.getinfo(member).file_size <= MAX_PICKLE_BYTES:
                obj = _InertUnpickler(io.BytesIO(zf.read(member))).load()
                result = obj if isinstance(obj, dict) else None
    except Exception:  # not a zip, a truncated file, an odd pickle: nothing to tell
        result = None
    if len(_memo) > 512:
        _memo.clear()
    _memo[key] = result
    return result


def embedded_model_config(path: Path) -> dict[str, Any] | None:
    """The `model_config` stable-audio-tools saves in each checkpoint, if the file has one."""
    top = read_top(path)
    config = top.get("model_config") if top is not None else None
    return config if isinstance(config, dict) else None
