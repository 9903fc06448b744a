"""Shared fixtures: an isolated SATCONF_HOME and real workspaces on disk."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# The Pilot tests' fixtures (`ws`, `fake_gpus`) live beside their helpers.
pytest_plugins = ["tui_support"]

HERE = Path(__file__).parent
SEED_INI = HERE / "seed_defaults.ini"  # the seed's defaults.ini, verbatim

# prefigure imports wandb; keep it offline and quiet in every test process.
os.environ.setdefault("WANDB_MODE", "disabled")
os.environ.setdefault("WANDB_SILENT", "true")


@pytest.fixture(autouse=True)
def satconf_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test writes satconf's own files into a fresh SATCONF_HOME."""
    home = tmp_path_factory.mktemp("satconf-home")
    monkeypatch.setenv("SATCONF_HOME", str(home))
    return home


def make_workspace(root: Path, ini_text: str | None = None,
                   train_py: str = "import sys\nprint(sys.argv)\n") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "defaults.ini").write_text(
        ini_text if ini_text is not None else SEED_INI.read_text(), encoding="utf-8"
    )
    (root / "train.py").write_text(train_py, encoding="utf-8")
    return root


@pytest.fixture
def seed_workspace(tmp_path: Path) -> Path:
    """A folder shaped like a stable-audio-tools checkout, with the seed's defaults.ini."""
    return make_workspace(tmp_path / "sat")


@pytest.fixture
def run_satconf():
    """Run the real `satconf` CLI in a subprocess; returns CompletedProcess."""
    import subprocess

    def run(*args: str, cwd: Path | None = None, input: str | None = None,
            env: dict[str, str] | None = None, timeout: float = 60):
        full_env = {**os.environ, **(env or {})}
        return subprocess.run(
            [sys.executable, "-m", "satconf.cli", *args], cwd=cwd, input=input,
            capture_output=True, text=True, env=full_env, timeout=timeout,
        )

    return run
