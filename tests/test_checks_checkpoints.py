"""The three checkpoint flags, inspected by real torch in a subprocess of the training python."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from satconf.checks import Finding, inspect_checkpoints, run_checks

from checks_support import LATENT_MODEL, about, config_for, environment, good_workspace, write_json

MAKE = r'''
import argparse, sys, torch
out = sys.argv[1]
t = torch.zeros(2)
torch.save({"pytorch-lightning_version": "2.4.0", "epoch": 1, "global_step": 10,
            "state_dict": {"diffusion.model.w": t, "diffusion.model.b": t}},
           out + "/lightning.ckpt")
torch.save({"state_dict": {"model.layers.0.weight": t, "conditioner.w": t}},
           out + "/unwrapped.ckpt")
torch.save({"state_dict": {"autoencoder.encoder.w": t, "autoencoder.decoder.w": t}},
           out + "/ae_wrapped.ckpt")
torch.save({"state_dict": {"encoder.layers.0.weight": t, "decoder.layers.0.weight": t}},
           out + "/ae.ckpt")
# weights_only refuses a Namespace in the hyper-parameters, as in many real checkpoints
torch.save({"pytorch-lightning_version": "2.1.0", "hyper_parameters": argparse.Namespace(lr=1),
            "state_dict": {"diffusion.model.w": t}}, out + "/with_hparams.ckpt")
torch.save({"state_dict": {"model.w": t}}, out + "/legacy.ckpt",
           _use_new_zipfile_serialization=False)
'''


@pytest.fixture(scope="module")
def ckpts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ckpts")
    subprocess.run([sys.executable, "-c", MAKE, str(folder)], check=True, timeout=300)
    header = json.dumps({"__metadata__": {"format": "pt"},
                         "model.w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})
    (folder / "model.safetensors").write_bytes(
        struct.pack("<Q", len(header)) + header.encode() + b"\x00" * 8)
    (folder / "corrupt.ckpt").write_bytes(os.urandom(4096))
    return folder


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ckpt-cache")


def _inspect(tmp_path: Path, ckpts: Path, cache: Path, **paths: str) -> list[Finding]:
    ws = good_workspace(tmp_path / "ws")
    write_json(ws / "configs" / "model.json", LATENT_MODEL)
    config = config_for(ws, **{k: str(ckpts / v) for k, v in paths.items()})
    return inspect_checkpoints(config, environment(python=sys.executable), cache=cache)


def test_the_right_files_in_the_right_flags(tmp_path: Path, ckpts: Path, cache: Path) -> None:
    found = _inspect(tmp_path, ckpts, cache, ckpt_path="lightning.ckpt",
                     pretrained_ckpt_path="unwrapped.ckpt", pretransform_ckpt_path="ae.ckpt")
    assert [f.level for f in found] == ["info"] * 3
    assert "Lightning 2.4.0" in about(found, "ckpt_path")[0].message
    assert "2 tensors" in about(found, "pretrained_ckpt_path")[0].message


def test_the_common_mix_ups(tmp_path: Path, ckpts: Path, cache: Path) -> None:
    found = _inspect(tmp_path, ckpts, cache, ckpt_path="unwrapped.ckpt",
                     pretrained_ckpt_path="lightning.ckpt",
                     pretransform_ckpt_path="ae_wrapped.ckpt")
    assert [f.level for f in found] == ["error"] * 3
    assert "not a Lightning checkpoint" in about(found, "ckpt_path")[0].message
    assert "pretrained_ckpt_path" in about(found, "ckpt_path")[0].hint
    assert "load nothing" in about(found, "pretrained_ckpt_path")[0].message
    assert "autoencoder." in about(found, "pretransform_ckpt_path")[0].message


def test_pickle_scan_legacy_format_and_corrupt_file(tmp_path: Path, ckpts: Path,
                                                    cache: Path) -> None:
    found = _inspect(tmp_path, ckpts, cache, ckpt_path="with_hparams.ckpt",
                     pretrained_ckpt_path="legacy.ckpt", pretransform_ckpt_path="corrupt.ckpt")
    assert "Lightning 2.1.0" in about(found, "ckpt_path", "info")[0].message
    assert about(found, "pretrained_ckpt_path", "info")
    assert "cannot be read" in about(found, "pretransform_ckpt_path", "error")[0].message


def test_safetensors(tmp_path: Path, ckpts: Path, cache: Path) -> None:
    found = _inspect(tmp_path, ckpts, cache, ckpt_path="model.safetensors",
                     pretrained_ckpt_path="model.safetensors")
    assert about(found, "ckpt_path", "error") and about(found, "pretrained_ckpt_path", "info")
    # The file name alone is enough for the fast checks.
    ws = tmp_path / "ws"
    fast = run_checks(config_for(ws, ckpt_path=str(ckpts / "model.safetensors")))
    assert ".safetensors" in about(fast, "ckpt_path", "error")[0].message


def test_cached_summaries_need_no_interpreter(tmp_path: Path, ckpts: Path, cache: Path) -> None:
    first = _inspect(tmp_path, ckpts, cache, ckpt_path="lightning.ckpt")
    ws = tmp_path / "ws"
    config = config_for(ws, ckpt_path=str(ckpts / "lightning.ckpt"))
    gone = environment(python=str(tmp_path / "no-python"))
    assert inspect_checkpoints(config, gone, cache=cache) == first
    fresh = tmp_path / "fresh-cache"
    (found,) = inspect_checkpoints(config, gone, cache=fresh)
    assert found.level == "warning" and "not inspected" in found.message


def test_cached_summary_is_dropped_when_the_file_changes(tmp_path: Path, ckpts: Path) -> None:
    """The cache is keyed on the file's size and mtime: a checkpoint rewritten in place
    (the same path, as a training run's last.ckpt is) is inspected again."""
    ckpt = tmp_path / "last.ckpt"
    shutil.copy(ckpts / "lightning.ckpt", ckpt)
    ws = good_workspace(tmp_path / "ws")
    write_json(ws / "configs" / "model.json", LATENT_MODEL)
    config = config_for(ws, ckpt_path=str(ckpt))
    cache = tmp_path / "c"
    first = inspect_checkpoints(config, environment(python=sys.executable), cache=cache)
    gone = environment(python=str(tmp_path / "no-python"))
    assert inspect_checkpoints(config, gone, cache=cache) == first  # the cache answers
    st = ckpt.stat()
    os.utime(ckpt, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))  # touched only
    (found,) = inspect_checkpoints(config, gone, cache=cache)
    assert found.level == "warning" and "not inspected" in found.message
    os.utime(ckpt, ns=(st.st_atime_ns, st.st_mtime_ns))  # same mtime, other size
    with ckpt.open("ab") as f:
        f.write(b"\0" * 16)
    os.utime(ckpt, ns=(st.st_atime_ns, st.st_mtime_ns))
    (found,) = inspect_checkpoints(config, gone, cache=cache)
    assert found.level == "warning" and "not inspected" in found.message


def test_slow_inspector_is_cut_off(tmp_path: Path, ckpts: Path) -> None:
    python = tmp_path / "python"
    python.write_text("#!/bin/sh\nsleep 60\n")
    python.chmod(0o755)
    ws = good_workspace(tmp_path / "ws")
    config = config_for(ws, ckpt_path=str(ckpts / "lightning.ckpt"))
    started = time.monotonic()
    found = inspect_checkpoints(config, environment(python=str(python)), timeout=1,
                                cache=tmp_path / "c")
    took = time.monotonic() - started
    # Two probes of 1 s each; killing only the shell would leave `sleep` holding the
    # pipes for 60 s each.
    assert took < 20, f"the inspection took {took:.0f} s: the group was not killed"
    # train.py's imports and the checkpoints: each probe is cut off, and says so
    assert [f.level for f in found] == ["warning", "warning"]
    assert all("longer than 1 s" in f.message for f in found)


def test_nothing_to_inspect_starts_nothing(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    env = environment(python=str(tmp_path / "no-python"))
    assert inspect_checkpoints(config_for(ws), env, cache=tmp_path / "c") == []
