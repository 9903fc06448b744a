"""Helpers for the profile Pilot tests: open the panel, answer the name prompt, save a profile."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from satconf.profiles import Profile, ProfileStore
from satconf.tui.app import SatconfApp, make_app
from satconf.tui.dialogs import NamePrompt
from satconf.tui.profiles_screen import ProfilesScreen

SIZE = (100, 34)


def app_for(workspace: Path, profile: str | None = None) -> SatconfApp:
    # Deep checks probe the training environment in a subprocess: not what these tests are about.
    return make_app(workspace, profile, deep_checks=False)


async def answer_name(pilot: Pilot, app: SatconfApp, name: str) -> NamePrompt:
    assert isinstance(app.screen, NamePrompt)
    prompt = app.screen
    box = prompt.query_one("#name", Input)
    box.action_end()
    await pilot.press(*["backspace"] * len(box.value), *name)
    await pilot.pause()
    return prompt


def error_text(prompt: NamePrompt) -> str:
    return str(prompt.query_one("#name-error", Static).render())


async def open_panel(pilot: Pilot, app: SatconfApp) -> ProfilesScreen:
    await pilot.press("f2")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, ProfilesScreen)
    await app.workers.wait_for_complete()
    await pilot.pause()
    return screen


async def highlight(pilot: Pilot, panel: ProfilesScreen, name: str) -> None:
    table = panel.query_one(DataTable)
    table.move_cursor(row=table.get_row_index(name))
    await pilot.pause()
    assert panel.highlighted == name


def save_profile(profile: str, **values: object) -> Profile:
    prof = Profile(name=profile, values=dict(values), description=f"about {profile}")
    ProfileStore().save(prof)
    return prof
