"""Issue 15 items 9, 10, 12, 13 on the real app at 80x24: the GPU picker's glyphs and busy
warning, the honest clipboard copy, the dialogs' keys and the profiles panel's columns, and a
path picker that can leave the workspace."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.cells import cell_len
from textual.widgets import DataTable, Input, SelectionList, Static

from satconf.profiles import Profile, ProfileStore
from satconf.tui.app import make_app
from satconf.tui.clipboard import copy_verdict, tmux_set_clipboard
from satconf.tui.dialogs import CopyByHandScreen, UnsavedChangesScreen
from satconf.tui.gpu_picker import BUSY, TICKED, UNTICKED, GpuPicker, gpu_label
from satconf.tui.path_picker import PathPicker, PathTree
from satconf.tui.profiles_screen import ProfilesScreen

from conftest import make_workspace
from tui_support import settle, sync

SIZE_80 = (80, 24)


# -- GPU picker ------------------------------------------------------------------------


def prompts(picker: GpuPicker) -> list[str]:
    options = picker.query_one(SelectionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


@sync
async def test_gpu_picker_glyphs_whole_rows_and_busy_warning(tmp_path: Path,
                                                             fake_gpus: Path) -> None:
    app = make_app(make_workspace(tmp_path / "ws"), deep_checks=False)
    async with app.run_test(size=SIZE_80) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+g")
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, GpuPicker)
        options = picker.query_one(SelectionList)
        rows = prompts(picker)
        # GPU 0 holds 1200 MiB: busy; GPU 1 is free. Nothing is cut at 80 columns.
        assert rows[0].startswith(UNTICKED) and BUSY in rows[0] and "cc 8.0" in rows[0]
        assert "free" in rows[1] and "…" not in "".join(rows)
        assert "NVIDIA A100-SXM4-80GB" in rows[0]
        room = options.scrollable_content_region.width
        assert all(cell_len(row) + 4 <= room for row in rows), (room, rows)  # + the tick box
        warning = picker.query_one("#gpu-warning", Static)
        assert str(warning.render()) == ""
        options.focus()
        options.highlighted = 0
        await pilot.press("space")  # tick the busy GPU 0
        await pilot.pause()
        assert prompts(picker)[0].startswith(TICKED)
        assert "GPU 0" in str(warning.render()) and "busy" in str(warning.render())
        await pilot.press("space")
        await pilot.pause()
        assert prompts(picker)[0].startswith(UNTICKED) and str(warning.render()) == ""


def test_gpu_label_shortens_only_the_name() -> None:
    from satconf.gpus import GpuInfo

    gpu = GpuInfo(3, "A very long accelerator product name indeed", 20480, 81920, 97, True,
                  (9, 0))
    for width in (50, 62, 90):
        text = gpu_label(gpu, ticked=True, width=width).plain
        assert cell_len(text) <= width
        assert text.startswith(TICKED) and "20/80 GiB" in text and "97%" in text
        assert "cc 9.0" in text and text.endswith(BUSY)


# -- the copy: OSC 52, said honestly -----------------------------------------------------


@pytest.mark.parametrize(("env", "tmux", "sure", "words"), [
    ({}, None, True, "OSC 52"),
    ({"TMUX": "/tmp/tmux-0/default,1,0"}, "on", True, "tmux"),
    ({"TMUX": "/tmp/tmux-0/default,1,0"}, "external", False, "set-clipboard on"),
    ({"TMUX": "/tmp/tmux-0/default,1,0"}, None, False, "set-clipboard unknown"),
    ({"STY": "1234.pts-0"}, None, False, "GNU screen"),
    ({"TERM_PROGRAM": "Apple_Terminal"}, None, False, "Apple Terminal"),
    ({"VTE_VERSION": "7600"}, None, False, "VTE"),
    ({"TERM_PROGRAM": "WezTerm"}, None, True, "OSC 52"),
])
def test_copy_verdict(env: dict[str, str], tmux: str | None, sure: bool, words: str) -> None:
    verdict = copy_verdict(env, tmux)
    assert verdict.sure is sure and words in verdict.message


@sync
async def test_copy_inside_tmux_without_set_clipboard_shows_the_command(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A tmux socket nobody serves: `tmux show-options` cannot answer, so satconf cannot know.
    monkeypatch.setenv("TMUX", f"{tmp_path}/no-tmux-server,1,0")
    assert tmux_set_clipboard() is None
    app = make_app(make_workspace(tmp_path / "ws"), deep_checks=False)
    async with app.run_test(size=SIZE_80) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert app.clipboard == app.preview.command  # sent all the same (OSC 52)
        dialog = app.screen
        assert isinstance(dialog, CopyByHandScreen)
        shown = str(dialog.query_one("#copy-command", Static).render())
        assert shown == app.preview.command
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, CopyByHandScreen)


# -- dialogs and the profiles panel ---------------------------------------------------------


@sync
async def test_unsaved_changes_dialog_shows_its_keys(tmp_path: Path) -> None:
    app = make_app(make_workspace(tmp_path / "ws"), deep_checks=False)
    async with app.run_test(size=SIZE_80) as pilot:
        await settle(app, pilot)
        app.form.set_value("seed", 7)
        await pilot.pause()
        await pilot.press("ctrl+q")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, UnsavedChangesScreen)
        keys = str(dialog.query_one(".dialog-keys", Static).render())
        assert "s: save" in keys and "d: discard" in keys and "esc: cancel" in keys
        await pilot.press("c")
        await pilot.pause()
        assert not isinstance(app.screen, UnsavedChangesScreen)


@sync
async def test_profiles_panel_full_years_and_workspace_column(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    other = make_workspace(tmp_path / "elsewhere")
    store = ProfileStore()
    store.save(Profile(name="here", workspace=str(ws.resolve())))
    store.save(Profile(name="there", workspace=str(other.resolve())))
    app = make_app(ws, deep_checks=False)
    async with app.run_test(size=SIZE_80) as pilot:
        await settle(app, pilot)
        await pilot.press("f2")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        panel = app.screen
        assert isinstance(panel, ProfilesScreen)
        table = panel.query_one(DataTable)
        labels = [str(c.label) for c in table.columns.values()]
        assert labels == ["Name", "Updated", "Workspace", "Description"]
        here, there = table.get_row("here"), table.get_row("there")
        assert re.fullmatch(r"20\d\d-\d\d-\d\d \d\d:\d\d", here[1])
        assert here[2] == "this" and there[2].endswith("elsewhere")


# -- the path picker ---------------------------------------------------------------------


async def tree_loaded(app, pilot, root: Path,
                      names: Callable[[list[str]], bool] = bool) -> PathTree:
    """The picker's tree once it shows `root` and its listing passes `names`.

    (DirectoryTree's loader is a worker that never ends: wait for the listing, not for it.)
    """
    for _ in range(300):
        await pilot.pause(0.01)
        tree = app.screen.query_one(PathTree)
        if Path(tree.path) == root.resolve() and names(child_names(tree)):
            return tree
    raise AssertionError(f"the tree never showed {root} as wanted")


def child_names(tree: PathTree) -> list[str]:
    return [node.data.path.name for node in tree.root.children]


@sync
async def test_path_picker_leaves_the_workspace_and_hides_dot_files(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    (ws / ".git").mkdir()
    (ws / "configs").mkdir()
    ckpts = tmp_path / "ckpts"
    ckpts.mkdir()
    (ckpts / "model.json").write_text("{}", encoding="utf-8")
    app = make_app(ws, deep_checks=False)
    async with app.run_test(size=SIZE_80) as pilot:
        await settle(app, pilot)
        app.form.focus_field("model_config")
        await pilot.pause()
        await pilot.press("ctrl+o")
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, PathPicker)
        tree = await tree_loaded(app, pilot, ws)
        assert ".git" not in child_names(tree) and child_names(tree)[0] == "configs"
        await pilot.press("full_stop")  # dot files on demand
        await tree_loaded(app, pilot, ws, lambda names: ".git" in names)
        await pilot.press("backspace")  # up, out of the workspace
        await tree_loaded(app, pilot, tmp_path, lambda names: "ckpts" in names)
        await pilot.press("w")
        await tree_loaded(app, pilot, ws)
        # A folder typed into the path field opens there; a file typed there is the answer.
        path_box = picker.query_one("#picker-path", Input)
        path_box.focus()
        path_box.value = str(ckpts)
        await pilot.press("enter")
        await tree_loaded(app, pilot, ckpts, lambda names: names == ["model.json"])
        path_box.focus()
        path_box.value = str(ckpts / "model.json")
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, PathPicker)
        assert app.config.values["model_config"] == str(ckpts / "model.json")


@sync
async def test_path_picker_home_and_relative_inside(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    ws = make_workspace(tmp_path / "ws")
    (ws / "configs").mkdir()
    (ws / "configs" / "m.json").write_text("{}", encoding="utf-8")
    app = make_app(ws, deep_checks=False)
    async with app.run_test(size=SIZE_80) as pilot:
        await settle(app, pilot)
        app.form.focus_field("model_config")
        await pilot.press("ctrl+o")
        await pilot.pause()
        await tree_loaded(app, pilot, ws)
        await pilot.press("tilde")
        await tree_loaded(app, pilot, home, lambda names: True)  # an empty home
        path_box = app.screen.query_one("#picker-path", Input)
        path_box.value = str(ws / "configs" / "m.json")  # absolute, but inside the workspace
        path_box.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert app.config.values["model_config"] == "configs/m.json"
