"""`run_checks` as a whole: which checks run with and without the training python, field
errors in the same list, errors first, and a path the OS refuses as a finding."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from satconf.checks import LEVELS, Finding, run_checks

from checks_support import config_for, environment, good_workspace, write_json

FIX = "fix the value in the form, the profile or --set"


def test_field_errors_join_the_list_errors_first(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    config = config_for(ws, batch_size="many", val_every=5)
    (message,) = config.errors()["batch_size"]
    found = run_checks(config)
    assert Finding("error", "batch_size", message, FIX) in found
    assert [LEVELS.index(f.level) for f in found] == sorted(LEVELS.index(f.level) for f in found)
    assert found[-1].level == "info" and any(f.level == "warning" for f in found)
    assert not [f for f in run_checks(config, field_errors=False) if f.hint == FIX]


def test_the_training_python_adds_its_own_checks(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    config = dataclasses.replace(config_for(ws, precision="bf16-mixed"),
                                 python_reason="set in the form")
    assert not [f for f in run_checks(config) if f.field == "precision"
                or f.message.startswith("training python")]
    no_gpu = environment(())
    found = run_checks(config, no_gpu)
    (line,) = [f for f in found if f.message.startswith("training python")]
    assert f"({no_gpu.python}, set in the form)" in line.message
    assert [f.level for f in found if f.field == "precision"] == ["error"]  # the hardware check
    # train.py imports prefigure: a python without it is told so
    assert any("prefigure is not installed" in f.message for f in
               run_checks(config, environment(packages={})))
    (ws / "train.py").write_text("import json\nargs = get_all_args()\nprint(args.seed)\n")
    assert not any("prefigure is not installed" in f.message for f in
                   run_checks(config, environment(packages={})))
    # a python that cannot be probed: its error, and no hardware judged against it
    broken = run_checks(config, environment((), error="no such python"))
    assert [f.message for f in broken if f.level == "error"] == ["no such python"]


def test_a_path_the_os_refuses_inside_a_check_is_a_finding(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    long = "x" * 300
    write_json(ws / "configs" / "dataset.json", {"dataset_type": "audio_dir",
                                                 "datasets": [{"id": "a", "path": long}]})
    (found,) = [f for f in run_checks(config_for(ws)) if "File name too long" in f.message]
    assert found.level == "error" and found.field is None
    assert found.message.endswith("x" * 15 + " cannot be used as a path: File name too long")
    assert "255 bytes" in found.hint


def test_recover_with_a_save_dir_it_cannot_search(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    too_long = run_checks(config_for(ws, recover=True, save_dir="x" * 300))
    assert [f.field for f in too_long if "File name too long" in f.message] == ["save_dir"]
    null = run_checks(config_for(ws, recover=True, save_dir="a\0b"))  # ValueError in recover
    assert any(f.field == "save_dir" for f in null)  # the paths check still speaks


def test_run_checks_starts_no_import_probe(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    (ws / "train.py").write_text("import no_such_module_here\nargs = get_all_args()\n"
                                 "print(args.seed)\n")
    env = environment(python=sys.executable)
    assert not [f for f in run_checks(config_for(ws), env) if "no_such_module_here" in f.message]
