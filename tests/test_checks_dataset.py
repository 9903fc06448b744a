"""Dataset config JSONs: types, entries, audio folders counted, metadata modules by AST."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from satconf.checks import Finding, run_checks

from checks_support import about, config_for, good_workspace, write_json, write_wav


def _check(ws: Path, data: Any, key: str = "dataset_config", **values: Any) -> list[Finding]:
    write_json(ws / "configs" / "ds.json", data)
    values.setdefault(key, "configs/ds.json")
    return about(run_checks(config_for(ws, **values)), key)


def test_audio_files_are_counted_by_extension(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    for name in ("x.mp3", "y.flac", "z.ogg", "w.aif", "v.opus", "deep/u.wav"):
        write_wav(ws / "more" / name)
    (ws / "more" / "notes.txt").write_text("not audio")
    (ws / "more" / "cover.jpg").write_bytes(b"\xff\xd8")
    found = _check(ws, {"dataset_type": "audio_dir", "datasets": [{"id": "a", "path": "more"}]})
    assert [f.level for f in found] == ["info"]
    assert "6 files" in found[0].message


def test_folder_without_audio_and_missing_folder(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    (ws / "empty").mkdir()
    (ws / "empty" / "readme.md").write_text("no audio here")
    found = _check(ws, {"dataset_type": "audio_dir", "datasets": [
        {"id": "a", "path": "empty"}, {"id": "b", "path": "gone"}, {"id": "c"}]})
    messages = [f.message for f in found if f.level == "error"]
    assert any("datasets[0]" in m and "holds no" in m for m in messages)
    assert any("datasets[1]" in m and "does not exist" in m for m in messages)
    assert any("datasets[2] has no \"path\"" in m for m in messages)


def test_pre_encoded_counts_npy(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    (ws / "latents").mkdir()
    (ws / "latents" / "0.npy").write_bytes(b"\x93NUMPY")
    found = _check(ws, {"dataset_type": "pre_encoded",
                        "datasets": [{"id": "l", "path": "latents"}]})
    assert [f.level for f in found] == ["info"] and "1 files" in found[0].message


@pytest.mark.parametrize(("data", "needle"), [
    ({"datasets": []}, "no \"dataset_type\""),
    ({"dataset_type": "folder", "datasets": []}, "dataset_type 'folder'"),
    ({"dataset_type": "audio_dir"}, "no \"datasets\" list"),
    ({"dataset_type": "audio_dir", "datasets": ["data"]}, "datasets[0] is not a JSON object"),
    ({"dataset_type": "audio_dir", "datasets": [{"path": "data"}]}, "datasets[0] has no \"id\""),
    ({"dataset_type": "wds", "datasets": [{"id": "w"}]}, "neither \"s3_path\" nor \"path\""),
])
def test_bad_dataset_configs(tmp_path: Path, data: Any, needle: str) -> None:
    found = _check(good_workspace(tmp_path / "ws"), data)
    assert any(needle in f.message for f in found if f.level == "error"), found


def test_s3_entry_with_path_is_accepted(tmp_path: Path) -> None:
    found = _check(good_workspace(tmp_path / "ws"), {
        "dataset_type": "s3", "datasets": [{"id": "s", "s3_path": "s3://bucket/audio/"}]})
    assert not [f for f in found if f.level == "error"]


def test_custom_metadata_module(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    (ws / "meta_ok.py").write_text("def get_custom_metadata(info, audio):\n    return {}\n")
    (ws / "meta_none.py").write_text("def other(info, audio):\n    return {}\n")
    (ws / "meta_bad.py").write_text("def get_custom_metadata(info, audio)\n    return {}\n")
    # Importing this would raise: the check parses, never imports.
    (ws / "meta_raise.py").write_text("raise SystemExit('imported!')\n"
                                      "from helpers import get_custom_metadata\n")
    results = {}
    for name in ("meta_ok.py", "meta_none.py", "meta_bad.py", "meta_raise.py", "meta_gone.py"):
        found = _check(ws, {"dataset_type": "audio_dir", "datasets": [
            {"id": "a", "path": "data", "custom_metadata_module": name}]})
        results[name] = [f.message for f in found if f.level == "error"]
    assert results["meta_ok.py"] == [] and results["meta_raise.py"] == []
    assert "defines no get_custom_metadata" in results["meta_none.py"][0]
    assert "line 1" in results["meta_bad.py"][0]
    assert "does not exist" in results["meta_gone.py"][0]


def test_val_dataset_config_is_checked_too(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    found = _check(ws, {"dataset_type": "audio_dir", "datasets": [{"id": "v", "path": "nope"}]},
                   key="val_dataset_config", val_every=1000)
    assert any("does not exist" in f.message for f in found if f.level == "error")


def test_binary_dataset_config(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    write_wav(ws / "configs" / "ds.json")  # a WAV file where the JSON should be
    found = about(run_checks(config_for(ws, dataset_config="configs/ds.json")), "dataset_config")
    assert [f.level for f in found] == ["error"]
