"""Profiles in the TUI: the real app, real profile files, driven by Pilot."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Button, Input, Static

from satconf.profiles import Profile, ProfileStore
from satconf.tui.dialogs import ConfirmScreen, NamePrompt, UnsavedChangesScreen
from satconf.tui.profile_flow import describe_diff, read_rows
from satconf.tui.profiles_screen import ProfilesScreen

from tui_profiles_support import (
    SIZE,
    answer_name,
    app_for,
    error_text,
    highlight,
    open_panel,
    save_profile,
)
from tui_support import retype, settle, sync


@sync
async def test_save_writes_a_profile_matching_the_form(seed_workspace: Path) -> None:
    app = app_for(seed_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await retype(pilot, app, "batch_size", "16")
        await retype(pilot, app, "name", "ablation one")
        assert app.dirty
        await pilot.press("ctrl+s")  # no profile yet: asks for a name
        await pilot.pause()
        await answer_name(pilot, app, "fine-tune")
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, NamePrompt)
        assert app.profile_name == "fine-tune"
        assert not app.dirty
        assert "fine-tune" in app.title and "modified" not in app.title

        saved = ProfileStore().load("fine-tune")
        assert saved.values == app.config.values
        assert saved.values["batch_size"] == 16
        assert saved.values["name"] == "ablation one"
        assert saved.workspace == str(seed_workspace.resolve())

        # A second ctrl+s saves in place, without asking.
        await retype(pilot, app, "batch_size", "32")
        assert app.dirty and "modified" in app.title
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, NamePrompt)
        assert ProfileStore().load("fine-tune").values["batch_size"] == 32
        assert not app.dirty


@sync
async def test_reopening_restores_the_form(seed_workspace: Path) -> None:
    save_profile("big", batch_size=64, seed=7, precision="bf16-mixed", name="run big")
    app = app_for(seed_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        panel = await open_panel(pilot, app)
        await highlight(pilot, panel, "big")
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, ProfilesScreen)  # back on the form
        assert app.profile_name == "big"
        assert not app.dirty
        for key, text in (("batch_size", "64"), ("seed", "7"), ("name", "run big")):
            editor = app.form.editor(key)
            assert isinstance(editor, Input) and editor.value == text
        assert app.form.values["precision"] == "bf16-mixed"
        assert app.config.values["batch_size"] == 64

    # Started with --profile, the app restores the same form.
    app = app_for(seed_workspace, "big")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        editor = app.form.editor("batch_size")
        assert isinstance(editor, Input) and editor.value == "64"
        assert app.profile_name == "big" and not app.dirty


@sync
async def test_bad_name_is_refused_with_the_rule(seed_workspace: Path) -> None:
    save_profile("taken")
    app = app_for(seed_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        for name, rule in (("../evil", "path separator"), (".hidden", "starts with a dot"),
                           ("a:b", "contains ':'"), ("x" * 70, "the limit is 64"),
                           ("taken", "already exists")):
            prompt = await answer_name(pilot, app, name)
            assert rule in error_text(prompt)
            assert prompt.query_one("#ok", Button).disabled
            await pilot.press("enter")  # refused: the dialog stays
            await pilot.pause()
            assert app.screen is prompt
        prompt = await answer_name(pilot, app, "good name")
        assert error_text(prompt) == ""
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, NamePrompt)
    assert ProfileStore().names() == ["taken"]


@sync
async def test_rename_asks_for_a_valid_new_name(seed_workspace: Path) -> None:
    save_profile("old", batch_size=5)
    save_profile("other")
    app = app_for(seed_workspace, "old")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        panel = await open_panel(pilot, app)
        await highlight(pilot, panel, "old")
        await pilot.press("r")
        await pilot.pause()
        prompt = await answer_name(pilot, app, "other")
        assert "already exists" in error_text(prompt)
        await answer_name(pilot, app, "renamed")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen is panel
        assert sorted(panel.rows) == ["other", "renamed"]
        assert panel.highlighted == "renamed"
        assert app.profile_name == "renamed"  # the open profile follows its file
    assert ProfileStore().names() == ["other", "renamed"]
    assert ProfileStore().load("renamed").values["batch_size"] == 5


@sync
async def test_delete_needs_confirmation(seed_workspace: Path) -> None:
    save_profile("keep")
    save_profile("doomed")
    app = app_for(seed_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        panel = await open_panel(pilot, app)
        await highlight(pilot, panel, "doomed")
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("enter")  # focus starts on "Keep": a stray Enter deletes nothing
        await pilot.pause()
        assert app.screen is panel
        assert ProfileStore().exists("doomed")

        await pilot.press("delete")
        await pilot.pause()
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen is panel
        assert not ProfileStore().exists("doomed")
        assert sorted(panel.rows) == ["keep"]


@sync
async def test_panel_lists_corrupt_profiles_and_diffs(seed_workspace: Path,
                                                      satconf_home: Path) -> None:
    save_profile("good", batch_size=128)
    bad = satconf_home / "profiles" / "broken.toml"
    bad.write_text("format = 1\nname = \n", encoding="utf-8")
    app = app_for(seed_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        panel = await open_panel(pilot, app)
        assert sorted(panel.rows) == ["broken", "good"]
        assert panel.rows["broken"].error and "broken.toml" in panel.rows["broken"].error
        await highlight(pilot, panel, "broken")
        detail = str(panel.query_one("#profile-diff", Static).render())
        assert "cannot be read" in detail and "broken.toml" in detail
        await pilot.press("enter")  # cannot open it: stays, says why
        await pilot.pause()
        assert app.screen is panel and app.profile_name is None

        await highlight(pilot, panel, "good")
        detail = str(panel.query_one("#profile-diff", Static).render())
        assert "batch_size: 128 → 4" in detail
    assert bad.read_text(encoding="utf-8") == "format = 1\nname = \n"  # never touched


@sync
async def test_save_refuses_to_overwrite_an_unreadable_profile(seed_workspace: Path,
                                                               satconf_home: Path) -> None:
    save_profile("mine", batch_size=3)
    app = app_for(seed_workspace, "mine")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        path = satconf_home / "profiles" / "mine.toml"
        path.write_text("hand = [edit\n", encoding="utf-8")
        await retype(pilot, app, "batch_size", "5")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.dirty  # not saved
        assert path.read_text(encoding="utf-8") == "hand = [edit\n"


@sync
async def test_deleting_or_renaming_the_open_profile_keeps_the_form(seed_workspace: Path) -> None:
    save_profile("open one", batch_size=6)
    app = app_for(seed_workspace, "open one")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await retype(pilot, app, "seed", "5")
        panel = await open_panel(pilot, app)
        await highlight(pilot, panel, "open one")
        await pilot.press("r")
        await pilot.pause()
        await answer_name(pilot, app, "moved")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.profile_name == "moved" and app.dirty  # the edit is still unsaved
        assert ProfileStore().load("moved").values == {"batch_size": 6}

        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert panel.rows == {} and app.profile_name is None
        assert app.form.values["batch_size"] == 6 and app.form.values["seed"] == 5
        assert "(no profile)" in app.title and "modified" in app.title
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("ctrl+q")  # the values live nowhere else: the guard asks
        await pilot.pause()
        assert isinstance(app.screen, UnsavedChangesScreen)


@sync
async def test_copy_and_save_as_from_the_panel(seed_workspace: Path) -> None:
    save_profile("source", batch_size=12)
    app = app_for(seed_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        panel = await open_panel(pilot, app)
        await highlight(pilot, panel, "source")
        await pilot.press("c")
        await pilot.pause()
        prompt = await answer_name(pilot, app, "source")
        assert "already exists" in error_text(prompt)
        await answer_name(pilot, app, "twin")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert sorted(panel.rows) == ["source", "twin"] and panel.highlighted == "twin"
        assert ProfileStore().load("twin").values == {"batch_size": 12}

        await pilot.press("a")  # save the form (defaults) as a new profile, with a description
        await pilot.pause()
        prompt = await answer_name(pilot, app, "from form")
        prompt.query_one("#description", Input).value = "all defaults"
        await pilot.click("#ok")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen is panel and panel.highlighted == "from form"
        saved = ProfileStore().load("from form")
        assert saved.description == "all defaults"
        assert saved.values == app.config.values
        assert app.profile_name == "from form" and not app.dirty


def test_diff_text_covers_gpus_workspace_and_foreign_keys(seed_workspace: Path) -> None:
    ProfileStore().save(Profile(name="elsewhere", values={"batch_size": 2, "fork_only": 3},
                                gpus=[1], workspace="/other/checkout"))
    (row,) = read_rows(ProfileStore())
    defaults = {"batch_size": 4, "seed": 42}
    text = describe_diff(row, {"batch_size": 4, "seed": 42}, defaults, None,
                         str(seed_workspace))
    assert "made for another workspace: /other/checkout" in text
    assert "GPUs: 1 → all visible" in text
    assert "1 key(s) differ" in text and "batch_size: 2 → 4" in text
    assert "fork_only = 3" in text  # kept in the file, ignored by this INI
    same = describe_diff(row, {"batch_size": 2, "seed": 42}, defaults, [1], "/other/checkout")
    assert "Same values as the form." in same and "GPUs" not in same


@sync
async def test_keys_of_another_workspace_survive_open_and_save(seed_workspace: Path) -> None:
    ProfileStore().save(Profile(name="fork", values={"batch_size": 3, "fork_only": [1, 2]},
                                workspace="/other/checkout"))
    app = app_for(seed_workspace, "fork")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert "fork_only" not in app.form.values
        await retype(pilot, app, "batch_size", "5")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not app.dirty
    saved = ProfileStore().load("fork")
    assert saved.values["fork_only"] == [1, 2] and saved.values["batch_size"] == 5
    assert saved.workspace == str(seed_workspace.resolve())
