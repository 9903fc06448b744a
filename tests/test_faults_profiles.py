"""Issue 14 on the profile store: races, killed writers, hostile files.

Items 1, 5, 7, 8, 10, 11, 14 and 18.

Real processes race on one store folder; hostile files are real FIFOs,
devices, symlink loops and deep or huge TOML on disk.
"""

from __future__ import annotations

import contextlib
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from satconf.profiles import Profile, ProfileError, ProfileStore

# Two processes meet at the same moments: each round r starts at T0 + r * SLOT.
ROUNDS = 60
SLOT = 0.06

SAVER = """
import random, sys, time
from satconf.profiles import Profile, ProfileNotFoundError, ProfileStore
store, t0 = ProfileStore(sys.argv[1]), float(sys.argv[2])
rounds, slot = int(sys.argv[3]), float(sys.argv[4])
for r in range(rounds):
    while time.time() < t0 + r * slot + random.uniform(0, 0.004):
        pass
    try:
        prof = store.load(f"p{r}")
    except ProfileNotFoundError:  # renamed already: the save makes it anew
        prof = Profile(f"p{r}")
    prof.values["seed"] = r
    store.save(prof)
"""

RENAMER = """
import random, sys, time
from satconf.profiles import ProfileStore
store, t0 = ProfileStore(sys.argv[1]), float(sys.argv[2])
rounds, slot = int(sys.argv[3]), float(sys.argv[4])
for r in range(rounds):
    while time.time() < t0 + r * slot + random.uniform(0, 0.004):
        pass
    store.rename(f"p{r}", f"q{r}")
"""


def test_save_racing_rename_never_loses_the_save(tmp_path: Path) -> None:
    """Item 1: every round's saved seed is in p<r> or q<r>, whichever order the two took."""
    store = ProfileStore(tmp_path / "profiles")
    for r in range(ROUNDS):
        store.save(Profile(f"p{r}", values={"seed": -1}))
    t0 = time.time() + 1.5  # both interpreters are up by then
    args = [str(store.root), str(t0), str(ROUNDS), str(SLOT)]
    procs = [subprocess.Popen([sys.executable, "-c", code, *args], stderr=subprocess.PIPE,
                              text=True) for code in (SAVER, RENAMER)]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    lost = []
    for r in range(ROUNDS):
        seeds = [store.load(n).values["seed"] for n in (f"p{r}", f"q{r}") if store.exists(n)]
        if r not in seeds:
            lost.append((r, seeds))
    assert lost == []


def test_transaction_holds_off_another_process(tmp_path: Path) -> None:
    """Item 1: a change waits for the lock that another process holds."""
    store = ProfileStore(tmp_path / "profiles")
    store.save(Profile("a", values={"seed": 1}))
    code = ("import sys, time\nfrom satconf.profiles import ProfileStore\n"
            "s = ProfileStore(sys.argv[1])\nt = time.monotonic()\ns.rename('a', 'b')\n"
            "print(time.monotonic() - t)\n")
    with store.transaction():
        proc = subprocess.Popen([sys.executable, "-c", code, str(store.root)],
                                stdout=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while not _blocked_on_lock(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert store.exists("a") and not store.exists("b")  # it waits for us
        store.save(Profile("a", values={"seed": 2}))
    proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert store.load("b").values["seed"] == 2  # the rename saw our save


def _blocked_on_lock(pid: int) -> bool:
    """Whether `pid` waits for an flock (the kernel lists waiters with `->`)."""
    try:
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return False
    return any("->" in line and "FLOCK" in line and f" {pid} " in line for line in lines)


def test_killed_saves_leave_no_temporary_after_the_next_change(tmp_path: Path) -> None:
    """Item 14: a *.toml.*.tmp that a SIGKILLed save left is removed by the next save."""
    store = ProfileStore(tmp_path / "profiles")
    store.save(Profile("keep", values={"seed": 0}))
    # What a save killed between its temporary write and its rename leaves.
    for i in range(5):
        (store.root / f".keep.toml.x{i}.tmp").write_bytes(b"half a profi")
    assert store.load("keep").values == {"seed": 0}
    store.save(Profile("other"))
    assert sorted(p.name for p in store.root.iterdir()) == ["keep.toml", "other.toml"]


@pytest.mark.parametrize("kind", ["fifo", "dev_zero", "loop", "huge"])
def test_store_reads_only_regular_files_of_bounded_size(tmp_path: Path, kind: str) -> None:
    """Item 5: a FIFO, /dev/zero, a symlink loop or a huge file named *.toml is one error
    in `list`, and the others still list."""
    store = ProfileStore(tmp_path / "profiles")
    store.save(Profile("good"))
    bad = store.root / "bad.toml"
    if kind == "fifo":
        os.mkfifo(bad)
    elif kind == "dev_zero":
        bad.symlink_to("/dev/zero")
    elif kind == "loop":
        bad.symlink_to(bad)
    else:
        with open(bad, "wb") as f:
            f.truncate(64 * 1024 * 1024)
    t0 = time.monotonic()
    profiles, errors = store.list()
    assert time.monotonic() - t0 < 5
    assert [p.name for p in profiles] == ["good"]
    [error] = errors
    assert error.path == bad
    with pytest.raises(ProfileError):
        store.load("bad")


def test_import_refuses_dev_zero_and_a_fifo_at_once(tmp_path: Path, run_satconf) -> None:
    """Item 5, through the CLI: one line, exit 1, no hang."""
    fifo = tmp_path / "p.toml"
    os.mkfifo(fifo)
    for source, why in ((fifo, "FIFO"), (Path("/dev/zero"), "device")):
        out = run_satconf("profiles", "import", str(source), "--name", "x", timeout=20)
        assert out.returncode == 1, out.stderr
        assert why in out.stderr and "Traceback" not in out.stderr
        assert len(out.stderr.strip().splitlines()) == 1


DEEP_TOML = {
    "tables": "a = " + "{b = " * 20000 + "1" + "}" * 20000,
    "arrays": "a = " + "[" * 50000 + "]" * 50000,
    "dotted": "[values." + ".".join(["x"] * 50000) + "]\ny = 1",
}


@pytest.mark.parametrize("shape", sorted(DEEP_TOML))
def test_deep_toml_is_one_error_and_hides_no_profile(shape: str, run_satconf,
                                                     satconf_home: Path) -> None:
    """Item 7: `profiles show` says why in one line; `profiles list` still lists the rest."""
    store = ProfileStore(satconf_home / "profiles")
    store.save(Profile("good"))
    body = DEEP_TOML[shape]
    text = 'format = 1\nname = "deep"\n' + (body if shape == "dotted" else "[values]\n" + body)
    (store.root / "deep.toml").write_text(text + "\n")
    shown = run_satconf("profiles", "show", "deep")
    assert shown.returncode == 1 and "nested" in shown.stderr
    assert "Traceback" not in shown.stderr
    listed = run_satconf("profiles", "list")
    assert listed.returncode == 1 and "Traceback" not in listed.stderr
    assert listed.stdout.startswith("good")
    assert "deep.toml" in listed.stderr


def test_huge_integer_is_one_error_and_hides_no_profile(run_satconf, satconf_home: Path,
                                                        tmp_path: Path) -> None:
    """Item 8: a 5,000-digit integer in `profiles list` and `profiles import`."""
    store = ProfileStore(satconf_home / "profiles")
    store.save(Profile("good"))
    text = 'format = 1\nname = "big"\n[values]\nseed = ' + "9" * 5000 + "\n"
    (store.root / "big.toml").write_text(text)
    listed = run_satconf("profiles", "list")
    assert listed.returncode == 1 and listed.stdout.startswith("good")
    assert "integer too long" in listed.stderr and "Traceback" not in listed.stderr
    source = tmp_path / "big.toml"
    source.write_text(text)
    imported = run_satconf("profiles", "import", str(source), "--name", "big2")
    assert imported.returncode == 1 and "integer too long" in imported.stderr
    assert not store.exists("big2")


def test_nul_in_a_path_field_is_one_error(satconf_home: Path, run_satconf) -> None:
    """Item 11: a NUL in `launch.python` (no path can hold one) is refused when read."""
    store = ProfileStore(satconf_home / "profiles")
    (store.root).mkdir(parents=True)
    (store.root / "nul.toml").write_text(
        'format = 1\nname = "nul"\n[launch]\npython = "/usr/bin/py\\u0000thon"\n[values]\n')
    out = run_satconf("profiles", "show", "nul")
    assert out.returncode == 1 and "NUL" in out.stderr and "Traceback" not in out.stderr


def test_profiles_follow_the_umask(tmp_path: Path) -> None:
    """Item 18: 0666 less the umask, as any other program's files."""
    store = ProfileStore(tmp_path / "profiles")
    old = os.umask(0o077)
    try:
        path = store.save(Profile("private"))
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    old = os.umask(0o002)
    try:
        path = store.save(Profile("shared"))
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o664


def test_read_only_store_says_so_in_one_line(satconf_home: Path, run_satconf,
                                             tmp_path: Path) -> None:
    """Item 10: `profiles import` into a read-only store folder (as root, CI's user, a
    read-only bind mount: root writes through the permission bits)."""
    from readonly_support import read_only_folder

    store = ProfileStore(satconf_home / "profiles")
    store.save(Profile("good"))
    source = tmp_path / "x.toml"
    source.write_text('format = 1\nname = "x"\n[values]\n')
    with read_only_folder(store.root) as why:
        out = run_satconf("profiles", "import", str(source))
    assert out.returncode == 1 and "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and why in lines[0] and "x" in lines[0], out.stderr
    assert not store.exists("x") and store.exists("good")


def test_cli_save_racing_cli_rename_keeps_the_saved_values(seed_workspace: Path,
                                                           satconf_home: Path) -> None:
    """Item 1 as reported: `profiles save A --set seed=N &` with `profiles rename A B`."""
    env = {**os.environ, "SATCONF_HOME": str(satconf_home)}
    cli = [sys.executable, "-m", "satconf.cli", "profiles"]
    store = ProfileStore(satconf_home / "profiles")
    for n in range(4):
        for name in ("a", "b"):
            with contextlib.suppress(ProfileError):
                store.delete(name)
        subprocess.run([*cli, "save", "a", "--workspace", str(seed_workspace), "--set",
                        "seed=1000"], env=env, check=True, capture_output=True)
        save = subprocess.Popen([*cli, "save", "a", "--workspace", str(seed_workspace),
                                 "--set", f"seed={n}"], env=env, stderr=subprocess.PIPE,
                                text=True)
        rename = subprocess.Popen([*cli, "rename", "a", "b"], env=env, stderr=subprocess.PIPE,
                                  text=True)
        for proc in (save, rename):
            _, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err
        seeds = [store.load(name).values["seed"] for name in ("a", "b") if store.exists(name)]
        assert n in seeds, (n, seeds)
