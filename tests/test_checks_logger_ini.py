"""Logger login, validation without a dataset, INI traps, keys train.py never reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from satconf.checks import run_checks
from satconf.environment import wandb_logged_in

from checks_support import TRAIN_PY, about, config_for, environment, good_workspace
from conftest import SEED_INI, make_workspace


@pytest.fixture
def no_login(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    for name in ("WANDB_MODE", "WANDB_API_KEY", "NETRC"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    return home


def test_wandb_without_login(tmp_path: Path, no_login: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    ws = good_workspace(tmp_path / "ws")
    (found,) = about(run_checks(config_for(ws, logger="wandb")), "logger")
    assert found.level == "error" and "WANDB_MODE=offline" in found.hint
    monkeypatch.setenv("WANDB_MODE", "offline")
    assert not about(run_checks(config_for(ws, logger="wandb")), "logger")


def test_wandb_login_from_netrc_or_key(tmp_path: Path, no_login: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    assert not wandb_logged_in()
    netrc = no_login / ".netrc"
    netrc.write_text("machine api.wandb.ai\n  login user\n  password secret-key\n")
    netrc.chmod(0o600)
    assert wandb_logged_in()
    ws = good_workspace(tmp_path / "ws")
    assert not about(run_checks(config_for(ws, logger="wandb")), "logger")
    netrc.unlink()
    assert wandb_logged_in({"WANDB_API_KEY": "x", "HOME": str(no_login)})


def test_wandb_package_missing_in_training_python(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    env = environment(packages={"prefigure": True, "wandb": False})
    (found,) = about(run_checks(config_for(ws, logger="wandb"), env), "logger")
    assert "wandb package" in found.message


def test_val_every_without_val_dataset(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    (found,) = about(run_checks(config_for(ws, val_every=500)), "val_every")
    assert found.level == "warning"
    assert not about(run_checks(config_for(ws, val_every=500,
                                           val_dataset_config="configs/dataset.json")),
                     "val_every")


def _ini_workspace(tmp_path: Path, replacements: dict[str, str], extra: str = "") -> Path:
    ini = SEED_INI.read_text(encoding="utf-8")
    for old, new in replacements.items():
        assert old in ini
        ini = ini.replace(old, new)
    return make_workspace(tmp_path / "ws", ini + extra, TRAIN_PY)


def test_int_precision_default(tmp_path: Path) -> None:
    ws = _ini_workspace(tmp_path, {'precision = "16-mixed"': "precision = 16"})
    (found,) = about(run_checks(config_for(ws)), "precision")
    assert found.level == "warning" and "bf16-mixed is rejected" in found.message
    assert found.hint == 'quote it: `precision = "16"`'


def test_dir_values_true_false_literals_and_text_booleans(tmp_path: Path) -> None:
    ws = _ini_workspace(tmp_path, {"save_dir = ''": "save_dir = 'my_dir/ckpts'"},
                        extra="use_ema = True\nfast = False\ndebug = 'false'\n")
    (ws / "train.py").write_text(TRAIN_PY.replace("seed = args.seed",
                                                  "seed = args.seed or args.debug"))
    findings = run_checks(config_for(ws))
    assert any("keeps the quotes" in f.message for f in about(findings, "save_dir", "info"))
    assert about(findings, "use_ema", "warning")[0].message.count("bare switch") == 1
    assert "bare switch" in about(findings, "fast", "info")[0].message
    assert "not a boolean" in about(findings, "debug", "warning")[0].message


def test_stop_key_hides_later_keys(tmp_path: Path) -> None:
    ws = _ini_workspace(tmp_path, {"batch_size = 4\n": "wandb_config = ''\nbatch_size = 4\n"})
    (found,) = about(run_checks(config_for(ws)), "wandb_config", "warning")
    assert "batch_size" in found.message and "move `wandb_config`" in found.hint


def test_keys_train_py_never_reads(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    unread = {f.field: f.message for f in run_checks(config_for(ws))
              if f.level == "info" and "never reads" in f.message}
    assert set(unread) == {"project", "recover", "save_top_k"}
    assert "satconf acts on it" in unread["recover"]


def test_train_py_passing_all_args_on(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    (ws / "train.py").write_text("args = get_all_args()\nrun(**vars(args))\n")
    assert not [f for f in run_checks(config_for(ws)) if "never reads" in f.message]
    (ws / "train.py").write_text("print('hello')\n")
    (found,) = [f for f in run_checks(config_for(ws)) if "reads no args" in f.message]
    assert found.field is None
