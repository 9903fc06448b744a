"""The probe of the training python: real interpreters, the cache, broken and hanging ones."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import pytest

from satconf.environment import EnvironmentInfo, cached_probe, probe


@pytest.fixture(scope="module")
def probe_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("probe-cache")


@pytest.fixture(scope="module")
def venv_env(probe_cache: Path) -> EnvironmentInfo:
    """This test run's interpreter has torch and Lightning: probed once per module."""
    return probe(sys.executable, cache=probe_cache)


def test_probe_reports_torch_lightning_and_names(venv_env: EnvironmentInfo) -> None:
    import importlib.metadata as md

    assert venv_env.error is None, venv_env.error
    assert venv_env.python_version == platform.python_version()
    assert venv_env.torch == md.version("torch")
    assert (venv_env.lightning or venv_env.pytorch_lightning) == md.version("lightning")
    assert {"auto", "ddp", "ddp_find_unused_parameters_true", "fsdp"} <= set(venv_env.strategies)
    assert {"16-mixed", "bf16-mixed", "32", "transformer-engine"} <= set(venv_env.precisions)
    assert venv_env.packages["wandb"] is True and venv_env.packages["prefigure"] is True
    if not venv_env.cuda_available:
        assert venv_env.gpus == ()


def test_second_probe_comes_from_the_cache(venv_env: EnvironmentInfo, probe_cache: Path) -> None:
    again = probe(sys.executable, cache=probe_cache)
    assert again.cached and not venv_env.cached
    assert (again.torch, again.strategies, again.precisions) == (
        venv_env.torch, venv_env.strategies, venv_env.precisions)
    hit = cached_probe(sys.executable, cache=probe_cache)
    assert hit is not None and hit.cached
    assert not probe(sys.executable, cache=probe_cache, refresh=True).cached
    assert list(probe_cache.glob("*.json"))


def test_installing_a_package_invalidates_the_cache(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    python = str(venv / "bin" / "python")
    cache = tmp_path / "cache"
    bare = probe(python, cache=cache)
    assert bare.error is None and bare.torch is None and bare.strategies == ()
    assert probe(python, cache=cache).cached
    site = next((venv / "lib").glob("python*/site-packages"))
    (site / "somepkg-1.0.dist-info").mkdir()
    after = probe(python, cache=cache)
    assert not after.cached
    assert cached_probe(python, cache=cache) is not None


def test_missing_interpreter(tmp_path: Path) -> None:
    for python in (str(tmp_path / "no" / "python"), "no-such-python-here"):
        info = probe(python, cache=tmp_path)
        assert info.error and "does not exist" in info.error
        assert cached_probe(python, cache=tmp_path) is None


def _script(path: Path, body: str) -> str:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return str(path)


def test_broken_interpreter(tmp_path: Path) -> None:
    python = _script(tmp_path / "python", "echo 'boom: no such module' >&2\nexit 3\n")
    info = probe(python, cache=tmp_path / "cache")
    assert info.error and "exit 3" in info.error and "boom" in info.error
    assert not (tmp_path / "cache").exists()  # failures are not cached


def test_not_executable(tmp_path: Path) -> None:
    path = tmp_path / "python"
    path.write_text("not a program")
    info = probe(str(path), cache=tmp_path / "cache")
    assert info.error and "cannot be started" in info.error


def test_hanging_interpreter_is_cut_off(tmp_path: Path) -> None:
    # The grandchild `sleep` holds the output pipe: the whole group must be killed.
    python = _script(tmp_path / "python", "sleep 60 &\nsleep 60\n")
    started = time.monotonic()
    info = probe(python, cache=tmp_path / "cache", timeout=1)
    took = time.monotonic() - started
    assert info.error and "did not answer within 1 s" in info.error
    # Killing only the shell would leave the sleeps holding the pipe for 60 s.
    assert took < 20, f"the probe took {took:.0f} s: the group was not killed"


def test_satconf_process_never_imports_torch(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from satconf.runconfig import load_run_config\n"
        "from satconf.checks import run_checks, inspect_checkpoints\n"
        "from satconf.environment import cached_probe\n"
        "import satconf.cli.check, satconf.gpus\n"
        "config = load_run_config(sys.argv[1])\n"
        "run_checks(config, cached_probe(sys.executable))\n"
        "bad = [m for m in ('torch', 'lightning', 'pytorch_lightning', 'textual')"
        " if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "defaults.ini").write_text("[DEFAULTS]\nname = x\nprecision = 'bf16-mixed'\n")
    (ws / "train.py").write_text("args.name\n")
    env = {**os.environ, "SATCONF_HOME": str(tmp_path / "home")}
    out = subprocess.run([sys.executable, "-c", code, str(ws)], capture_output=True, text=True,
                         timeout=60, env=env)
    assert out.returncode == 0, out.stderr
