"""Issue 14 on disks: full, read-only, `ulimit -f 0` (items 3, 10), and SLURM names (item 11).

A full disk is a real small tmpfs (root only: skipped elsewhere, with the
reason); a read-only SATCONF_HOME is that tmpfs remounted read-only (a chmod
does not stop root, which CI runs as).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from satconf.command import LaunchPlan
from satconf.runs import RunError, load_run, run_status, start_plan

from conftest import make_workspace

WAIT_S = 60.0


def _mount_tmpfs(where: Path, size: str) -> None:
    where.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs",
                           str(where)], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs to fill ({proc.stderr.strip() or 'not root'})")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB filesystem of its own."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    where = tmp_path / "small"
    _mount_tmpfs(where, "1m")
    yield where
    subprocess.run(["umount", "-l", str(where)], check=False)


def _fill(folder: Path) -> None:
    with open(folder / "filler", "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass


def _wait_ended(run_id: str, base: Path) -> None:
    deadline = time.monotonic() + WAIT_S
    while run_status(load_run(run_id, base)) == "running":
        assert time.monotonic() < deadline, "the run did not end"
        time.sleep(0.05)


FLOOD = """
import os
chunk = b"x" * 4096 + b"\\n"
for _ in range(1000):  # 4 MB into a 1 MB disk: most writes fail with ENOSPC
    try:
        os.write(1, chunk)
    except OSError:
        pass
"""


def test_exit_code_reaches_the_record_when_the_log_fills_the_disk(small_disk: Path,
                                                                  tmp_path: Path) -> None:
    """Item 3: the training fills the disk with its log and exits 0: recorded 0, not lost."""
    base = small_disk / "runs"
    record = start_plan(LaunchPlan(argv=(sys.executable, "-c", FLOOD), cwd=str(tmp_path)),
                        base=base)
    _wait_ended(record.id, base)
    record = load_run(record.id, base)
    assert record.exit_code == 0 and record.ended_at
    assert run_status(record) == "succeeded"


def test_full_disk_at_launch_is_one_error_and_leaves_no_folder(small_disk: Path,
                                                               tmp_path: Path) -> None:
    """Item 10: nothing half-made is left in the runs folder."""
    base = small_disk / "runs"
    base.mkdir()
    _fill(small_disk)
    with pytest.raises(RunError, match="cannot be written"):
        start_plan(LaunchPlan(argv=(sys.executable, "-c", "pass"), cwd=str(tmp_path)),
                   base=base)
    assert list(base.iterdir()) == []


def test_ulimit_f_0_at_launch_is_one_error(tmp_path: Path, satconf_home: Path) -> None:
    """Item 10: `ulimit -f 0` (no file may grow): one line, exit 1, no folder left."""
    code = ("import sys\nfrom satconf.command import LaunchPlan\n"
            "from satconf.runs import RunError, start_plan\n"
            "try:\n    start_plan(LaunchPlan(argv=(sys.executable, '-c', 'pass'), cwd='.'))\n"
            "except RunError as exc:\n    print(exc)\n    sys.exit(1)\n")
    out = subprocess.run(["bash", "-c", 'ulimit -f 0; exec "$0" -c "$1"', sys.executable, code],
                         capture_output=True, text=True, timeout=WAIT_S)
    assert out.returncode == 1, out.stderr
    assert "cannot be written (File too large)" in out.stdout
    assert "Traceback" not in out.stderr
    runs = satconf_home / "runs"
    assert not runs.exists() or list(runs.iterdir()) == []


@pytest.fixture
def read_only_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A SATCONF_HOME that nothing can write, root included, with no demo copy in it."""
    if os.geteuid() != 0:
        pytest.skip("mounting a read-only tmpfs needs root")
    home = tmp_path / "ro-home"
    _mount_tmpfs(home, "1m")
    proc = subprocess.run(["mount", "-o", "remount,ro", str(home)], capture_output=True,
                          text=True)
    if proc.returncode != 0:
        subprocess.run(["umount", "-l", str(home)], check=False)
        pytest.skip(f"cannot remount read-only: {proc.stderr.strip()}")
    monkeypatch.setenv("SATCONF_HOME", str(home))
    yield home
    subprocess.run(["umount", "-l", str(home)], check=False)


@pytest.mark.parametrize("argv", [("check",), ("launch", "--dry-run"),
                                  ("profiles", "save", "x"), ("profiles", "list")],
                         ids=["check", "dry-run", "save", "list"])
def test_read_only_home_is_a_clear_error(read_only_home: Path, tmp_path: Path, run_satconf,
                                         argv: tuple[str, ...]) -> None:
    """Item 10: no workspace here and no demo copy yet: a clear line, never a traceback."""
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    out = run_satconf(*argv, cwd=empty)
    assert "Traceback" not in out.stderr, out.stderr
    assert out.returncode in (0, 1, 2)
    if argv[0] != "profiles" or argv[1] == "save":
        assert out.returncode in (1, 2)
        assert "read-only" in out.stderr.lower() or "cannot" in out.stderr


def test_read_only_home_cannot_save_a_profile(read_only_home: Path, tmp_path: Path,
                                              run_satconf) -> None:
    ws = make_workspace(tmp_path / "ws")
    out = run_satconf("profiles", "save", "x", "--workspace", str(ws))
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "Read-only file system" in out.stderr


# ---------------------------------------------------------------- item 11 (SLURM)


@pytest.mark.parametrize("name", ['say "hi"', "two\nlines"], ids=["quote", "newline"])
def test_slurm_script_refuses_a_name_it_cannot_write(tmp_path: Path, name: str) -> None:
    from satconf.cluster.options import ClusterOptions
    from satconf.cluster.slurm import BatchScriptError, batch_script
    from satconf.command import PlanError

    plan = LaunchPlan(argv=(sys.executable, "train.py"), cwd=str(tmp_path))
    with pytest.raises(PlanError, match="cannot be written on an #SBATCH line") as caught:
        batch_script(plan, ClusterOptions(engine="slurm"), nodes=1, job_name=name,
                     output=str(tmp_path / "train.log"))
    assert isinstance(caught.value, BatchScriptError)
    with pytest.raises(PlanError, match="SATCONF_HOME"):
        batch_script(plan, ClusterOptions(engine="slurm"), nodes=1, job_name="ok",
                     output=f"/home/{name}/runs/x/train.log")


def test_slurm_dry_run_with_a_quote_in_home_is_one_error(tmp_path: Path, run_satconf) -> None:
    ws = make_workspace(tmp_path / "ws")
    home = tmp_path / 'home"q'
    out = run_satconf("launch", "--engine", "slurm", "--dry-run", "--workspace", str(ws),
                      "--no-probe", env={"SATCONF_HOME": str(home)})
    assert "Traceback" not in out.stderr
    assert out.returncode == 1 and "#SBATCH" in out.stdout + out.stderr
