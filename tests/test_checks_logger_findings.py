"""The logger and validation checks: the exact finding for each login, package and setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from satconf.checks import Finding
from satconf.checks.context import Context
from satconf.checks.logger import check_logger, check_validation

from checks_support import config_for, environment, good_workspace

NO_LOGIN = Finding("error", "logger", "logger is wandb but there is no wandb login (no "
                   "WANDB_API_KEY, no api.wandb.ai entry in ~/.netrc): train.py would stop at "
                   "start-up asking for an API key", "run `wandb login`, or set WANDB_MODE=offline")
NO_WANDB = Finding("error", "logger", "logger is wandb but the wandb package is not installed "
                   "in the training python", "pip install wandb, or choose no logger")
NO_COMET = Finding("error", "logger", "logger is comet but the comet_ml package is not "
                   "installed in the training python", "pip install comet_ml")
NO_COMET_KEY = Finding("warning", "logger", "logger is comet but COMET_API_KEY is not set",
                       "export COMET_API_KEY or configure ~/.comet.config")


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workspace, and a shell with no wandb login, no WANDB_MODE and no comet key."""
    home = tmp_path / "home"
    home.mkdir()
    for name in ("WANDB_MODE", "WANDB_API_KEY", "NETRC", "COMET_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    return good_workspace(tmp_path / "ws")


def _logger(ws: Path, logger: str, env=None) -> list[Finding]:
    return check_logger(Context.of(config_for(ws, logger=logger), env), env)


def test_wandb_without_a_login(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _logger(ws, "wandb") == [NO_LOGIN]
    monkeypatch.setenv("WANDB_MODE", "online")
    assert _logger(ws, "wandb") == [NO_LOGIN]
    for quiet in (" Offline ", "disabled", "DRYRUN"):
        monkeypatch.setenv("WANDB_MODE", quiet)
        assert _logger(ws, "wandb") == []
    monkeypatch.delenv("WANDB_MODE")
    monkeypatch.setenv("WANDB_API_KEY", "key")  # the shell's login, with no probe to ask
    assert _logger(ws, "wandb") == []


def test_wandb_judged_by_the_training_pythons_probe(ws: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WANDB_API_KEY", "key")  # the probe's answer wins over this shell
    assert _logger(ws, "wandb", environment(wandb_logged_in=False)) == [NO_LOGIN]
    with_wandb = {"wandb": True, "prefigure": True}
    assert _logger(ws, "wandb", environment(wandb_logged_in=True, packages=with_wandb)) == []
    missing = environment(wandb_logged_in=True, packages={"prefigure": True})
    assert _logger(ws, "wandb", missing) == [NO_WANDB]
    # a python that could not be probed says nothing about its packages
    broken = environment(wandb_logged_in=True, packages={}, error="no such python")
    assert _logger(ws, "wandb", broken) == []


def test_comet_needs_its_package_and_key(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _logger(ws, "comet", environment(packages={})) == [NO_COMET, NO_COMET_KEY]
    assert _logger(ws, "comet", environment(packages={}, error="no such python")) == [
        NO_COMET_KEY]
    assert _logger(ws, "comet") == [NO_COMET_KEY]
    monkeypatch.setenv("COMET_API_KEY", "key")
    assert _logger(ws, "comet", environment(packages={"comet_ml": True})) == []


def test_no_logger_needs_nothing(ws: Path) -> None:
    assert _logger(ws, "none", environment(packages={})) == []


def test_validation_needs_a_dataset(ws: Path) -> None:
    def validation(**values: object) -> list[Finding]:
        return check_validation(Context.of(config_for(ws, **values), None))

    assert validation(val_every=1) == [Finding(
        "warning", "val_every", "val_every = 1 but val_dataset_config is empty: no validation "
        "would ever run", "set val_dataset_config, or val_every = -1")]
    assert validation(val_every=500, val_dataset_config="  ")[0].field == "val_every"
    assert validation(val_every=500, val_dataset_config="configs/dataset.json") == []
    assert validation(val_every=0) == validation(val_every=-1) == []
