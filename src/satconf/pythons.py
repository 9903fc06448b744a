"""Which python trains: the one people chose, found where they choose it, with the reason.

A run on a real checkout died with `No module named 'safetensors'` because
the training python defaulted to satconf's own venv. `choose_python` looks
where people actually put the training environment, first match wins:

1. `--python` on the command line (explicit);
2. `$SATCONF_PYTHON`;
3. the profile's `python`;
4. an active virtualenv (`$VIRTUAL_ENV`) or conda env (`$CONDA_PREFIX`), unless
   it is satconf's own environment or conda's `base` (which says nothing
   about this workspace);
5. a `.venv/` or `venv/` folder in the checkout;
6. satconf's own interpreter.

It only looks at paths (no subprocess), so it is cheap enough for every
start-up; whether that python can import the workspace's package is the
`imports` check's business.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ENV_VAR = "SATCONF_PYTHON"
FROM_PROFILE = "the profile's python"  # the reason a profile's python gets (it asks first)
CHECKOUT_VENVS = (".venv", "venv")


def env_python(prefix: Path) -> Path:
    """The interpreter of a virtualenv or conda env at `prefix`."""
    if os.name == "nt":
        for candidate in (prefix / "Scripts" / "python.exe", prefix / "python.exe"):
            if candidate.is_file():
                return candidate
        return prefix / "Scripts" / "python.exe"
    for name in ("python", "python3"):
        candidate = prefix / "bin" / name
        if candidate.is_file():
            return candidate
    return prefix / "bin" / "python"


def _own_prefix(prefix: Path) -> bool:
    try:
        return prefix.resolve() == Path(sys.prefix).resolve()
    except OSError:
        return False


def _active_env() -> tuple[Path, str] | None:
    venv = os.environ.get("VIRTUAL_ENV", "").strip()
    if venv and not _own_prefix(Path(venv)):
        return env_python(Path(venv)), f"the active virtualenv ($VIRTUAL_ENV={venv})"
    conda = os.environ.get("CONDA_PREFIX", "").strip()
    name = os.environ.get("CONDA_DEFAULT_ENV", "").strip()
    if conda and name != "base" and not _own_prefix(Path(conda)):
        label = name or conda
        return env_python(Path(conda)), f"the active conda env {label} ($CONDA_PREFIX={conda})"
    return None


def choose_python(workspace_root: Path, *, explicit: str | None,
                  profile_python: str | None) -> tuple[str, str]:
    """(the training python, why it was chosen), in the order the module docstring gives."""
    if explicit:
        return explicit, "given with --python"
    from_env = os.environ.get(ENV_VAR, "").strip()
    if from_env:
        return from_env, f"${ENV_VAR}"
    if profile_python:
        return profile_python, FROM_PROFILE
    active = _active_env()
    if active is not None and active[0].is_file():
        return str(active[0]), active[1]
    for folder in CHECKOUT_VENVS:
        candidate = env_python(Path(workspace_root) / folder)
        try:
            if candidate.is_file():
                return str(candidate), f"the checkout's own environment {folder}/"
        except OSError:
            continue
    return sys.executable, "satconf's own python (no --python, $SATCONF_PYTHON, profile, " \
                           "active environment or .venv/venv in the checkout)"
