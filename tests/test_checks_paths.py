"""Path fields: existence, file vs folder, permissions, save_dir space, the good case."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from readonly_support import read_only_folder, without_dac_override
from satconf.checks import run_checks

from checks_support import about, config_for, errors, good_workspace

pytestmark = pytest.mark.unprobed  # the path checks need no training python


def test_good_workspace_has_no_errors(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    findings = run_checks(config_for(ws))
    assert [f for f in findings if f.level != "info"] == []
    assert any("free for checkpoints" in f.message for f in about(findings, "save_dir"))
    assert any("2 files" in f.message for f in about(findings, "dataset_config", "info"))


def test_missing_file_names_the_resolved_path(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    found = errors(config_for(ws, model_config="configs/nope.json"))
    assert [f.field for f in found] == ["model_config"]
    assert str(ws / "configs" / "nope.json") in found[0].message
    assert "does not exist" in found[0].message


def test_absolute_path_is_not_resolved_against_the_workspace(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    outside = tmp_path / "elsewhere.json"
    outside.write_text((ws / "configs" / "model.json").read_text())
    assert errors(config_for(ws, model_config=str(outside))) == []


def test_required_config_empty(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    found = errors(config_for(ws, dataset_config=""))
    assert [f.field for f in found] == ["dataset_config"]
    assert "empty" in found[0].message


def test_folder_where_a_file_is_expected(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    found = errors(config_for(ws, pretrained_ckpt_path="data"))
    assert [f.field for f in found] == ["pretrained_ckpt_path"]
    assert "is a folder" in found[0].message


def test_save_dir_that_is_a_file(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    found = errors(config_for(ws, save_dir="configs/model.json"))
    assert [f.field for f in found] == ["save_dir"]


def test_save_dir_to_be_created_is_fine(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    findings = run_checks(config_for(ws, save_dir="out/run1"))
    assert not about(findings, "save_dir", "error")
    assert any("will create it" in f.message for f in about(findings, "save_dir", "info"))


def test_empty_save_dir_says_where_checkpoints_go(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    findings = about(run_checks(config_for(ws, save_dir="")), "save_dir")
    assert any("lightning_logs" in f.message for f in findings)


def test_unwritable_save_dir(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    locked = tmp_path / "locked"
    locked.mkdir()
    with read_only_folder(locked):  # as root: a read-only bind mount
        found = errors(config_for(ws, save_dir=str(locked / "ckpts")))
    by_field = {f.field: f.message for f in found}
    assert "cannot be written" in by_field["save_dir"]
    assert "model_config" not in by_field


# Runs the checks where the permission bits apply (as root: without CAP_DAC_OVERRIDE).
CHECK_MODEL = """\
import json, sys
sys.path.insert(0, sys.argv[2])
from checks_support import config_for, errors
found = errors(config_for(__import__("pathlib").Path(sys.argv[1])))
print(json.dumps({f.field: f.message for f in found}))
"""


def test_unreadable_file(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    import satconf

    ws = good_workspace(tmp_path / "ws")
    assert errors(config_for(ws)) == []  # readable, here
    model = ws / "configs" / "model.json"
    model.chmod(0o000)
    # The child imports the satconf this test imports (under `make mutate`, the mutated one).
    path = os.pathsep.join([str(Path(__file__).parent),
                            str(Path(satconf.__file__).resolve().parents[1])])
    try:
        argv = without_dac_override([sys.executable, "-c", CHECK_MODEL, str(ws),
                                     str(Path(__file__).parent)])
        out = subprocess.run(argv, capture_output=True, text=True, timeout=120,
                             env={**os.environ, "PYTHONPATH": path})
    finally:
        model.chmod(0o644)
    assert out.returncode == 0, out.stderr
    by_field = json.loads(out.stdout.strip().splitlines()[-1])
    # os.access says so first where the permission bits apply to it; as root without DAC
    # override access() still passes here, and the read itself is refused.
    assert by_field["model_config"] in (f"{model} is not readable by you",
                                        f"{model} cannot be read: Permission denied")
