"""The GPU seam: NVML on this machine, and the JSON file tests and screenshots use."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from satconf.gpus import FAKE_ENV, NO_DRIVER, GpuListing, list_gpus, parse_capability


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "gpus.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_fake_file_lists_gpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, [
        {"name": "NVIDIA A100", "memory_used": 10, "memory_total": 81920,
         "utilization": 0, "capability": [8, 0]},
        {"index": 3, "name": "Tesla V100", "memory_used": 30000, "memory_total": 32768,
         "utilization": 95, "capability": "7.0"},
    ])
    monkeypatch.setenv(FAKE_ENV, str(path))
    listing = list_gpus()
    assert listing.error is None
    a100, v100 = listing.gpus
    assert (a100.index, a100.name, a100.capability, a100.busy) == (0, "NVIDIA A100", (8, 0), False)
    assert (v100.index, v100.capability, v100.busy) == (3, (7, 0), True)
    assert v100.capability_text == "7.0"
    assert listing.by_index()[3] is v100
    assert listing.to_json()["gpus"][0]["capability"] == [8, 0]


def test_fake_file_with_error_and_no_gpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, {"gpus": [], "error": "No NVIDIA driver found"})
    monkeypatch.setenv(FAKE_ENV, str(path))
    assert list_gpus() == GpuListing([], "No NVIDIA driver found")


@pytest.mark.parametrize("content", [b"\x00\xff\xfe binary", b"{not json", b'{"gpus": 5}',
                                     b'["a string"]', b'[{"memory_used": "lots"}]'])
def test_bad_fake_file_is_a_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    content: bytes) -> None:
    path = tmp_path / "gpus.json"
    path.write_bytes(content)
    monkeypatch.setenv(FAKE_ENV, str(path))
    listing = list_gpus()
    assert listing.gpus == []
    assert listing.error and FAKE_ENV in listing.error


def test_missing_fake_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FAKE_ENV, str(tmp_path / "nope.json"))
    listing = list_gpus()
    assert listing.gpus == [] and "cannot read" in (listing.error or "")


def _driver_loads() -> bool:
    """Whether NVML's library loads here: decided apart from satconf (pynvml loads this)."""
    import ctypes

    try:
        ctypes.CDLL("libnvidia-ml.so.1")
    except OSError:
        return False
    return True


def test_real_nvml_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(FAKE_ENV, raising=False)
    listing = list_gpus()
    if _driver_loads():
        # A driver answers: its GPUs, each with memory and a capability.
        assert listing.gpus or listing.error == "The NVIDIA driver sees no GPUs"
        assert all(g.memory_total > 0 and g.capability for g in listing.gpus)
    else:
        assert listing == GpuListing([], NO_DRIVER)


def test_no_driver_in_fresh_process_without_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(FAKE_ENV, raising=False)
    code = ("import sys, satconf.gpus as g; l = g.list_gpus(); "
            "assert 'torch' not in sys.modules; print(l.error or len(l.gpus))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    here = list_gpus()
    assert out.stdout.strip() == (here.error or str(len(here.gpus)))
    if not _driver_loads():
        assert out.stdout.strip() == NO_DRIVER


@pytest.mark.parametrize(("value", "expected"), [
    ([8, 9], (8, 9)), ((7, 5), (7, 5)), ("8.6", (8, 6)), (9.0, (9, 0)), ("9", (9, 0)),
    (None, None), ("x.y", None), ([1, 2, 3], None), (True, None),
])
def test_parse_capability(value: object, expected: object) -> None:
    assert parse_capability(value) == expected
