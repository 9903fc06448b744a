"""What the model and dataset JSON point at: files inside them, and metadata the model needs.

train.py opens every checkpoint or file named inside the model config while
building the model (a CLAP checkpoint, a T5 folder), and a conditioned model
reads each conditioner's id from the batch metadata at the first step. The
shipped configs carry placeholders such as "/path/to/clap.ckpt", and an
`audio_dir` dataset without a `custom_metadata_module` supplies no `prompt`:
both fail minutes in. Findings name the JSON location (`model.conditioning
.configs[0].config.clap_ckpt_path`) so the line is easy to find.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from satconf.checks.context import Context
from satconf.checks.finding import Finding, error

FILE_SUFFIXES = (".ckpt", ".pt", ".pth", ".bin", ".safetensors", ".json", ".py", ".yaml",
                 ".yml", ".wav", ".npy", ".tar", ".txt", ".model", ".onnx")
PLACEHOLDERS = ("/path/to/", "path/to/", "<path", "your/path")
# Keys the dataset checks already judge (datasets[i].path and friends).
DATASET_OWN = ("path", "custom_metadata_module", "s3_path")
# What stable-audio-tools' audio_dir SampleDataset puts into every item's metadata.
AUDIO_DIR_METADATA = ("path", "relpath", "timestamps", "seconds_start", "seconds_total",
                      "padding_mask", "load_time")
CONDITIONED = ("diffusion_cond", "diffusion_cond_inpaint", "lm", "diffusion_autoencoder")


def _walk(node: Any, where: str) -> Iterator[tuple[str, str, str]]:
    """(location, key, text) for every string in a JSON tree."""
    if isinstance(node, dict):
        for key, value in node.items():
            loc = f"{where}.{key}" if where else str(key)
            if isinstance(value, str):
                yield loc, str(key), value
            else:
                yield from _walk(value, loc)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            loc = f"{where}[{i}]"
            if isinstance(value, str):
                yield loc, "", value
            else:
                yield from _walk(value, loc)


def looks_like_path(key: str, text: str) -> bool:
    text = text.strip()
    if not text or "://" in text or "\n" in text or len(text) > 4096:
        return False
    if any(p in text.lower() for p in PLACEHOLDERS):
        return True
    if text.startswith(("/", "./", "../", "~/")):
        return True
    suffix = text.lower().endswith(FILE_SUFFIXES)
    return suffix and ("/" in text or any(w in key.lower() for w in ("path", "ckpt", "file")))


def _missing_paths(ctx: Context, key: str, data: dict[str, Any], what: str) -> list[Finding]:
    out: list[Finding] = []
    for loc, name, text in _walk(data, ""):
        if key != "model_config" and loc.startswith("datasets[") and name in DATASET_OWN:
            continue
        if not looks_like_path(name, text):
            continue
        placeholder = any(p in text.lower() for p in PLACEHOLDERS)
        try:
            exists = ctx.resolve(text.strip()).exists()
        except OSError:
            exists = False
        if exists and not placeholder:
            continue
        kind = "a placeholder path" if placeholder else "a path that does not exist"
        out.append(error(key, f"the {what}'s {loc} is {kind}: {text!r}; train.py would "
                         "fail when it opens it", "point it at the real file (relative paths "
                         "are taken from train.py's folder), or remove the entry"))
    return out


def check_config_paths(ctx: Context) -> list[Finding]:
    """Every file path inside the model and dataset JSON that does not exist."""
    out: list[Finding] = []
    for key, what in (("model_config", "model config"), ("dataset_config", "dataset config"),
                      ("val_dataset_config", "validation dataset config")):
        data = ctx.json(key, what)[0]  # None for a key with a type error, as for no file
        if isinstance(data, dict):
            out += _missing_paths(ctx, key, data, what)
    return out


def conditioner_ids(model_config: dict[str, Any]) -> list[tuple[str, str]]:
    """(location, metadata key) for each conditioner, after `default_keys`."""
    model = model_config.get("model")
    conditioning = model.get("conditioning") if isinstance(model, dict) else None
    if not isinstance(conditioning, dict):
        return []
    configs = conditioning.get("configs")
    defaults = conditioning.get("default_keys")
    defaults = defaults if isinstance(defaults, dict) else {}
    out = []
    for i, entry in enumerate(configs if isinstance(configs, list) else []):
        cid = entry.get("id") if isinstance(entry, dict) else None
        if isinstance(cid, str) and cid:
            out.append((f"model.conditioning.configs[{i}].id", str(defaults.get(cid, cid))))
    return out


def check_conditioning(ctx: Context) -> list[Finding]:
    """Conditioner ids an audio_dir dataset without custom metadata cannot supply."""
    model = ctx.json("model_config", "model config")[0]
    dataset = ctx.json("dataset_config", "dataset config")[0]
    if not isinstance(model, dict) or not isinstance(dataset, dict):
        return []
    if model.get("model_type") not in CONDITIONED or dataset.get("dataset_type") != "audio_dir":
        return []
    entries = dataset.get("datasets")
    # indices into the JSON list itself, so the finding names the entry the user sees
    bare = [i for i, e in enumerate(entries if isinstance(entries, list) else [])
            if isinstance(e, dict) and not e.get("custom_metadata_module")]
    if not bare:
        return []  # a metadata module may supply anything; its dicts are not read here
    out: list[Finding] = []
    for loc, key in conditioner_ids(model):
        if key in AUDIO_DIR_METADATA:
            continue
        which = ", ".join(f"datasets[{i}]" for i in bare)
        out.append(error("dataset_config", f"the model config's {loc} needs {key!r} in each "
                         f"batch's metadata, but {which} has no custom_metadata_module: "
                         "train.py would stop at the first step with \"ValueError: "
                         f"Conditioner key {key} not found in batch metadata\"",
                         f"add \"custom_metadata_module\": a .py file whose "
                         f"get_custom_metadata(info, audio) returns {{\"{key}\": ...}}"))
    return out
