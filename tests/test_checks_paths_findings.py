"""The path checks' findings word for word, as the form and `satconf check` show them.

Each test runs `check_paths` on a real workspace (satconf.checks.paths); space on disk
is made scarce or plenty with a tmpfs of a chosen size where one can be mounted (root).
"""

from __future__ import annotations

import contextlib
import errno
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from satconf.checks.context import Context
from satconf.checks.finding import Finding, error, info, warning
from satconf.checks.paths import LOW_SPACE, check_paths, os_error

from checks_support import config_for, good_workspace

pytestmark = pytest.mark.unprobed  # the path checks need no training python

CREATE_HINT = ("pick a folder you can write to; train.py would fail at the first checkpoint, "
               "hours in")


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return good_workspace(tmp_path / "ws")


def paths(ws: Path, **values: Any) -> list[Finding]:
    return check_paths(Context.of(config_for(ws, **values), None))


def about(findings: list[Finding], field: str) -> list[Finding]:
    return [f for f in findings if f.field == field]


@contextlib.contextmanager
def disk_of(folder: Path, size: int) -> Iterator[None]:
    """`folder` on a file system of `size` bytes, all free."""
    folder.mkdir(parents=True, exist_ok=True)
    mount = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                           capture_output=True, text=True)
    if mount.returncode != 0:
        pytest.skip(f"a tmpfs cannot be mounted here: {mount.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_good_workspace_says_only_where_checkpoints_go(ws: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with disk_of(out, LOW_SPACE):  # exactly enough
        assert paths(ws, save_dir=str(out)) == [
            info("save_dir", f"10.0 GiB free for checkpoints in {out}")]


def test_little_space_for_checkpoints_is_a_warning(ws: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with disk_of(out, 2**20):
        assert paths(ws, save_dir=str(out / "run1")) == [
            info("save_dir", f"{out / 'run1'} does not exist yet; train.py will create it"),
            warning("save_dir", f"1.0 MiB free for checkpoints in {out}",
                    "free some space: each checkpoint is the model plus optimizer state")]


def test_an_empty_save_dir_means_lightnings_folder_in_the_workspace(ws: Path) -> None:
    found = about(paths(ws, save_dir=""), "save_dir")
    assert found[0] == info("save_dir", "save_dir is empty: Lightning writes checkpoints under "
                                        f"{ws / 'lightning_logs'}")
    assert found[1].message.endswith(f" free for checkpoints in {ws}") and len(found) == 2


def test_a_save_dir_that_cannot_be_a_folder(ws: Path) -> None:
    model = ws / "configs" / "model.json"
    assert about(paths(ws, save_dir="configs/model.json"), "save_dir") == [
        error("save_dir", f"{model} is a file, but save_dir must be a folder")]
    # below a file nothing can be made either
    assert about(paths(ws, save_dir="configs/model.json/run1"), "save_dir") == [
        error("save_dir", f"{model / 'run1'} cannot be written: {model} is not writable by you",
              CREATE_HINT)]


def test_a_save_dir_with_a_nul_byte_can_never_be_made(ws: Path) -> None:
    assert about(paths(ws, save_dir="out\0run"), "save_dir") == [
        error("save_dir", "save_dir contains a NUL byte, which no path can hold",
              "remove it; train.py would fail at the first checkpoint")]


def test_a_read_only_save_dir_is_named_with_the_folder_that_refuses(ws: Path,
                                                                    tmp_path: Path) -> None:
    from readonly_support import read_only_folder

    locked = tmp_path / "locked"
    locked.mkdir()
    with read_only_folder(locked):
        found = about(paths(ws, save_dir=str(locked / "a" / "b")), "save_dir")
    assert found == [error("save_dir", f"{locked / 'a' / 'b'} cannot be written: {locked} is "
                                       "not writable by you", CREATE_HINT)]


def test_missing_files_are_named_as_train_py_would_open_them(ws: Path, tmp_path: Path) -> None:
    hint = "relative paths are taken from train.py's folder; check the spelling"
    assert about(paths(ws, model_config="configs/nope.json"), "model_config") == [
        error("model_config", f"file {ws / 'configs' / 'nope.json'} (relative to {ws}) does "
                              "not exist", hint)]
    outside = tmp_path / "nope.json"
    assert about(paths(ws, val_dataset_config=str(outside)), "val_dataset_config") == [
        error("val_dataset_config", f"file {outside} does not exist", hint)]


def test_only_the_configs_train_py_opens_must_be_set(ws: Path) -> None:
    found = paths(ws, model_config="", dataset_config=" ", pretrained_ckpt_path="")
    assert [f for f in found if f.level != "info"] == [
        error(key, f"{key} is empty; train.py opens it first thing",
              "choose the JSON config file") for key in ("model_config", "dataset_config")]


def test_a_folder_given_for_a_file(ws: Path) -> None:
    assert about(paths(ws, pretrained_ckpt_path="data"), "pretrained_ckpt_path") == [
        error("pretrained_ckpt_path", f"{ws / 'data'} is a folder, but pretrained_ckpt_path "
                                      "must be a file", "pick the file inside it")]


def test_a_value_of_the_wrong_type_is_left_to_its_type_error(ws: Path) -> None:
    assert about(paths(ws, model_config=5), "model_config") == []


def test_a_folder_key_of_a_fork(ws: Path) -> None:
    # a fork's extra key whose text holds `_dir`: prefigure makes it a path, a folder
    ini = ws / "defaults.ini"
    ini.write_text(ini.read_text() + "\ndemo_folder = 'demo_dir'\n")
    assert about(paths(ws), "demo_folder") == [
        warning("demo_folder", f"folder {ws / 'demo_dir'} (relative to {ws}) does not exist",
                "create it or pick an existing folder")]
    assert about(paths(ws, demo_folder="data"), "demo_folder") == []
    assert about(paths(ws, demo_folder="configs/model.json"), "demo_folder") == [
        error("demo_folder", f"{ws / 'configs' / 'model.json'} is a file, but demo_folder must "
                             "be a folder")]


def test_a_path_the_system_refuses_is_one_finding(ws: Path) -> None:
    long = "configs/" + "m" * 300 + ".json"
    assert about(paths(ws, model_config=long), "model_config") == [
        error("model_config", f"{long[:60]}…{long[-15:]} cannot be used as a path: File name "
                              "too long", "shorten the path: a name between slashes may have "
                              "at most 255 bytes")]


def test_os_errors_keep_short_paths_whole_and_say_why() -> None:
    whole = "x" * 80
    assert os_error("k", whole, OSError(errno.EIO, "Input/output error")) == error(
        "k", f"{whole} cannot be used as a path: Input/output error", "check the path")
    cut = "y" * 60 + "z" * 21
    assert os_error(None, cut, OSError("no strerror")).message == (
        f"{'y' * 60}…{'z' * 15} cannot be used as a path: no strerror")
