"""The run view the form opens on f5: stopping asks, f follows the tail, an unreadable
record is ridden out; the run is real and detached."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from satconf.tui.app import SatconfApp, make_app

from tui_support import SIZE, launchable, sync, until

FOREVER = "import time\nprint('step 0', flush=True)\nwhile True:\n    time.sleep(0.1)\n"


def forever_app(tmp_path: Path) -> SatconfApp:
    """The form on a workspace whose train.py prints a line, then runs until stopped."""
    return make_app(launchable(tmp_path / "forever", FOREVER), deep_checks=False)


async def launch_into_run_view(app: SatconfApp, pilot) -> Any:
    """f5, then the run view once the run's first log line is in it."""
    from satconf.tui.run_view import RunScreen

    await pilot.pause()
    await pilot.press("f5")
    await until(lambda: isinstance(app.screen, RunScreen) and bool(app.screen.lines_seen),
                "the run view with the run's first log line")
    screen = app.screen
    assert isinstance(screen, RunScreen) and screen.status == "running"
    return screen


@sync
async def test_run_view_stops_the_run(tmp_path: Path) -> None:
    app = forever_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await launch_into_run_view(app, pilot)
        from satconf.tui.dialogs import ConfirmScreen
        from satconf.tui.footer import FooterKey, KeyFooter

        await pilot.pause()
        shown = {k.key for k in screen.query_one(KeyFooter).query(FooterKey)}
        assert {"s", "escape", "f1", "ctrl+q"} <= shown
        assert not shown & {"ctrl+s", "f5", "ctrl+g"}  # the form's keys do nothing here
        await pilot.press("ctrl+s")  # and do not act on the form below
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("s")  # asks first: a stray key must not end a long run
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("enter")  # the focused button is "Keep running"
        await pilot.pause()
        assert app.screen is screen and screen.status == "running"
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("y")
        for _ in range(600):
            await asyncio.sleep(0.05)
            if screen.status != "running":
                break
        assert screen.status == "stopped"
        assert "exit code" in str(screen.query_one("#run-status").render())


CHATTY = ("import time\nfor i in range(200):\n    print('step', i, flush=True)\n"
          "i = 200\nwhile True:\n    print('step', i, flush=True)\n    i += 1\n"
          "    time.sleep(0.05)\n")


@sync
async def test_run_view_f_follows_the_tail_again(tmp_path: Path) -> None:
    from textual.widgets import RichLog

    from satconf.runs import stop_run

    app = make_app(launchable(tmp_path / "chatty", CHATTY), deep_checks=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await launch_into_run_view(app, pilot)
        try:
            log = screen.query_one(RichLog)
            await pilot.press("home")  # scrolled back: the tail pauses
            for _ in range(200):
                await pilot.pause(0.05)
                if screen.unseen:
                    break
            assert not screen.following and screen.unseen
            assert "f: follow" in str(screen.query_one("#run-status").render())
            assert not log.is_vertical_scroll_end
            await pilot.press("f")
            await pilot.pause()
            assert screen.following and screen.unseen == 0
            assert "paused" not in str(screen.query_one("#run-status").render())
            seen = screen.lines_seen
            for _ in range(200):  # more lines come in: they keep the view at the end
                await pilot.pause(0.05)
                if screen.lines_seen > seen + 2:
                    break
            assert screen.lines_seen > seen + 2 and log.is_vertical_scroll_end
        finally:
            stop_run(screen.record.id, grace=(0.5, 0.5))


@sync
async def test_run_view_rides_out_an_unreadable_record(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A record that cannot be read for a moment is retried, not taken for the run's end;
    one that stays unreadable ends the following as `unknown`, never as `lost`."""
    from satconf.runs import load_run, stop_run
    from satconf.runs.records import RECORD, run_dir
    from satconf.tui import run_view

    app = forever_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await launch_into_run_view(app, pilot)
        record = run_dir(screen.record.id) / RECORD
        aside = record.with_suffix(".aside")
        try:
            record.rename(aside)  # e.g. a moment's trouble on a network home folder
            await asyncio.sleep(1.0)
            assert screen.status == "running"
            aside.rename(record)
            monkeypatch.setattr(run_view, "UNREADABLE_GIVE_UP_S", 0.3)
            record.rename(aside)
            for _ in range(100):
                await asyncio.sleep(0.05)
                if screen.status != "running":
                    break
            assert screen.status == "unknown"
        finally:
            if aside.exists():
                aside.rename(record)
            stop_run(screen.record.id, grace=(0.5, 0.5))
        assert load_run(screen.record.id).stop_steps
