"""Launching from the form: checks that block or warn, the run view, runs that outlive the TUI."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from pathlib import Path

import pytest

from satconf.tui.app import SatconfApp, make_app

from tui_support import (
    RECORDER,
    SIZE,
    checked,
    choose,
    launchable,
    retype,
    settle,
    sync,
    toggle,
)


@sync
async def test_launch_key_starts_the_previewed_command(launch_ws: Path,
                                                       fake_gpus: Path) -> None:
    from satconf.tui.run_view import RunScreen

    ws = launch_ws
    app = make_app(ws, deep_checks=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await retype(pilot, app, "batch_size", "16")
        await pilot.press("ctrl+g")
        await pilot.pause()
        await pilot.press("down", "space", "enter")
        await pilot.pause()
        plan = app.preview.plan
        assert plan is not None and "--batch-size=16" in plan.argv
        await pilot.press("f5")
        out = ws / "launched.json"
        for _ in range(600):  # the run is a real detached process: wait for its record
            if out.exists() and isinstance(app.screen, RunScreen) \
                    and app.screen.status != "running":
                break
            await asyncio.sleep(0.05)
        got = json.loads(out.read_text())
        assert got["argv"] == list(plan.argv[1:])  # sys.argv: train.py and the flags
        assert got["cuda"] == plan.env["CUDA_VISIBLE_DEVICES"] == "1"
        assert os.path.samefile(got["cwd"], plan.cwd)
        screen = app.screen
        assert isinstance(screen, RunScreen)
        assert screen.status == "succeeded" and screen.exit_code == 0
        assert screen.lines_seen >= 1
        assert app.last_run.argv == list(plan.argv)
        await pilot.press("escape")  # back to the form, as it was
        await pilot.pause()
        assert app.screen.query_one("#form") is app.form


@sync
async def test_error_findings_block_launch(tmp_path: Path) -> None:
    from satconf.tui.dialogs import ConfirmScreen

    # A workspace the checks would let launch but for one error: model_config names a
    # file that is not there (train.py would open() it first thing). No warnings either,
    # so without the refusal f5 would start the run at once.
    ws = launchable(tmp_path / "sat-bad")
    ini = ws / "defaults.ini"
    ini.write_text(ini.read_text().replace("'configs/model.json'", "'configs/missing.json'"),
                   encoding="utf-8")
    app = make_app(ws, deep_checks=True, probe_env=False)
    async with app.run_test(size=SIZE) as pilot:
        await checked(app, pilot)
        errors = [f for f in app.findings if f.level == "error"]
        assert [f.field for f in errors] == ["model_config"]
        assert not [f for f in app.findings if f.level == "warning"]
        assert app.findings_panel.error_count == 1
        await pilot.press("f5")
        await settle(app, pilot)
        refusals = [n.message for n in app._notifications if "Launch refused" in n.message]
        assert refusals and "1 check(s) failed" in refusals[0]  # f5 was heard, and refused
        assert not isinstance(app.screen, ConfirmScreen)
        await app.workers.wait_for_complete()
        assert app.last_run is None and not (ws / "launched.json").exists()


@sync
async def test_palette_commands_and_copy(ws: Path) -> None:
    app = make_app(ws, deep_checks=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Launch", "Save profile", "Open profile", "Copy command"} <= titles
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert app.clipboard == app.preview.command
        assert app.clipboard.startswith("cd ") and "train.py" in app.clipboard


async def run_palette_command(app: SatconfApp, pilot, title: str) -> None:
    """ctrl+p, type the command's title, enter: as a user picks it from the palette."""
    from textual.command import CommandPalette

    await pilot.press("ctrl+p")
    for _ in range(50):
        await pilot.pause()
        if isinstance(app.screen, CommandPalette):
            break
    assert isinstance(app.screen, CommandPalette)
    await pilot.press(*title)
    for _ in range(100):  # the palette searches in a worker
        await pilot.pause(0.02)
        shown = app.screen.query("CommandList Option")
        if shown and title in str(shown.first().prompt):
            break
    await pilot.press("enter")
    for _ in range(50):
        await pilot.pause()
        if not isinstance(app.screen, CommandPalette):
            break


@pytest.mark.parametrize(("title", "screen"), [
    ("Runs", "RunsScreen"), ("Open profile", "ProfilesScreen"), ("Choose GPUs", "GpuPicker"),
    ("Show the whole command", "CommandScreen"), ("Queue screen", "QueueScreen"),
])
@sync
async def test_palette_commands_open_their_screens(ws: Path, title: str, screen: str) -> None:
    app = make_app(ws, deep_checks=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await run_palette_command(app, pilot, title)
        assert type(app.screen).__name__ == screen


@sync
async def test_palette_copy_and_launch_act(ws: Path) -> None:
    app = make_app(ws, deep_checks=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await run_palette_command(app, pilot, "Copy command")
        assert app.clipboard == app.preview.command and "train.py" in app.clipboard
        await run_palette_command(app, pilot, "Launch")
        await checked(app, pilot)
        # The seed's model_config is empty: launching from the palette is refused.
        assert any("Launch refused" in n.message for n in app._notifications)
        assert app.last_run is None


@sync
async def test_warnings_ask_before_launch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from satconf.tui.dialogs import ConfirmScreen
    from satconf.workspace import copy_demo

    monkeypatch.delenv("COMET_API_KEY", raising=False)
    ws = copy_demo(tmp_path / "demo")
    (ws / "train.py").write_text(RECORDER, encoding="utf-8")
    app = make_app(ws, deep_checks=True, probe_env=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        key = next(s.key for s in app.config.fields if "comet" in s.choices)
        await choose(pilot, app, key, "comet")
        assert app.config.values[key] == "comet"
        for attempt, answer in (("first", "n"), ("second", "y")):
            await pilot.press("f5")
            for _ in range(200):
                await settle(app, pilot)
                if isinstance(app.screen, ConfirmScreen):
                    break
            assert isinstance(app.screen, ConfirmScreen), attempt
            assert any(f.level == "warning" and f.field == key for f in app.findings)
            assert not [f for f in app.findings if f.level == "error"]
            await pilot.press(answer)
            await settle(app, pilot)
            if answer == "n":
                assert app.last_run is None and not (ws / "launched.json").exists()
        for _ in range(600):
            if (ws / "launched.json").exists():
                break
            await asyncio.sleep(0.05)
        assert app.last_run is not None
        assert json.loads((ws / "launched.json").read_text())["argv"][1:] == \
            list(app.last_run.argv[2:])


@pytest.mark.slow
@pytest.mark.unprobed  # the real probe runs now (seconds), after the rows are on screen
@sync
async def test_probe_fills_selects_with_what_lightning_accepts(ws: Path) -> None:
    from textual.widgets import Select

    app = make_app(ws)  # the real probe of the training python (this interpreter)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(50):
            await pilot.pause()
            if app.form.complete:
                break
        # The selects exist before the probe answers, so what they offer afterwards
        # comes from the update, not from rows built after it.
        assert app.form.complete and app.state.env is None
        for _ in range(1200):
            await pilot.pause(0.1)
            if app.state.deep is not None and app.state.env is not None:
                break
        env = app.state.env
        assert env is not None and env.ok, getattr(env, "error", None)
        assert env.strategies and env.precisions
        probed = {key: names for key, names in app.form.choices.items()
                  if key in app.config.fields and app.config.fields[key].choices}
        strategy = next(s.key for s in app.config.fields if "ddp" in s.choices)
        precision = next(s.key for s in app.config.fields if "bf16-mixed" in s.choices)
        assert {strategy, precision} <= set(probed)
        for key in (strategy, precision):
            select = app.form.editor(key)
            assert isinstance(select, Select)
            offered = [value for _, value in select._options if value is not Select.BLANK]
            # Lightning's names in the probe's order (the schema lists them otherwise).
            assert offered == list(probed[key]), key
            assert offered != list(app.config.fields[key].choices), key
        assert set(env.strategies) <= set(probed[strategy])
        assert set(env.precisions) <= set(probed[precision])


def test_run_goes_on_after_the_tui_quits(tmp_path: Path) -> None:
    import time

    from satconf.runs import load_run, run_status

    # The training waits for the test (a FIFO it reads) instead of a guessed sleep.
    gate = tmp_path / "gate"
    os.mkfifo(gate)
    gated = f"open({str(gate)!r}).read()\n" + RECORDER
    ws = launchable(tmp_path / "slow", gated)
    app = make_app(ws, deep_checks=False)

    async def launch_and_quit() -> str:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("f5")
            for _ in range(400):
                await asyncio.sleep(0.05)
                if app.last_run is not None:
                    break
            assert app.last_run is not None
            assert run_status(load_run(app.last_run.id)) == "running"
            app.exit()
        return app.last_run.id

    try:
        run_id = asyncio.run(launch_and_quit())
        assert run_status(load_run(run_id)) == "running"  # the app is gone, the run is not
        assert not (ws / "launched.json").exists()
    finally:
        # Let the training go on, also when the test failed (it would wait for ever).
        with contextlib.suppress(OSError):  # nobody reads it: the run never got that far
            os.close(os.open(gate, os.O_WRONLY | os.O_NONBLOCK))
    for _ in range(600):
        if run_status(load_run(run_id)) != "running":
            break
        time.sleep(0.05)
    assert (ws / "launched.json").exists()
    assert run_status(load_run(run_id)) == "succeeded"


@sync
async def test_preview_shows_the_checkpoint_recover_resumes(ws: Path) -> None:
    out = ws / "out"
    out.mkdir()
    for name in ("epoch=0-step=10.ckpt", "epoch=2-step=300.ckpt"):
        (out / name).write_bytes(b"x")
    app = make_app(ws, deep_checks=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await retype(pilot, app, "save_dir", "out")
        # Without a logger train.py writes save_dir/*.ckpt (with wandb: save_dir/<name>/...).
        await choose(pilot, app, "logger", "none")
        assert app.preview.plan is not None
        assert not any(a.startswith("--ckpt-path") for a in app.preview.plan.argv)
        await toggle(pilot, app, "recover")
        assert app.config.values["recover"] is True
        argv = app.preview.plan.argv
        assert f"--ckpt-path={(out / 'epoch=2-step=300.ckpt').resolve()}" in argv
        assert "resuming from" in str(app.preview.render())
