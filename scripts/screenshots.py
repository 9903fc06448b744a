"""Screenshots of the real app for the README: `python scripts/screenshots.py [--out DIR]`.

Drives the app the CLI runs (same factory) through Pilot at 100x32 on a copy
of the embedded demo workspace, with GPUs presented through the fake seam
(`SATCONF_FAKE_GPUS`), and writes SVGs:

- form-error.svg   the form with a live error under a field, checks and preview
- gpu-picker.svg   the GPU picker with two GPUs ticked
- help.svg         F1: every key of the form
- engine.svg       a SLURM profile: its Engine rows, the preview saying it is cut
- command.svg      f4: the whole batch script the launch key submits
- run-view.svg     the run view following a real run of the demo trainer: progress, loss plot
- runs.svg         the runs screen: that run and three earlier ones of other engines
- profiles.svg     the profiles panel: profiles, an unreadable file, a diff against the form
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZE = (100, 32)
WS = Path("/tmp/satconf-screens/stable-audio-tools")
GPUS = [
    {"index": 0, "name": "NVIDIA A100-SXM4-80GB", "memory_used": 30512, "memory_total": 81920,
     "utilization": 97, "capability": "8.0"},
    {"index": 1, "name": "NVIDIA A100-SXM4-80GB", "memory_used": 3, "memory_total": 81920,
     "utilization": 0, "capability": "8.0"},
    {"index": 2, "name": "NVIDIA A100-SXM4-80GB", "memory_used": 3, "memory_total": 81920,
     "utilization": 0, "capability": "8.0"},
    {"index": 3, "name": "NVIDIA GeForce RTX 3090", "memory_used": 250, "memory_total": 24576,
     "utilization": 2, "capability": [8, 6]},
]


async def idle(pilot) -> None:
    from textual.widgets import Input

    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    for widget in pilot.app.query(Input):
        widget.cursor_blink = False


async def wait_for_checks(app, pilot, seconds: float = 120) -> None:
    for _ in range(int(seconds / 0.1)):
        await pilot.pause(0.1)
        if app.state.deep is not None:  # the deeper checks of the current values are in
            return


async def retype(app, pilot, key: str, text: str) -> None:
    app.form.focus_field(key)
    await pilot.pause()
    widget = app.form.editor(key)
    await pilot.press("end", *["backspace"] * len(widget.value), *text)
    await pilot.pause()


async def form_and_picker(out: Path) -> None:
    from satconf.tui.app import make_app

    app = make_app(WS)
    async with app.run_test(size=SIZE) as pilot:
        await idle(pilot)
        await wait_for_checks(app, pilot)
        await retype(app, pilot, "batch_size", "0")
        await wait_for_checks(app, pilot)
        await idle(pilot)
        app.form.scroll_home(animate=False)
        await pilot.pause()
        app.save_screenshot("form-error.svg", str(out))
        await pilot.press("backspace", "8")
        await pilot.press("ctrl+g")
        await pilot.pause()
        await pilot.press("down", "space", "down", "space")
        await pilot.pause()
        app.save_screenshot("gpu-picker.svg", str(out))


async def keys_and_engines(out: Path) -> None:
    """The help screen, and a SLURM profile: its Engine rows, the cut preview, f4's whole
    batch script."""
    from satconf.profiles import Profile, ProfileStore
    from satconf.tui.app import make_app

    app = make_app(WS)
    async with app.run_test(size=SIZE) as pilot:
        await idle(pilot)
        await pilot.press("f1")
        await idle(pilot)
        app.save_screenshot("help.svg", str(out))
    cluster = {"engine": "slurm", "gpus_per_node": 8, "partition": "gpu",
               "time_limit": "2-00:00:00"}
    ProfileStore().save(Profile(name="two nodes", workspace=str(WS), values={"num_nodes": 2},
                                options={"cluster": cluster}))
    app = make_app(WS, profile="two nodes")
    async with app.run_test(size=SIZE) as pilot:
        await idle(pilot)
        await wait_for_checks(app, pilot)
        app.go_to_field("cluster.partition")
        await idle(pilot)
        app.save_screenshot("engine.svg", str(out))
        await pilot.press("f4")
        await idle(pilot)
        app.save_screenshot("command.svg", str(out))


async def run_view(out: Path) -> None:
    from satconf.tui.app import make_app
    from satconf.tui.dialogs import ConfirmScreen
    from satconf.tui.run_view import RunScreen

    app = make_app(WS)
    async with app.run_test(size=SIZE) as pilot:
        await idle(pilot)
        await wait_for_checks(app, pilot)
        await pilot.press("f5")
        for _ in range(1200):  # a real Lightning run: importing torch alone takes seconds
            await pilot.pause(0.1)
            if isinstance(app.screen, ConfirmScreen):
                await pilot.press("y")
            screen = app.screen
            loss = getattr(screen, "series", {}).get("train/loss")
            if isinstance(screen, RunScreen) and (screen.status != "running"
                                                  or (loss and len(loss.steps) >= 60)):
                break
        await idle(pilot)
        app.save_screenshot("run-view.svg", str(out))
        if isinstance(app.screen, RunScreen) and app.screen.status == "running":
            from satconf.runs import stop_run

            stop_run(app.screen.record.id, grace=(10, 5))


def earlier_runs() -> None:
    """Three ended runs of other engines, with metrics, for the runs screen."""
    from satconf.runs.metrics import append_rows
    from satconf.runs.progress import MetricRow
    from satconf.runs.records import RunRecord, StopStep, run_dir, write_record

    for run_id, engine, name, code, gpus, loss, stopped in (
        ("20260313-220104-5e1a", "slurm", "drums-48k-4node", 0, [0, 1, 2, 3], 0.0412, False),
        ("20260313-181530-a7c2", "torchrun", "speech-ablation", 1, [0, 1], 0.2875, False),
        ("20260312-093012-03fd", "local", "drums fine-tune", 0, [0], 0.0731, True),
    ):
        folder = run_dir(run_id)
        folder.mkdir(parents=True, exist_ok=True)
        write_record(folder, RunRecord(
            id=run_id, engine=engine, name=name, profile="drums fine-tune", gpus=gpus,
            values={"name": name, "batch_size": 8}, exit_code=code,
            started_at=f"{run_id[:4]}-{run_id[4:6]}-{run_id[6:8]}T{run_id[9:11]}:"
                       f"{run_id[11:13]}:00+00:00",
            ended_at=f"{run_id[:4]}-{run_id[4:6]}-{run_id[6:8]}T23:59:00+00:00",
            job_id="4121" if engine == "slurm" else None,
            stop_steps=[StopStep("SIGINT", "2026-03-12T23:59:00+00:00")] if stopped else []))
        (folder / "train.log").write_text("", encoding="utf-8")
        append_rows(folder, [MetricRow(step=41200, epoch=37, batch=412, total=1100, rate=6.8,
                                       elapsed_s=60.0, metrics={"train/loss": loss},
                                       time=0.0)])


async def runs_screen(out: Path) -> None:
    from satconf.tui.app import make_app
    from satconf.tui.runs_screen import RunsScreen

    earlier_runs()
    app = make_app(WS)
    async with app.run_test(size=SIZE) as pilot:
        await idle(pilot)
        await pilot.press("f3")
        for _ in range(100):
            await pilot.pause(0.1)
            if isinstance(app.screen, RunsScreen) and app.screen.loaded:
                break
        await pilot.pause()
        app.save_screenshot("runs.svg", str(out))


async def profiles_panel(out: Path) -> None:
    from datetime import datetime

    from satconf.profiles import Profile, ProfileStore
    from satconf.tui.app import make_app

    store = ProfileStore()
    stamp = datetime(2026, 3, 14, 9, 30).astimezone()
    for name, values, description in (
        ("drums fine-tune", {"batch_size": 8, "precision": "bf16-mixed", "seed": 7},
         "from the public checkpoint, drum loops"),
        ("ablation no-ema", {"batch_size": 8, "seed": 1}, "seed 1, EMA off"),
        ("speech 48k", {"batch_size": 16, "num_workers": 12}, ""),
    ):
        store.save(Profile(name=name, values=values, description=description, gpus=[0, 1],
                           created=stamp, updated=stamp), touch=False)
    (store.root / "hand-edited.toml").write_text("name = 'x'\nvalues = [\n", encoding="utf-8")
    app = make_app(WS, "drums fine-tune")
    async with app.run_test(size=SIZE) as pilot:
        await idle(pilot)
        await retype(app, pilot, "batch_size", "12")
        await pilot.press("f2")
        await idle(pilot)
        await pilot.press("up")
        await idle(pilot)
        app.save_screenshot("profiles.svg", str(out))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=ROOT / "screenshots")
    ap.add_argument("--only", nargs="*", metavar="NAME",
                    help="only these: form, keys, run, runs, profiles (run comes before runs)")
    opts = ap.parse_args()
    out = opts.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="satconf-screens-"))
    gpus = home / "gpus.json"
    gpus.write_text(json.dumps(GPUS), encoding="utf-8")
    os.environ.update({"SATCONF_HOME": str(home), "SATCONF_FAKE_GPUS": str(gpus),
                       "WANDB_MODE": "disabled"})
    from satconf.workspace import copy_demo

    shutil.rmtree(WS, ignore_errors=True)
    WS.parent.mkdir(parents=True, exist_ok=True)
    copy_demo(WS)
    ini = WS / "defaults.ini"  # a short run for the run view
    ini.write_text(ini.read_text(encoding="utf-8").replace("max_steps = -1", "max_steps = 200"),
                   encoding="utf-8")
    try:
        only = set(opts.only or ("form", "keys", "run", "runs", "profiles"))
        if "form" in only:
            asyncio.run(form_and_picker(out))
        if "keys" in only:
            asyncio.run(keys_and_engines(out))
        if "run" in only or "runs" in only:
            asyncio.run(run_view(out))
        if "runs" in only:
            asyncio.run(runs_screen(out))
        if "profiles" in only:
            asyncio.run(profiles_panel(out))
    finally:
        shutil.rmtree(home, ignore_errors=True)
    for name in ("form-error.svg", "gpu-picker.svg", "help.svg", "engine.svg", "command.svg",
                 "run-view.svg", "runs.svg", "profiles.svg"):
        print(out / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
