"""From the runs screen: relaunch a run with the same settings, or open them in the form."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from satconf.tui.app import make_app

from tui_support import SIZE, launchable, settle, sync, until

QUICK = "import sys\nprint('done', sys.argv[1:], flush=True)\n"


def _wait_ended(run_id: str) -> None:
    import time

    from satconf.runs import load_run, run_status

    for _ in range(400):
        if run_status(load_run(run_id)) not in ("running", "queued"):
            return
        time.sleep(0.05)
    raise AssertionError("the run never ended")


@sync
async def test_relaunch_and_edit_go_through_the_launch_path(tmp_path: Path, run_satconf) -> None:
    from satconf.runs import list_runs, load_run
    from satconf.tui.runs_screen import RunsScreen

    ws = launchable(tmp_path / "ws", QUICK)
    first = run_satconf("launch", "--workspace", str(ws), "--json", "--set", "batch_size=3",
                        "--gpus", "0")
    assert first.returncode == 0, first.stderr
    first_id = json.loads(first.stdout)["run_id"]
    _wait_ended(first_id)
    app = make_app(ws, deep_checks=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f3")
        await until(lambda: isinstance(app.screen, RunsScreen) and bool(app.screen.rows),
                    "the runs screen's rows")
        screen = app.screen
        assert isinstance(screen, RunsScreen) and screen.current_id() == first_id
        await pilot.press("r")
        notes: list[str] = []
        for _ in range(400):
            await asyncio.sleep(0.05)
            notes += [n.message for n in app._notifications if n.message not in notes]
            if len(list_runs()) == 2:
                break
        assert len(list_runs()) == 2, notes
        again = next(r for r in list_runs() if r.id != first_id)
        old = load_run(first_id)
        assert again.argv == old.argv and again.gpus == old.gpus == [0]
        assert again.values == old.values and again.env == old.env
        await pilot.pause()
        screen.query_one("DataTable").move_cursor(row=[r.record.id for r in screen.rows]
                                                  .index(first_id))
        await pilot.press("e")
        await settle(app, pilot)
        assert not isinstance(app.screen, RunsScreen)
        assert app.config.values["batch_size"] == 3 and app.config.gpus == [0]
        assert "--batch-size=3" in app.preview.command


async def open_checkpoints(app: Any, pilot: Any, run_id: str) -> None:
    """The run view of `run_id`, then `c`: its checkpoint picker."""
    from satconf.runs import load_run
    from satconf.tui.checkpoint_picker import CheckpointPicker
    from satconf.tui.run_view import RunScreen

    app.push_screen(RunScreen(load_run(run_id)))
    await pilot.pause()
    await pilot.press("c")
    await until(lambda: isinstance(app.screen, CheckpointPicker), "the checkpoint picker")


@sync
async def test_resume_from_a_checkpoint_fills_the_form(tmp_path: Path, run_satconf) -> None:

    # A train.py that saves two checkpoints, as Lightning names them, while it runs.
    saving = ("import os\nos.makedirs('out', exist_ok=True)\n"
              "for step in (100, 200):\n"
              "    open(f'out/epoch=0-step={step}.ckpt', 'wb').write(b'ckpt')\n")
    ws = launchable(tmp_path / "ws", saving)
    first = run_satconf("launch", "--workspace", str(ws), "--json", "--set", "save_dir=out",
                        "--set", "seed=5")
    assert first.returncode == 0, first.stderr
    run_id = json.loads(first.stdout)["run_id"]
    _wait_ended(run_id)

    app = make_app(ws, deep_checks=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_checkpoints(app, pilot, run_id)
        assert [c.step for c in app.screen.checkpoints] == [200, 100]
        await pilot.press("enter")  # the highlighted one: the newest step
        await settle(app, pilot)
        assert app.config.values["ckpt_path"].endswith("epoch=0-step=200.ckpt")
        assert app.config.values["seed"] == 5
        assert "--ckpt-path=" in app.preview.command

        # A defaults.ini without the key: train.py has no --ckpt-path, so resuming says so
        # (the launch would be refused) and the form keeps what it had.
        ini = ws / "defaults.ini"
        ini.write_text("".join(line for line in ini.read_text().splitlines(keepends=True)
                               if not line.startswith("ckpt_path")))
        await open_checkpoints(app, pilot, run_id)
        await pilot.press("down", "enter")  # step 100
        await pilot.pause()
        assert any("no --ckpt-path flag" in n.message for n in app._notifications)
        assert app.config.values["ckpt_path"].endswith("epoch=0-step=200.ckpt")
