"""Issue 14: every CLI command against a corpus of broken inputs; no traceback, ever.

Each example puts one broken input (truncated, binary, huge, deep, wrong
types, a device, a FIFO, a symlink loop, a folder...) everywhere a command
reads a file: a profile, a run record, a run log, a defaults.ini, an import
or migrate source. Then every command runs against it and must end within
a few seconds, with exit code 0, 1 or 2, and no `Traceback`.

The commands run in forked children of this test (real files and FIFOs, a
real `satconf.cli.main`, only the interpreter start-up shared), so that the
whole matrix takes seconds; an uncaught exception in a child is printed as
the interpreter would print it, and counts as a failure.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
import traceback
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from satconf.runs.records import RunRecord, now_iso, write_record

from conftest import make_workspace

LIMIT_S = 8.0  # "a few seconds"; a hang or an unbounded read goes far past it
BAD_RUN = "20260101-000000-badr"  # its record is the broken input
LOG_RUN = "20260101-000001-badl"  # a good record; its log is the broken input

GOOD_PROFILE = (b'format = 1\nname = "good"\ndescription = "a fine one"\n'
                b'created = 2025-01-01T00:00:00Z\nupdated = 2025-01-01T00:00:00Z\n'
                b'[values]\nbatch_size = 8\nseed = 42\n')

# Text inputs: the same bytes go into every place a file is read.
CORPUS: dict[str, bytes] = {
    "empty": b"",
    "truncated-profile": GOOD_PROFILE[: len(GOOD_PROFILE) // 2],
    "truncated-record": json.dumps(RunRecord(id=BAD_RUN).to_json()).encode()[:70],
    "binary": bytes(range(256)) * 8,
    "not-utf8": b"format = 1\nname = \"\xff\xfe\"\n",
    "nul": b'format = 1\nname = "x"\n[values]\nname = "a\\u0000b"\n',
    "deep-toml-array": b"a = " + b"[" * 30000 + b"]" * 30000 + b"\n",
    "deep-inline-table": b"a = " + b"{b = " * 20000 + b"1" + b"}" * 20000 + b"\n",
    "deep-json": b"[" * 30000 + b"]" * 30000,
    "deep-yaml-map": b"a: " + b"{b: " * 20000 + b"1" + b"}" * 20000 + b"\n",
    "billion-laughs": b'a0: &a0 "lol"\n' + b"".join(
        b"a%d: &a%d [" % (i, i) + b", ".join([b"*a%d" % (i - 1)] * 9) + b"]\n"
        for i in range(1, 10)),
    "bigint": b"format = 1\nname = \"big\"\n[values]\nseed = " + b"9" * 5000 + b"\n",
    "bigint-json": b'{"id": "' + BAD_RUN.encode() + b'", "pid": ' + b"9" * 5000 + b"}",
    "wrong-types-profile": b'format = "one"\nname = 5\nvalues = [1, 2]\n',
    "wrong-types-record": json.dumps({"id": BAD_RUN, "pid": "123", "started_at": 5,
                                      "argv": 5, "env": [1], "stop_steps": "x"}).encode(),
    "record-escapes": json.dumps({"id": "../../outside", "pid": 1}).encode(),
    "wrong-types-ini": b"[DEFAULTS]\nbatch_size = [[[\nname = \nseed = 1e999999\n",
    "yaml-tags": b"a: !!python/object/apply:os.system ['true']\n",
}
# Inputs that are not text: made in place.
SPECIAL = ("dev-zero", "fifo", "symlink-loop", "folder", "huge", "dangling-link")


def _place(path: Path, kind: str, data: bytes | None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if data is not None:
        path.write_bytes(data)
    elif kind == "dev-zero":
        path.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "symlink-loop":
        path.symlink_to(path.name)
    elif kind == "folder":
        path.mkdir()
    elif kind == "dangling-link":
        path.symlink_to(path.parent / "nowhere")
    else:  # huge: sparse, so it costs no disk
        with open(path, "wb") as f:
            f.truncate(64 * 1024 * 1024)


def _world(root: Path, kind: str, data: bytes | None) -> tuple[Path, Path, Path]:
    """SATCONF_HOME, a workspace and a folder of sources, each holding the broken input."""
    home = root / "home"
    profiles = home / "profiles"
    profiles.mkdir(parents=True)
    (profiles / "good.toml").write_bytes(GOOD_PROFILE)
    _place(profiles / "bad.toml", kind, data)
    runs = home / "runs"
    _place(runs / BAD_RUN / "record.json", kind, data)
    (runs / LOG_RUN).mkdir(parents=True)
    write_record(runs / LOG_RUN, RunRecord(id=LOG_RUN, started_at=now_iso(), exit_code=0,
                                           ended_at=now_iso()))
    _place(runs / LOG_RUN / "train.log", kind, data)
    ws = make_workspace(root / "ws")
    (ws / "defaults.ini").unlink()
    _place(ws / "defaults.ini", kind, data)
    sources = root / "sources"
    for name in ("bad.toml", "bad.yaml", "bad.ini", "bad"):
        _place(sources / name, kind, data)
    return home, ws, sources


def _commands(ws: Path, sources: Path) -> list[list[str]]:
    return [
        ["profiles", "list"], ["profiles", "list", "--json"], ["profiles", "show", "bad"],
        ["profiles", "show", "bad", "--json"], ["profiles", "diff", "good", "bad"],
        ["profiles", "diff", "bad", "--workspace", str(ws)],
        ["profiles", "import", str(sources / "bad.toml"), "--name", "imp1"],
        ["profiles", "import", str(sources / "bad.ini"), "--name", "imp2"],
        ["profiles", "import", str(sources / "bad"), "--name", "imp3"],
        ["runs", "list"], ["runs", "list", "--json"], ["runs", "show", BAD_RUN],
        ["runs", "show", LOG_RUN, "--json"], ["runs", "logs", LOG_RUN],
        ["runs", "logs", LOG_RUN, "--tail", "5"], ["runs", "logs", BAD_RUN],
        ["migrate", str(sources / "bad.yaml"), "--to", "toml", "-"],
        ["migrate", str(sources / "bad.toml"), "--to", "yaml", "-"],
        ["migrate", str(sources / "bad"), "--to", "ini", "-"],
        ["migrate", str(ws / "defaults.ini"), "--to", "hydra", str(sources / "out")],
        ["check", "--workspace", str(ws), "--no-probe"],
        ["check", "--profile", "bad", "--workspace", str(ws), "--no-probe"],
        ["launch", "--dry-run", "--workspace", str(ws), "--no-probe"],
        ["launch", "--dry-run", "--profile", "bad", "--no-probe"],
    ]


def _run_forked(argv: list[str], home: Path, out_dir: Path) -> tuple[int | None, str, float]:
    """(exit code or None on a hang, stderr, seconds) of `satconf ARGV` in a forked child."""
    err_path = out_dir / "stderr"
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 3
        try:
            os.setsid()
            os.environ["SATCONF_HOME"] = str(home)
            null = os.open(os.devnull, os.O_RDWR)
            err = os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(null, 0)
            os.dup2(null, 1)
            os.dup2(err, 2)
            # pytest's capture put its own objects here: the child talks to its own fds.
            sys.stdin = open(0, closefd=False)  # noqa: SIM115 - the child exits right after
            sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
            sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
            from satconf.cli import main

            code = main(argv)
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code if isinstance(exc.code, int) else 2
        except BaseException:
            traceback.print_exc()
            code = 3
        finally:
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(OSError, ValueError):
                    stream.flush()
            os._exit(code if isinstance(code, int) else 3)
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() - t0 > LIMIT_S:
            os.killpg(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return None, err_path.read_text(errors="replace"), time.monotonic() - t0
        time.sleep(0.01)
    elapsed = time.monotonic() - t0
    return os.waitstatus_to_exitcode(status), err_path.read_text(errors="replace"), elapsed


def _check_every_command(root: Path, kind: str, data: bytes | None) -> None:
    home, ws, sources = _world(root, kind, data)
    failures = []
    for argv in _commands(ws, sources):
        code, err, _ = _run_forked(argv, home, root)
        if code is None:
            failures.append(f"{' '.join(argv)}: still running after {LIMIT_S:g} s")
        elif "Traceback" in err or code not in (0, 1, 2):
            failures.append(f"{' '.join(argv)}: exit {code}\n{err[-1500:]}")
    assert not failures, f"input {kind!r}:\n" + "\n".join(failures)


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    # Imported once here, so every forked child starts with them (only speed depends on it).
    import satconf.cli
    import satconf.cli.profiles
    import satconf.cli.runs
    import satconf.migrate  # noqa: F401


KINDS = sorted(CORPUS) + list(SPECIAL)


@settings(max_examples=10, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(kind=st.sampled_from(KINDS) | st.just("random"),
       garbage=st.binary(min_size=0, max_size=2000))
def test_no_command_tracebacks_hangs_or_odd_exit_codes(tmp_path_factory: pytest.TempPathFactory,
                                                       kind: str, garbage: bytes) -> None:
    root = tmp_path_factory.mktemp("broken")
    data = garbage if kind == "random" else CORPUS.get(kind)
    _check_every_command(root, kind, data)


@pytest.mark.parametrize("kind", KINDS)
def test_every_corpus_entry_against_every_command(tmp_path: Path, kind: str) -> None:
    """The whole corpus, each entry once, whatever hypothesis drew above."""
    _check_every_command(tmp_path, kind, CORPUS.get(kind))
