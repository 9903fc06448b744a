"""SIGKILL satconf's writers at random moments and count what is lost (the target is 0).

    python bench/kill_loop.py                       # 200 saves, 100 renames, 60 launches
    python bench/kill_loop.py --saves 20 --renames 10 --launches 10 --json
    python bench/kill_loop.py --cli                 # through `satconf ...`, not the API

Each round starts a real process that changes the store (a save, a rename)
or starts a run, kills it with SIGKILL after a random delay, and checks:

- saves: the profile still loads (old or new values), and the temporary
  files the killed saves left are gone after the next change of the store;
- renames: the profile loads under one of its two names;
- launches: every training process that runs is in a record with its pid
  (nothing untracked that `runs stop` cannot stop), and no record of a live
  process says `lost`.

Everything happens in a temporary SATCONF_HOME; every run started is stopped
at the end. `tests/test_faults_killloop.py` runs a bounded version.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TOKEN = "satconf-kill-loop-training"
SEED_INI = Path(__file__).resolve().parent.parent / "tests" / "seed_defaults.ini"

SAVE_LOOP = """
import sys
from satconf.profiles import ProfileStore
store = ProfileStore(sys.argv[1])
while True:
    prof = store.load("keep")
    prof.values["seed"] = prof.values.get("seed", 0) + 1
    store.save(prof)
"""

RENAME_LOOP = """
import sys
from satconf.profiles import ProfileStore
store = ProfileStore(sys.argv[1])
while True:
    old, new = ("a", "b") if store.exists("a") else ("b", "a")
    store.rename(old, new)
"""

LAUNCH_ONE = """
import sys
from satconf.command import LaunchPlan
from satconf.runs import start_plan
start_plan(LaunchPlan(argv=(sys.executable, "-c", "import time; time.sleep(120)", sys.argv[1]),
                      cwd=sys.argv[2]))
"""

SLEEPY_TRAIN = f"import sys, time\nprint({TOKEN!r}, flush=True)\ntime.sleep(120)\n"


def _python(code: str, *args: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", code, *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _satconf(*args: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "satconf.cli", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL)


def _kill_after(proc: subprocess.Popen[bytes], rng: random.Random, low: float,
                high: float) -> None:
    time.sleep(rng.uniform(low, high))
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def _temporaries(folder: Path) -> int:
    return sum(1 for p in folder.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp"))


def kill_saves(n: int, home: Path, env: dict[str, str], rng: random.Random, *, cli: bool,
               workspace: Path) -> dict[str, Any]:
    from satconf.profiles import Profile, ProfileError, ProfileStore

    store = ProfileStore(home / "profiles")
    store.save(Profile("keep", values={"seed": 0}))
    lost = 0
    most_temporaries = 0
    for i in range(n):
        if cli:
            proc = _satconf("profiles", "save", "keep", "--workspace", str(workspace),
                            "--set", f"seed={i}", env=env)
            _kill_after(proc, rng, 0.05, 1.5)
        else:
            proc = _python(SAVE_LOOP, str(store.root), env=env)
            _kill_after(proc, rng, 0.1, 0.6)
        try:
            store.load("keep")
        except ProfileError:
            lost += 1
            store.save(Profile("keep", values={"seed": 0}))
        most_temporaries = max(most_temporaries, _temporaries(store.root))
    left = _temporaries(store.root)
    prof = store.load("keep")
    store.save(prof, touch=True)  # any change of the store sweeps what killed saves left
    return {"kills": n, "lost": lost, "temporaries_seen": max(most_temporaries, left),
            "temporaries_after_next_save": _temporaries(store.root)}


def kill_renames(n: int, home: Path, env: dict[str, str], rng: random.Random, *,
                 cli: bool) -> dict[str, Any]:
    from satconf.profiles import Profile, ProfileError, ProfileStore

    store = ProfileStore(home / "profiles")
    store.save(Profile("a", values={"seed": 7}))
    lost = duplicates = 0
    for _ in range(n):
        if cli:
            old, new = ("a", "b") if store.exists("a") else ("b", "a")
            proc = _satconf("profiles", "rename", old, new, env=env)
            _kill_after(proc, rng, 0.05, 0.8)
        else:
            proc = _python(RENAME_LOOP, str(store.root), env=env)
            _kill_after(proc, rng, 0.1, 0.6)
        readable = []
        for name in ("a", "b"):
            with contextlib.suppress(ProfileError):
                readable.append(store.load(name).values.get("seed") == 7)
        if not any(readable):
            lost += 1
            store.save(Profile("a", values={"seed": 7}))
        elif len(readable) == 2:
            duplicates += 1  # killed between the new name's link and the old name's unlink
            store.delete("b")
    return {"kills": n, "lost": lost, "both_names_left": duplicates}


def _training_pids(workspace: Path) -> set[int]:
    """Live training processes of this loop: the API's sleeper, or train.py in `workspace`."""
    pids = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            stat = (entry / "stat").read_text()
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if stat[stat.rfind(")") + 2:].split()[0] in ("Z", "X"):
            continue
        sleeper = len(cmdline) > 3 and cmdline[2] == b"import time; time.sleep(120)" \
            and cmdline[3] == TOKEN.encode()
        train_py = len(cmdline) > 1 and cmdline[1] == b"train.py" and cwd == str(workspace)
        if sleeper or train_py:
            pids.add(int(entry.name))
    return pids


def _stop(run_id: str, base: Path, wait: float = 5.0) -> None:
    """`runs stop`, again while the supervisor has not recorded the process group yet (a
    start killed at that moment): past `wait` the SIGKILL sweep after it ends the run."""
    from satconf.runs import stop_run
    from satconf.runs.records import RunError

    deadline = time.monotonic() + wait
    while True:
        try:
            stop_run(run_id, grace=(0.2, 0.2), base=base)
            return
        except RunError:
            if time.monotonic() > deadline:
                return
            time.sleep(0.1)


def kill_launches(n: int, home: Path, env: dict[str, str], rng: random.Random, *, cli: bool,
                  workspace: Path) -> dict[str, Any]:
    from satconf.runs import list_runs, run_status

    before = _training_pids(workspace)
    for _ in range(n):
        if cli:
            proc = _satconf("launch", "--workspace", str(workspace), "--force", "--yes",
                            "--no-probe", env=env)
            _kill_after(proc, rng, 0.05, 2.0)
        else:
            proc = _python(LAUNCH_ONE, TOKEN, str(home), env=env)
            _kill_after(proc, rng, 0.05, 0.5)
    # A supervisor records the pid just after the start: give the last ones a moment.
    deadline = time.monotonic() + 10.0
    while True:
        training = _training_pids(workspace) - before
        tracked = {r.pid for r in list_runs(home / "runs") if r.pid is not None}
        if training <= tracked or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    records = list_runs(home / "runs")
    untracked = training - tracked
    lost_live = [r.id for r in records if r.pid in training and run_status(r) == "lost"]
    for record in records:
        if run_status(record) == "running":
            _stop(record.id, home / "runs")
    for pid in _training_pids(workspace) - before:  # only an untracked one can still be there
        os.kill(pid, signal.SIGKILL)
    return {"kills": n, "runs_started": len(training), "records": len(records),
            "lost": len(untracked) + len(lost_live), "untracked_processes": len(untracked),
            "live_but_shown_lost": len(lost_live)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=200)
    parser.add_argument("--renames", type=int, default=100)
    parser.add_argument("--launches", type=int, default=60)
    parser.add_argument("--cli", action="store_true", help="kill `satconf` commands, not the API")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: random)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    # A supervisor stopped at the end may still write its run's exit code while the folder
    # is removed: a cleanup error must not hide the result (it did, as an empty stdout).
    with tempfile.TemporaryDirectory(prefix="satconf-kill-loop-",
                                     ignore_cleanup_errors=True) as tmp:
        home = Path(tmp) / "home"
        workspace = Path(tmp) / "ws"
        workspace.mkdir()
        (workspace / "defaults.ini").write_text(SEED_INI.read_text(), encoding="utf-8")
        (workspace / "train.py").write_text(SLEEPY_TRAIN, encoding="utf-8")
        env = {**os.environ, "SATCONF_HOME": str(home), "WANDB_MODE": "disabled"}
        os.environ["SATCONF_HOME"] = str(home)
        result = {"seed": seed, "cli": args.cli,
                  "saves": kill_saves(args.saves, home, env, rng, cli=args.cli,
                                      workspace=workspace),
                  "renames": kill_renames(args.renames, home, env, rng, cli=args.cli),
                  "launches": kill_launches(args.launches, home, env, rng, cli=args.cli,
                                            workspace=workspace)}
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        for part in ("saves", "renames", "launches"):
            print(f"{part:9} " + "  ".join(f"{k}={v}" for k, v in result[part].items()))
        print(f"seed {seed}")
    lost = sum(result[p]["lost"] for p in ("saves", "renames", "launches"))
    return 1 if lost or result["saves"]["temporaries_after_next_save"] else 0


if __name__ == "__main__":
    sys.exit(main())
