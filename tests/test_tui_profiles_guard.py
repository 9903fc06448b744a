"""The unsaved-edit guard: quitting or switching profile with edits asks first."""

from __future__ import annotations

from pathlib import Path

from satconf.profiles import ProfileStore
from satconf.tui.dialogs import UnsavedChangesScreen

from tui_profiles_support import (
    SIZE,
    answer_name,
    app_for,
    highlight,
    open_panel,
    save_profile,
)
from tui_support import retype, settle, sync


@sync
async def test_quit_guard(seed_workspace: Path) -> None:
    save_profile("base", batch_size=4)
    app = app_for(seed_workspace, "base")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await retype(pilot, app, "batch_size", "9")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, UnsavedChangesScreen)
        await pilot.press("escape")  # cancel: still running, edit kept
        await pilot.pause()
        assert app.is_running and app.dirty
        assert app.form.values["batch_size"] == 9

        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("s")  # save, then quit
        await pilot.pause()
    assert app.return_code == 0
    assert ProfileStore().load("base").values["batch_size"] == 9


@sync
async def test_quit_guard_discard_and_clean_quit(seed_workspace: Path) -> None:
    app = app_for(seed_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+q")  # nothing edited: quits at once
        await pilot.pause()
    assert not app.is_running

    app = app_for(seed_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await retype(pilot, app, "seed", "1")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, UnsavedChangesScreen)
        await pilot.press("d")
        await pilot.pause()
    assert not app.is_running
    assert ProfileStore().names() == []


@sync
async def test_switching_profile_guards_unsaved_edits(seed_workspace: Path) -> None:
    save_profile("first", batch_size=1)
    save_profile("second", batch_size=2)
    app = app_for(seed_workspace, "first")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await retype(pilot, app, "batch_size", "11")
        panel = await open_panel(pilot, app)
        await highlight(pilot, panel, "second")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, UnsavedChangesScreen)
        await pilot.press("escape")  # cancel: nothing switches
        await pilot.pause()
        assert app.screen is panel
        assert app.profile_name == "first" and app.form.values["batch_size"] == 11

        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("s")  # save "first", then open "second"
        await pilot.pause()
        assert app.profile_name == "second" and not app.dirty
        assert app.form.values["batch_size"] == 2
        assert ProfileStore().load("first").values["batch_size"] == 11

        await retype(pilot, app, "batch_size", "3")
        panel = await open_panel(pilot, app)
        await highlight(pilot, panel, "first")
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("d")  # discard the edit to "second"
        await pilot.pause()
        assert app.profile_name == "first" and app.form.values["batch_size"] == 11
    assert ProfileStore().load("second").values["batch_size"] == 2


@sync
async def test_quit_guard_save_asks_for_a_name_first(seed_workspace: Path) -> None:
    app = app_for(seed_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await retype(pilot, app, "batch_size", "7")
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("s")  # no profile yet: the save asks for a name
        await pilot.pause()
        prompt = await answer_name(pilot, app, "kept")
        await pilot.press("ctrl+s")  # a second save key does not stack another prompt
        await pilot.pause()
        assert app.screen is prompt
        await pilot.press("enter")
        await pilot.pause()
    assert not app.is_running
    assert ProfileStore().load("kept").values["batch_size"] == 7
