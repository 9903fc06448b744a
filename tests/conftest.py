"""Shared fixtures: an isolated SATCONF_HOME and real workspaces on disk."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# The Pilot tests' fixtures (`ws`, `fake_gpus`) live beside their helpers.
pytest_plugins = ["tui_support", "slurm_support"]

HERE = Path(__file__).parent
SEED_INI = HERE / "seed_defaults.ini"  # the seed's defaults.ini, verbatim

# prefigure imports wandb; keep it offline and quiet in every test process.
os.environ.setdefault("WANDB_MODE", "disabled")
os.environ.setdefault("WANDB_SILENT", "true")


@pytest.fixture(scope="session")
def probed_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real probe of this test interpreter, made once per test session.

    `satconf check` and `launch` probe the training python; a fresh home per
    test would probe it again each time (seconds). Tests that probe on purpose
    ask for `unprobed_home`.

    `SATCONF_TEST_PROBE_HOME` names a folder that outlives the session (`make mutate` sets
    it: mutmut starts a test session per mutant, and a probe costs seconds of CPU); the
    probe's own cache check decides whether what it holds is still this interpreter's."""
    shared = os.environ.get("SATCONF_TEST_PROBE_HOME")
    home = Path(shared) if shared else tmp_path_factory.mktemp("probe-home")
    home.mkdir(parents=True, exist_ok=True)
    old = os.environ.get("SATCONF_HOME")
    os.environ["SATCONF_HOME"] = str(home)
    try:
        from satconf.environment import probe

        probe(sys.executable)
    finally:
        if old is None:
            os.environ.pop("SATCONF_HOME", None)
        else:
            os.environ["SATCONF_HOME"] = old
    return home / "cache"


@pytest.fixture(autouse=True)
def satconf_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch,
                 request: pytest.FixtureRequest) -> Path:
    """Every test writes satconf's own files into a fresh SATCONF_HOME, which holds the
    session's probe of this interpreter unless the test is marked `unprobed`."""
    home = tmp_path_factory.mktemp("satconf-home")
    monkeypatch.setenv("SATCONF_HOME", str(home))
    if request.node.get_closest_marker("unprobed") is None:
        cache = request.getfixturevalue("probed_cache")
        if cache.is_dir():
            shutil.copytree(cache, home / "cache")
    return home


@pytest.fixture
def launchable_workspace(tmp_path: Path) -> Path:
    """The seed's defaults.ini with valid model and dataset configs: nothing refuses a launch."""
    from checks_support import good_workspace

    ws = good_workspace(tmp_path / "sat-ok")
    # A train.py that imports what every python here has, and reads its flags.
    (ws / "train.py").write_text("import sys\nprint(sys.argv)\n", encoding="utf-8")
    return ws


WAIT_S = 60.0  # an upper bound for a busy shared machine, not a speed check


def wait_for(cond: Callable[[], bool], what: str, timeout: float = WAIT_S,
             poll: float = 0.05) -> None:
    """Wait for an event the test cannot be told about directly (a run ending, a row
    appended); fail naming it when it does not come."""
    import time

    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(poll)


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
    def run(*args: str, cwd: Path | None = None, input: str | None = None,
            env: dict[str, str] | None = None, timeout: float = 60):
        full_env = {**os.environ, **(env or {})}
        return subprocess.run(
            [sys.executable, "-m", "satconf.cli", *args], cwd=cwd, input=input,
            capture_output=True, text=True, env=full_env, timeout=timeout,
        )

    return run


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen[str]]]:
    """Process groups a test starts as trainings (tests/run_trainings.py); each group is
    killed after the test, workers included."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        # before the leader is reaped (its number stays its group's): it and any worker left
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
