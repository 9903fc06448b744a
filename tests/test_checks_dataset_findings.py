"""The dataset config checks' findings word for word (satconf.checks.dataset_config).

Each test writes a dataset config (and its data folders) into a real workspace and runs
the dataset checks on it, as `satconf check` and the form do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from satconf.checks import dataset_config
from satconf.checks.context import Context
from satconf.checks.dataset_config import DATASET_TYPES, check_dataset_configs, count_files
from satconf.checks.finding import Finding, error, info, warning

from checks_support import config_for, good_workspace, write_json, write_wav

pytestmark = pytest.mark.unprobed  # the dataset checks need no training python

K = "dataset_config"
FAIL_LATER = "; train.py would only print \"Found 0 files\" and fail later"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return good_workspace(tmp_path / "ws")


def dataset(ws: Path, data: Any, **values: Any) -> list[Finding]:
    write_json(ws / "configs" / "ds.json", data)
    values.setdefault(K, "configs/ds.json")
    return check_dataset_configs(Context.of(config_for(ws, **values), None))


def audio(*entries: dict[str, Any], dtype: str = "audio_dir") -> dict[str, Any]:
    return {"dataset_type": dtype, "datasets": list(entries)}


def test_the_type_and_the_list_come_first(ws: Path) -> None:
    types = ", ".join(DATASET_TYPES)
    assert dataset(ws, {"datasets": [{}]}) == [error(
        K, 'the dataset config has no "dataset_type"; train.py would build no dataloader and '
        "fail later", f"use one of {types}")]
    assert dataset(ws, {"dataset_type": "folder"}) == [error(
        K, "the dataset config has dataset_type 'folder'; train.py would build no dataloader "
        "and fail later", f"use one of {types}")]
    assert dataset(ws, [1]) == [error(K, f"{ws / 'configs' / 'ds.json'} holds a JSON list, but "
                                         "a dataset config must be a JSON object {...}")]
    for datasets in (None, [], {"id": "a"}):
        assert dataset(ws, {"dataset_type": "audio_dir", "datasets": datasets}) == [error(
            K, 'the dataset config has no "datasets" list (or it is empty)',
            'add "datasets": [{"id": ..., "path": ...}]')]


def test_each_local_entry_is_judged_on_its_own(ws: Path) -> None:
    (ws / "empty").mkdir()
    (ws / "a_file").write_text("x")
    found = dataset(ws, audio("data", {"path": "data"}, {"id": "e", "path": "empty"},
                              {"id": "g", "path": "gone"}, {"id": "f", "path": "a_file"},
                              {"id": "n", "path": " "}))
    assert found == [
        error(K, "datasets[0] is not a JSON object"),
        error(K, 'datasets[1] has no "id"', "give each dataset an id"),
        info(K, f"datasets[1].path {ws / 'data'}: 2 files"),
        error(K, f"datasets[2].path {ws / 'empty'} holds no .wav/.mp3/.flac/.ogg/.aif/.opus "
              "files", "check the folder; train.py would find 0 files"),
        error(K, f"datasets[3].path {ws / 'gone'} does not exist{FAIL_LATER}",
              "point it at the data folder"),
        error(K, f"datasets[4].path {ws / 'a_file'} is a file{FAIL_LATER}",
              "point it at the data folder"),
        error(K, 'datasets[5] has no "path"', "the folder holding the files")]


def test_pre_encoded_data_are_npy_files(ws: Path) -> None:
    (ws / "latents").mkdir()
    (ws / "latents" / "0.NPY").write_bytes(b"\x93NUMPY")
    write_wav(ws / "latents" / "x.wav")
    assert dataset(ws, audio({"id": "l", "path": "latents"}, dtype="pre_encoded")) == [
        info(K, f"datasets[0].path {ws / 'latents'}: 1 files")]
    assert dataset(ws, audio({"id": "l", "path": "data"}, dtype="pre_encoded")) == [
        error(K, f"datasets[0].path {ws / 'data'} holds no .npy files",
              "check the folder; train.py would find 0 files")]


def test_the_demo_makes_its_data_on_first_run(ws: Path) -> None:
    (ws / ".satconf-demo").write_text("0.1\n")
    assert dataset(ws, audio({"id": "t", "path": "tones"})) == [info(
        K, f"datasets[0].path {ws / 'tones'} does not exist yet: the demo trainer makes its "
        "synthetic tones there on first run")]
    # ...audio only: pre-encoded latents it does not make
    assert dataset(ws, audio({"id": "t", "path": "tones"}, dtype="pre_encoded"))[0].level \
        == "error"


def test_a_huge_corpus_is_counted_only_so_far(ws: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dataset_config, "SCAN_LIMIT", 3)
    folder = ws / "corpus"
    for i in range(3):
        write_wav(folder / f"{i}.wav")
    (folder / "notes.txt").write_text("x")
    assert dataset_config._count_files(folder, (".wav",)) == (3, True)
    (folder / "notes.txt").unlink()
    assert dataset_config._count_files(folder, (".wav",)) == (3, True)  # as many as the limit
    assert dataset_config._count_files(ws / "data", (".wav",)) == (2, False)
    assert dataset(ws, audio({"id": "c", "path": "corpus"})) == [
        info(K, f"datasets[0].path {folder}: at least 3 files")]


def test_a_count_follows_the_folder(ws: Path) -> None:
    import os

    one, two = ws / "one", ws / "two"
    write_wav(one / "a.wav")
    for name in ("a.wav", "b.wav"):
        write_wav(two / name)
    (two / "linked").symlink_to(one, target_is_directory=True)  # followed, as train.py does
    for folder in (one, two):
        os.utime(folder, ns=(10**18, 10**18))  # the same mtime: each still its own count
    assert count_files(one, (".wav",)) == (1, False)
    assert count_files(two, (".wav",)) == (3, False)
    folder = ws / "more"
    write_wav(folder / "a.wav")
    assert count_files(folder, (".wav",)) == (1, False)
    write_wav(folder / "b.wav")  # the folder's mtime changes: counted again
    assert count_files(folder, (".wav",)) == (2, False)
    assert count_files(ws / "nowhere", (".wav",)) == (0, False)


def test_remote_entries_need_a_path_and_s3_the_aws_tool(ws: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    assert dataset(ws, audio("x", {"id": "w"}, dtype="wds")) == [
        error(K, "datasets[0] is not a JSON object"),
        error(K, 'datasets[1] has neither "s3_path" nor "path"')]
    assert dataset(ws, audio({"id": "w", "path": "s3://b/x"}, dtype="wds")) == []
    monkeypatch.setenv("PATH", str(ws))  # no aws there
    assert dataset(ws, audio({"id": "s", "s3_path": "s3://b/x"}, dtype="s3")) == [warning(
        K, "dataset_type s3 lists files with the aws command line tool, which is not on PATH",
        "install the AWS CLI")]
    aws = ws / "aws"
    aws.write_text("#!/bin/sh\n")
    aws.chmod(0o755)
    assert dataset(ws, audio({"id": "s", "s3_path": "s3://b/x"}, dtype="s3")) == []


def test_a_custom_metadata_module_word_for_word(ws: Path) -> None:
    def meta(module: Any) -> list[Finding]:
        found = dataset(ws, audio({"id": "a", "path": "data",
                                   "custom_metadata_module": module}))
        return [f for f in found if f.level != "info"]

    label = "datasets[0].custom_metadata_module"
    assert meta(5) == meta(" ") == [error(K, f"{label} must be a path to a .py file")]
    assert meta("gone.py") == [error(K, f"{label} {ws / 'gone.py'} does not exist",
                                     "relative paths are taken from train.py's folder")]
    (ws / "bad.py").write_text("x = 1\ndef get_custom_metadata(info, audio)\n")
    assert meta("bad.py") == [error(K, f"{label} {ws / 'bad.py'}: line 2: expected ':'",
                                    "fix the Python syntax there")]
    (ws / "nul.py").write_bytes(b"x = 1\x00\n")  # no line to name (older Pythons: ValueError)
    assert meta("nul.py")[0].message in (
        f"{label} {ws / 'nul.py'}: source code string cannot contain null bytes",
        f"{label} {ws / 'nul.py'} cannot be read: source code string cannot contain null bytes")
    (ws / "none.py").write_text("version = 1\ndef other(info, audio):\n    return {}\n"
                                "class get_custom_metadata_x: pass\n")
    assert meta("none.py") == [error(K, f"{label} {ws / 'none.py'} defines no "
                                        "get_custom_metadata",
                                     "add `def get_custom_metadata(info, audio):` returning a "
                                     "dict")]
    # the module's findings come beside the folder's
    assert dataset(ws, audio({"id": "a", "path": "data", "custom_metadata_module": 5})) == [
        info(K, f"datasets[0].path {ws / 'data'}: 2 files"), error(K, f"{label} must be a path to "
                                                                      "a .py file")]
    for i, source in enumerate(("async def get_custom_metadata(info, audio): ...\n",
                                "get_custom_metadata = lambda info, audio: {}\n",
                                "get_custom_metadata: object = dict\n",
                                "from helpers import meta as get_custom_metadata\n",
                                "import get_custom_metadata\n")):
        (ws / f"ok{i}.py").write_text(source)
        assert meta(f"ok{i}.py") == [], source


def test_the_validation_dataset_is_checked_the_same(ws: Path) -> None:
    write_json(ws / "configs" / "val.json", audio({"id": "v", "path": "nope"}))
    found = dataset(ws, audio({"id": "t", "path": "data"}), val_dataset_config="configs/val.json")
    assert [(f.field, f.level) for f in found] == [(K, "info"),
                                                   ("val_dataset_config", "error")]
