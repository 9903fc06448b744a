"""Launch overhead: from `start_run(config)` to the training process running, median.

`python bench/launch_overhead.py [--repeat N]`

The training script writes a monotonic timestamp as its first statement, so
each figure includes the training python's own start-up. The same script is
also started directly with `subprocess.Popen` (no satconf); the difference of
the two medians is what satconf adds: checks, recover, the record, the
detached supervisor. Target: under 50 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_MS = 50.0
ROOT = Path(__file__).resolve().parent.parent
SEED_INI = ROOT / "tests" / "seed_defaults.ini"

STAMP_TRAIN = """\
import time
t = time.monotonic_ns()
import os
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "stamp.tmp"), "w") as f:
    f.write(str(t))
os.replace(os.path.join(here, "stamp.tmp"), os.path.join(here, "stamp"))
"""


def wait_stamp(stamp: Path, timeout: float = 30.0) -> int:
    deadline = time.monotonic() + timeout
    while not stamp.exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"no timestamp from the training script at {stamp}")
        time.sleep(0.0005)
    value = int(stamp.read_text())
    stamp.unlink()
    return value


def direct(ws: Path) -> float:
    t0 = time.monotonic_ns()
    proc = subprocess.Popen([sys.executable, "train.py"], cwd=ws)
    took = (wait_stamp(ws / "stamp") - t0) / 1e6
    proc.wait()
    return took


def through_satconf(ws: Path, config: object) -> float:
    from satconf.runs import load_run, run_status, start_run

    t0 = time.monotonic_ns()
    record = start_run(config)  # type: ignore[arg-type]
    took = (wait_stamp(ws / "stamp") - t0) / 1e6
    while run_status(load_run(record.id)) == "running":
        time.sleep(0.002)
    return took


def measure(ws: Path, repeat: int) -> tuple[list[float], list[float]]:
    """Alternating, so that a busy machine slows both kinds alike."""
    from satconf.runconfig import load_run_config

    config = load_run_config(ws)
    base, ours = [], []
    for _ in range(repeat):
        base.append(direct(ws))
        ours.append(through_satconf(ws, config))
    return base, ours


def medians(repeat: int = 20) -> tuple[float, float]:
    """(python's own start, start through satconf), medians in ms."""
    with tempfile.TemporaryDirectory(prefix="satconf-bench-") as tmp:
        os.environ["SATCONF_HOME"] = str(Path(tmp) / "home")
        ws = Path(tmp) / "ws"
        ws.mkdir()
        (ws / "defaults.ini").write_text(SEED_INI.read_text(), encoding="utf-8")
        (ws / "train.py").write_text(STAMP_TRAIN, encoding="utf-8")
        measure(ws, 2)  # warm the file cache for both
        base_runs, our_runs = measure(ws, repeat)
    return statistics.median(base_runs), statistics.median(our_runs)


def launch_overhead_ms(repeat: int = 20) -> float:
    base, ours = medians(repeat)
    return ours - base


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    base, ours = medians(args.repeat)
    overhead = ours - base
    verdict = "meets" if overhead < TARGET_MS else "misses"
    print(f"python start (Popen to first statement), median: {base:7.1f} ms")
    print(f"satconf start_run to first statement, median:   {ours:7.1f} ms")
    print(f"launch overhead: {overhead:.1f} ms ({verdict} the target of < {TARGET_MS:.0f} ms; "
          f"{args.repeat} runs each)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
