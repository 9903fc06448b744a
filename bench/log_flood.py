"""A run whose log grows at 10 MB/s: does the run view keep up, and what does satconf hold?

    python bench/log_flood.py [--seconds 60] [--rate 10]

Starts a real run (the detached supervisor and its metrics watcher included)
whose "training" writes `--rate` MB/s for `--seconds`: chatty plain lines, and
a Lightning bar redraw (`\\r`, with `train/loss`) every 100 steps a second.
The real app (headless, 120x40) shows the run view meanwhile. Every second it
samples the view's lag behind the file (lines and bytes), whether the elapsed
timer ticked, and the resident memory of this process (the TUI) and of the
supervisor. Targets (issue 16): the view's line count equals the file's at
the end, the timer ticks, memory under 150 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

WRITER = r'''
import sys, time
rate, seconds = float(sys.argv[1]) * 1024 * 1024, float(sys.argv[2])
line = (b"/site-packages/torch/utils/data/dataloader.py:42: UserWarning: a chatty warning "
        b"that a training loop prints a lot\n")
block = line * (65536 // len(line))
out = sys.stdout.buffer
start = time.monotonic()
written, step = 0, 0
while (now := time.monotonic()) - start < seconds:
    due = (now - start) * rate
    while written < due:
        out.write(block)
        written += len(block)
    # 100 steps a second, as a bar redraw each (what Lightning prints)
    while step < (now - start) * 100:
        step += 1
        out.write(b"\rEpoch 0:  50%%|#####     | %d/1000000 [00:01<00:01, 100.00it/s, v_num=0, "
                  b"train/loss=%.4f]" % (step, 1.0 / (1 + step / 1000)))
    out.flush()
    time.sleep(0.01)
out.write(b"\nflood done\n")
out.flush()
'''


def rss_mb(pid: int | str = "self") -> tuple[float, float]:
    """(VmRSS, VmHWM) in MB."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0, 0.0
    found = [re.search(rf"{k}:\s+(\d+) kB", text) for k in ("VmRSS", "VmHWM")]
    rss, hwm = (int(m.group(1)) / 1024 if m else 0.0 for m in found)
    return rss, hwm


def file_lines(path: Path, state: dict[str, int]) -> int:
    """Newlines in the file, counted incrementally (the reference the view must match)."""
    with open(path, "rb") as f:
        f.seek(state.get("offset", 0))
        while chunk := f.read(8 * 1024 * 1024):
            state["offset"] = state.get("offset", 0) + len(chunk)
            state["lines"] = state.get("lines", 0) + chunk.count(b"\n")
    return state.get("lines", 0)


async def measure(seconds: float, rate: float) -> dict[str, object]:
    from satconf.command import LaunchPlan
    from satconf.runs import load_run, log_path, run_status, start_plan
    from satconf.tui.app import make_app
    from satconf.tui.run_view import RunScreen
    from satconf.workspace import ensure_demo_workspace

    ws = ensure_demo_workspace()
    writer = Path(os.environ["SATCONF_HOME"]) / "flood.py"
    writer.write_text(WRITER)
    record = start_plan(LaunchPlan(argv=(sys.executable, str(writer), str(rate), str(seconds)),
                                   cwd=str(writer.parent)), values={"name": "flood"})
    log = log_path(record.id)
    app = make_app(ws, deep_checks=False, probe_env=False)
    samples: list[tuple[float, int, int, float, float]] = []
    elapsed_seen: set[str] = set()
    counted: dict[str, int] = {}
    t0 = time.monotonic()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = RunScreen(load_run(record.id))
        await app.push_screen(screen)
        sup_pid = load_run(record.id).supervisor_pid
        sup_peak = 0.0
        while screen.status == "running" and time.monotonic() - t0 < seconds + 120:
            await asyncio.sleep(1.0)
            lines = file_lines(log, counted)
            size = log.stat().st_size
            rss, hwm = rss_mb()
            sup_peak = max(sup_peak, rss_mb(sup_pid)[0] if sup_pid else 0.0)
            status = str(screen.query_one("#run-status").render())
            m = re.search(r"elapsed (\S+)", status)
            if m:
                elapsed_seen.add(m.group(1))
            samples.append((time.monotonic() - t0, lines - screen.lines_seen,
                            size - screen.follower._offset, rss, hwm))
        ended_at = time.monotonic()
        for _ in range(600):  # the view reads the rest after the end
            await asyncio.sleep(0.1)
            with open(log, "rb") as f:
                f.seek(-1, 2)
                data = f.read(1)
            want = file_lines(log, counted) + (0 if data == b"\n" else 1)
            if screen.lines_seen == want:
                break
        caught_up = time.monotonic() - ended_at
        final_file = file_lines(log, counted)
        final_view = screen.lines_seen
        rss, hwm = rss_mb()
        status = run_status(load_run(record.id))
    from satconf.runs.metrics import iter_stored

    rows = sum(1 for _ in iter_stored(log.parent))
    return {
        "seconds": seconds, "rate_mb_s": rate, "log_mb": log.stat().st_size / 2**20,
        "file_lines": final_file, "view_lines": final_view, "caught_up_s": caught_up,
        "max_lag_lines": max((s[1] for s in samples), default=0),
        "max_lag_mb": max((s[2] for s in samples), default=0) / 2**20,
        "elapsed_ticks": len(elapsed_seen), "samples": len(samples),
        "tui_rss_mb": rss, "tui_peak_mb": hwm, "supervisor_peak_mb": sup_peak,
        "metric_rows": rows, "status": status,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--rate", type=float, default=10.0, help="MB per second")
    opts = ap.parse_args()
    home = tempfile.mkdtemp(prefix="satconf-flood-")
    os.environ.update({"SATCONF_HOME": home, "WANDB_MODE": "disabled"})
    try:
        r = asyncio.run(measure(opts.seconds, opts.rate))
    finally:
        shutil.rmtree(home, ignore_errors=True)  # the log alone is rate x seconds MB
    ok_lines = r["file_lines"] == r["view_lines"]
    print(f"log: {r['log_mb']:.0f} MB in {r['seconds']:g} s at {r['rate_mb_s']:g} MB/s; "
          f"run {r['status']}; {r['metric_rows']} metric rows kept by the supervisor")
    print(f"view lines at the end: {r['view_lines']} of {r['file_lines']} "
          f"({'equal' if ok_lines else 'DIFFERENT'}), caught up {r['caught_up_s']:.1f} s "
          f"after the run ended")
    print(f"lag while flooding: at most {r['max_lag_lines']} lines / "
          f"{r['max_lag_mb']:.1f} MB behind (sampled each second, {r['samples']} samples)")
    print(f"elapsed timer: {r['elapsed_ticks']} distinct values in {r['samples']} samples")
    print(f"memory: TUI {r['tui_rss_mb']:.0f} MB now, peak {r['tui_peak_mb']:.0f} MB "
          f"(target < 150); supervisor peak {r['supervisor_peak_mb']:.0f} MB")
    return 0 if ok_lines and r["tui_peak_mb"] < 150 else 1


if __name__ == "__main__":
    sys.exit(main())
