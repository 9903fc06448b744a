"""Snapshot of the profiles panel (pytest-textual-snapshot), after checking its real state."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from textual.pilot import Pilot

from satconf.profiles import Profile, ProfileStore
from satconf.tui.app import make_app
from satconf.tui.profiles_screen import ProfilesScreen

# Local wall-clock times, so the panel shows the same text in every time zone.
STAMP = datetime(2026, 1, 2, 3, 4).astimezone()


def fill_store(satconf_home: Path) -> None:
    store = ProfileStore()
    for name, values, description in (
        ("fine-tune", {"batch_size": 16, "name": "drums ft"}, "fine-tune on drums"),
        ("ablation no-ema", {"batch_size": 4, "seed": 1}, "seed 1, no EMA"),
    ):
        store.save(Profile(name=name, values=values, description=description,
                           created=STAMP, updated=STAMP), touch=False)
    (satconf_home / "profiles" / "broken.toml").write_text("name = [\n", encoding="utf-8")


def test_profiles_panel_snapshot(snap_compare, seed_workspace: Path,
                                 satconf_home: Path) -> None:
    fill_store(satconf_home)
    app = make_app(seed_workspace, "fine-tune", deep_checks=False)

    async def open_panel(pilot: Pilot) -> None:
        app.sub_title = "workspace"  # the real one is a temporary folder
        for _ in range(50):
            if getattr(app.form, "complete", True):
                break
            await pilot.pause()
        await pilot.press("f2")
        await app.workers.wait_for_complete()
        await pilot.pause()
        panel = app.screen
        assert isinstance(panel, ProfilesScreen)
        assert sorted(panel.rows) == ["ablation no-ema", "broken", "fine-tune"]
        assert panel.rows["broken"].error
        await pilot.press("up")  # from the open profile to the one above: a real diff
        await pilot.pause()
        assert panel.highlighted == "broken"
        await pilot.press("up")
        await pilot.pause()
        assert panel.highlighted == "ablation no-ema"

    assert snap_compare(app, terminal_size=(100, 30), run_before=open_panel)
