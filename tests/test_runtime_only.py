"""The demo launched from the form in exactly the environment `make run` installs.

Every other test runs with the test extras importable (prefigure among them),
which is how "prefigure is not installed" on a fresh `make run` went unseen.
`make test` keeps `.venv` as `make run` builds it, puts the test packages in
a second venv layered over it (see the Makefile), and names the runtime
interpreter in SATCONF_RUNTIME_PYTHON. These tests run that interpreter with
no PYTHONPATH, so it sees precisely the runtime packages.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

RUNTIME = os.environ.get("SATCONF_RUNTIME_PYTHON", "")
SCRIPT = Path(__file__).parent / "runtime" / "launch_demo_from_form.py"
TEST_ONLY = ("pytest", "prefigure", "hypothesis", "hydra")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not RUNTIME, reason="SATCONF_RUNTIME_PYTHON is unset: `make test` "
                       "names the runtime-only python (.venv/bin/python)"),
]


def _old_venv() -> bool:
    """A .venv made by the Makefile before the split: it holds the test extras too."""
    return (Path(RUNTIME).parent.parent / ".test").exists()


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "SATCONF_PYTHON")}
    return {**env, "SATCONF_HOME": str(home), "WANDB_MODE": "disabled"}


def _run(home: Path, *argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([RUNTIME, *argv], env=_env(home), capture_output=True, text=True,
                          timeout=timeout, check=False)


def test_the_runtime_python_has_no_test_package(tmp_path: Path) -> None:
    if _old_venv():
        pytest.skip(f"{RUNTIME} was built by the Makefile before the test extras moved out "
                    "of it; `make clean test` rebuilds it")
    for name in TEST_ONLY:
        out = _run(tmp_path, "-c", f"import {name}")
        assert out.returncode != 0 and "ModuleNotFoundError" in out.stderr, name
    assert _run(tmp_path, "-c", "import satconf, textual, lightning").returncode == 0


def test_the_demo_launches_from_the_form_and_succeeds(tmp_path: Path) -> None:
    home = tmp_path / "home"
    ws = tmp_path / "demo"
    made = _run(home, "-m", "satconf.cli", "demo", "init", str(ws))
    assert made.returncode == 0, made.stderr
    ini = ws / "defaults.ini"
    ini.write_text(re.sub(r"^max_steps = .*$", "max_steps = 8", ini.read_text(), flags=re.M))
    out = _run(home, str(SCRIPT), str(ws), timeout=480)
    lines = [line for line in out.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, out.stderr[-3000:]
    result = json.loads(lines[-1][len("RESULT "):])
    assert not result["asked"], result["findings"]  # no "Launch anyway?" on the demo
    assert result["status"] == "succeeded" and result["exit_code"] == 0, result
    assert not [f for f in result["findings"] if f.startswith("error")]
