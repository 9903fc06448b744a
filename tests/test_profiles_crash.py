"""Real processes against the store: SIGKILL mid-save, concurrent savers, a full disk."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from satconf.profiles import Profile, ProfileStore

# The writer saves through the real store. SATCONF_TEST_PAUSE stops it at a
# chosen point of the save (half the bytes written, or all written but not yet
# renamed), announces PAUSED and waits to be killed.
WRITER = r'''
import os, resource, signal, sys, time
from pathlib import Path

from satconf.profiles import Profile, ProfileError, ProfileExistsError, ProfileStore

root, name, marker, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
mode = os.environ.get("SATCONF_TEST_MODE", "save")
pause = os.environ.get("SATCONF_TEST_PAUSE", "")
loops = int(os.environ.get("SATCONF_TEST_LOOPS", "1"))
go = os.environ.get("SATCONF_TEST_GO")


def hold():
    print("PAUSED", flush=True)
    time.sleep(600)


if pause == "mid-write":
    real_fdopen = os.fdopen

    class HalfWriter:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self.f.__exit__(*exc)

        def write(self, data):
            self.f.write(data[: len(data) // 2])
            self.f.flush()
            hold()

        def __getattr__(self, key):
            return getattr(self.f, key)

    os.fdopen = lambda fd, *a, **k: HalfWriter(real_fdopen(fd, *a, **k))
elif pause == "before-rename":
    os.replace = lambda src, dst: hold()

fsize = os.environ.get("SATCONF_TEST_FSIZE")
if fsize:
    # A disk that fills up: writes past this size fail with EFBIG (root included).
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(fsize), int(fsize)))

store = ProfileStore(Path(root))
if go:
    while not Path(go).exists():
        time.sleep(0.001)
for i in range(loops):
    m = marker + (i % 2) * 1000
    try:
        if mode == "copy":
            store.copy("source", name)
            print("COPIED", flush=True)
        else:
            store.save(Profile(name, values={"marker": m, "payload": [m] * size,
                                             "text": str(m) * size}))
    except ProfileExistsError as exc:
        print("EXISTS", exc, flush=True)
        sys.exit(4)
    except ProfileError as exc:
        print("ERROR", exc, flush=True)
        sys.exit(3)
    if i == 0:
        print("SAVED", flush=True)
'''

SIZE = 20_000


@pytest.fixture
def writer(tmp_path: Path) -> Path:
    path = tmp_path / "writer.py"
    path.write_text(WRITER, encoding="utf-8")
    return path


def _start(writer: Path, root: Path, name: str, marker: int, size: int = SIZE,
           **env: str) -> subprocess.Popen[str]:
    full = {**os.environ, **{f"SATCONF_TEST_{k.upper()}": v for k, v in env.items()}}
    return subprocess.Popen([sys.executable, str(writer), str(root), name, str(marker),
                             str(size)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=full)


def _line(proc: subprocess.Popen[str], guard: float = 120) -> str:
    """The writer's next stdout line (the guard only stops a hung test, it is no assertion)."""
    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(guard):
            proc.kill()
            pytest.fail("the writer said nothing")
    line = proc.stdout.readline().strip()
    if not line:
        proc.wait()
        pytest.fail(f"the writer exited {proc.returncode}: {proc.stderr.read()}")  # type: ignore[union-attr]
    return line


def _kill(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    proc.stdout.close()  # type: ignore[union-attr]
    proc.stderr.close()  # type: ignore[union-attr]


def _consistent(prof: Profile, size: int = SIZE) -> int:
    """The marker of a complete profile written by one writer (asserts nothing is mixed)."""
    marker = prof.values["marker"]
    assert prof.values["payload"] == [marker] * size
    assert prof.values["text"] == str(marker) * size
    return marker


def _old(store: ProfileStore) -> bytes:
    store.save(Profile("run", values={"marker": 1, "payload": [1] * SIZE, "text": "1" * SIZE},
                       description="the old one"))
    return store.path_for("run").read_bytes()


@pytest.mark.parametrize("pause", ["mid-write", "before-rename"])
def test_sigkill_mid_save_keeps_old_profile(tmp_path: Path, writer: Path, pause: str) -> None:
    store = ProfileStore(tmp_path / "profiles")
    old = _old(store)
    proc = _start(writer, store.root, "run", 7, pause=pause)
    assert _line(proc) == "PAUSED"
    temps = list(store.root.glob(".run.toml.*.tmp"))
    assert len(temps) == 1  # the save really is under way
    if pause == "mid-write":
        assert 0 < temps[0].stat().st_size < len(old)
    _kill(proc)

    assert store.path_for("run").read_bytes() == old
    prof = store.load("run")
    assert _consistent(prof) == 1 and prof.description == "the old one"
    profiles, errors = store.list()  # the left-over temporary file is no profile
    assert [p.name for p in profiles] == ["run"] and errors == []
    # And the next save goes through.
    store.save(Profile("run", values={"marker": 2, "payload": [2] * SIZE, "text": "2" * SIZE}))
    assert _consistent(store.load("run")) == 2


def test_readers_never_see_half_a_profile_and_kill_at_any_point(tmp_path: Path,
                                                                writer: Path) -> None:
    store = ProfileStore(tmp_path / "profiles")
    _old(store)
    proc = _start(writer, store.root, "run", 5, loops=str(10**9))
    assert _line(proc) == "SAVED"
    seen = set()
    for _ in range(25):  # reading while the writer keeps replacing the file
        seen.add(_consistent(store.load("run")))
    _kill(proc)  # wherever it was in its save
    assert seen <= {1, 5, 1005}
    assert _consistent(store.load("run")) in {5, 1005}
    assert [p.name for p in store.list()[0]] == ["run"]


def test_concurrent_writers_leave_one_complete_profile(tmp_path: Path, writer: Path) -> None:
    store = ProfileStore(tmp_path / "profiles")
    go = tmp_path / "go"
    procs = [_start(writer, store.root, "shared", marker, loops="12", go=str(go))
             for marker in (10, 20, 30, 40)]
    go.touch()
    for proc in procs:
        _out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    marker = _consistent(store.load("shared"))
    assert marker in {10, 20, 30, 40, 1010, 1020, 1030, 1040}
    assert sorted(p.name for p in store.root.iterdir()) == ["shared.toml"]  # no temporaries


def test_concurrent_copies_to_one_name_one_wins(tmp_path: Path, writer: Path) -> None:
    store = ProfileStore(tmp_path / "profiles")
    store.save(Profile("source", values={"marker": 3, "payload": [3] * SIZE,
                                         "text": "3" * SIZE}))
    go = tmp_path / "go"
    procs = [_start(writer, store.root, "dst", 0, mode="copy", go=str(go)) for _ in range(4)]
    go.touch()
    codes = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        codes.append(proc.returncode)
        assert proc.returncode in (0, 4), err
        if proc.returncode == 4:
            assert "'dst' already exists" in out
    assert codes.count(0) == 1
    assert _consistent(store.load("dst")) == 3
    assert sorted(p.name for p in store.root.iterdir()) == ["dst.toml", "source.toml"]


def test_full_disk_keeps_old_profile(tmp_path: Path, writer: Path) -> None:
    store = ProfileStore(tmp_path / "profiles")
    old = _old(store)
    proc = _start(writer, store.root, "run", 9, size=200_000, fsize=str(len(old) + 4096))
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 3, (out, err)
    assert "run.toml: cannot be saved (File too large); any earlier version is unchanged" in out
    assert store.path_for("run").read_bytes() == old
    assert _consistent(store.load("run")) == 1
    assert sorted(p.name for p in store.root.iterdir()) == ["run.toml"]  # temporary removed
