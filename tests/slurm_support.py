"""The one-machine SLURM cluster fixture, shared by the CLI and the Pilot tests.

`scripts/slurm-up.sh` installs Debian's slurm-wlm and munge where missing and
starts munged, slurmctld and slurmd; the fixture stops what it started. Where
that cannot happen (not root, no apt, no network, daemons refuse) the tests
skip with the script's reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


def _controller_here() -> bool:
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == "slurmctld":
                return True
        except OSError:
            continue
    return False


def _node_idle() -> bool:
    # Without a controller here, sinfo would wait ~18 s to say it cannot reach one.
    if shutil.which("sinfo") is None or not _controller_here():
        return False
    proc = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True,
                          timeout=30)
    return proc.returncode == 0 and "idle" in proc.stdout


@pytest.fixture(scope="session")
def slurm_cluster() -> Iterator[None]:
    if _node_idle():
        yield  # someone else's cluster: use it, leave it running
        return
    if os.geteuid() != 0:
        pytest.skip("starting a SLURM test cluster needs root (apt-get, munged, slurmd)")
    if shutil.which("sbatch") is None and shutil.which("apt-get") is None:
        pytest.skip("slurm-wlm is not installed and there is no apt-get to install it")
    try:
        up = subprocess.run(["bash", str(SCRIPTS / "slurm-up.sh")], capture_output=True,
                            text=True, timeout=900)
    except subprocess.TimeoutExpired:
        subprocess.run(["bash", str(SCRIPTS / "slurm-down.sh")], capture_output=True)
        pytest.skip("scripts/slurm-up.sh did not finish in 15 minutes")
    if up.returncode != 0:
        subprocess.run(["bash", str(SCRIPTS / "slurm-down.sh")], capture_output=True)
        pytest.skip("no SLURM test cluster: " + (up.stderr.strip() or up.stdout.strip())[-800:])
    try:
        yield
    finally:
        subprocess.run(["bash", str(SCRIPTS / "slurm-down.sh")], capture_output=True,
                       timeout=120)
