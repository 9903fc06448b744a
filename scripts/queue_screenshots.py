"""Screenshots of the queue screen and the sweep dialog for the README.

`python scripts/queue_screenshots.py [--out DIR]` drives the real app through
Pilot at 100x32, on two presented GPUs (`SATCONF_FAKE_GPUS`) and a workspace
whose trainer only waits, and writes:

- queue.svg         the queue screen: two runs on GPUs 0 and 1, three waiting
- sweep-dialog.svg  the sweep dialog with two value lists and the run count
The runs are stopped and the queue emptied afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
SIZE = (100, 32)
GPUS = [{"index": i, "name": "NVIDIA A100-SXM4-80GB", "memory_used": 3, "memory_total": 81920,
         "utilization": 0, "capability": "8.0"} for i in range(2)]


async def shots(ws: Path, out: Path) -> None:
    from textual.widgets import Input

    from satconf.queue.request import GpuRequest
    from satconf.queue.scheduler import ensure_scheduler
    from satconf.queue.spec import spec_of
    from satconf.queue.store import QueueStore
    from satconf.runconfig import load_run_config
    from satconf.tui.app import make_app

    store = QueueStore()
    for name, prio in (("lr-1e-4", 0), ("lr-3e-4", 0), ("bs-16", 0), ("bs-32", 5),
                       ("long-ablation", 0)):
        config = load_run_config(ws, sets=[f"name={name}"])
        store.enqueue(spec_of(config), GpuRequest(count=1), name=name, priority=prio)
    ensure_scheduler(store)
    deadline = time.monotonic() + 60
    while len(store.entries(("running",))) < 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    app = make_app(ws, deep_checks=False, probe_env=False)
    async with app.run_test(size=SIZE) as pilot:
        app.action_open_queue()
        await pilot.pause(1.5)
        app.save_screenshot("queue.svg", str(out))
        await pilot.press("escape")
        app.action_open_sweep()
        await pilot.pause()
        dialog = app.screen
        dialog.query_one("#sweep-batch_size", Input).value = "4,8,16"
        dialog.query_one("#sweep-seed", Input).value = "1,2"
        dialog.query_one("#sweep-precision", Input).value = "16-mixed,bf16-mixed"
        for widget in dialog.query(Input):
            widget.cursor_blink = False
        await pilot.pause()
        app.save_screenshot("sweep-dialog.svg", str(out))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=ROOT / "screenshots")
    out = ap.parse_args().out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="satconf-queue-screens-"))
    gpus = home / "gpus.json"
    gpus.write_text(json.dumps(GPUS), encoding="utf-8")
    os.environ.update({"SATCONF_HOME": str(home), "SATCONF_FAKE_GPUS": str(gpus),
                       "SATCONF_TEST_RUN_S": "120", "WANDB_MODE": "disabled"})
    from queue_support import fast_workspace

    ws = fast_workspace(home / "stable-audio-tools")
    try:
        asyncio.run(shots(ws, out))
    finally:
        from satconf.queue.store import QueueStore
        from satconf.runs import list_runs, run_status, stop_run

        store = QueueStore()
        store.set_setting("paused", "1")
        for entry in store.entries(("queued",)):
            store.cancel(entry.id)
        for record in list_runs():
            if run_status(record) == "running":
                stop_run(record.id, grace=(1.0, 1.0))
        shutil.rmtree(home, ignore_errors=True)
    for name in ("queue.svg", "sweep-dialog.svg"):
        print(out / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
