"""Which training python satconf uses, and why: explicit, env var, profile, active env, checkout."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from satconf.pythons import choose_python


def _venv(folder: Path) -> Path:
    """A real interpreter path inside `folder/bin` (a link to this one)."""
    (folder / "bin").mkdir(parents=True)
    python = folder / "bin" / "python"
    python.symlink_to(sys.executable)
    return python


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for var in ("SATCONF_PYTHON", "VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_DEFAULT_ENV"):
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


def test_the_order_of_choices(tmp_path: Path, clean_env: pytest.MonkeyPatch) -> None:
    checkout = tmp_path / "checkout"
    own = _venv(checkout / ".venv")
    active = _venv(tmp_path / "active")
    assert choose_python(checkout, explicit=None, profile_python=None) == (
        str(own), "the checkout's own environment .venv/")
    clean_env.setenv("VIRTUAL_ENV", str(tmp_path / "active"))
    python, why = choose_python(checkout, explicit=None, profile_python=None)
    assert python == str(active) and "$VIRTUAL_ENV" in why
    assert choose_python(checkout, explicit=None, profile_python="/p/python") == (
        "/p/python", "the profile's python")
    clean_env.setenv("SATCONF_PYTHON", "/env/python")
    assert choose_python(checkout, explicit=None, profile_python="/p/python") == (
        "/env/python", "$SATCONF_PYTHON")
    assert choose_python(checkout, explicit="/cli/python", profile_python="/p/python") == (
        "/cli/python", "given with --python")


def test_conda_and_satconfs_own_environment(tmp_path: Path,
                                            clean_env: pytest.MonkeyPatch) -> None:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    conda = _venv(tmp_path / "envs" / "sat")
    clean_env.setenv("CONDA_PREFIX", str(tmp_path / "envs" / "sat"))
    clean_env.setenv("CONDA_DEFAULT_ENV", "sat")
    python, why = choose_python(checkout, explicit=None, profile_python=None)
    assert python == str(conda) and "conda env sat" in why
    # conda's base env, or satconf's own venv activated, say nothing about the workspace
    clean_env.setenv("CONDA_DEFAULT_ENV", "base")
    clean_env.setenv("VIRTUAL_ENV", sys.prefix)
    venv = _venv(checkout / "venv")
    assert choose_python(checkout, explicit=None, profile_python=None)[0] == str(venv)
    venv.unlink()
    python, why = choose_python(checkout, explicit=None, profile_python=None)
    assert python == sys.executable and why.startswith("satconf's own python")
