"""The key table (tui/keys.py), the help screen and the footer, on the real app at 80x24.

Issue 15 items 1-3: no app key may be one a focused editor swallows (`ctrl+k` deleted
to the end of the field), `F1`/`?` list the current screen's keys and `esc` closes the
list, and the footer fits 80 columns with the most important keys first.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import Input, Select, Switch, TextArea
from textual.widgets._footer import FooterKey

from satconf.tui.app import SatconfApp, make_app
from satconf.tui.footer import KeyFooter
from satconf.tui.gpu_picker import GpuPicker
from satconf.tui.help_screen import HelpScreen, render_rows
from satconf.tui.keys import BY_ID, KEYS, bindings
from satconf.tui.profiles_screen import ProfilesScreen

from conftest import make_workspace
from tui_support import settle, sync

SIZE_80 = (80, 24)
EDITORS = (Input, Select, Switch, TextArea)


def owned_keys(widget_class: type) -> set[str]:
    """Every key a widget class binds, through its whole class hierarchy."""
    keys: set[str] = set()
    for klass in widget_class.__mro__:
        for binding in klass.__dict__.get("BINDINGS", []):
            key = binding[0] if isinstance(binding, tuple) else binding.key
            keys.update(k.strip() for k in key.split(","))
    return keys


def test_no_app_or_form_key_is_owned_by_an_editor() -> None:
    editor_keys = set().union(*(owned_keys(cls) for cls in EDITORS))
    assert "ctrl+k" in editor_keys and "ctrl+y" in editor_keys  # the old recheck and copy keys
    for spec in KEYS:
        if spec.owner not in ("app", "form", "textual"):
            continue
        for key in spec.keys:
            if key == "question_mark":
                continue  # printable on purpose: a text field types it, elsewhere it is help
            assert key not in editor_keys, (spec.id, key)


def test_the_table_is_the_bindings() -> None:
    assert [b.id for b in SatconfApp.BINDINGS] == [s.id for s in KEYS if s.owner == "app"]
    assert {b.id for b in ProfilesScreen.BINDINGS} == {s.id for s in KEYS
                                                       if s.owner == "profiles"}
    assert [b.key for b in bindings("gpus")] == ["enter", "a", "escape"]
    assert len(BY_ID) == len(KEYS)  # ids are unique


def form_app(tmp_path: Path) -> SatconfApp:
    ws = make_workspace(tmp_path / "ws", train_py="print('hi')\n")
    return make_app(ws, deep_checks=True, probe_env=False)


async def until(app: SatconfApp, pilot, condition) -> None:
    """Let timers, workers and their messages run until `condition()` holds (bounded)."""
    for _ in range(200):
        await app.workers.wait_for_complete()
        await pilot.pause(0.02)  # the checks start from a debounce timer
        if condition():
            return
    raise AssertionError("the condition never held")


def editor_value(widget: object) -> object:
    return getattr(widget, "value", None)


@pytest.mark.parametrize(("key", "kind"), [("name", Input), ("strategy", Select),
                                           ("recover", Switch)])
@sync
async def test_every_app_key_works_with_focus_in_each_editor(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str, kind: type) -> None:
    for var in ("TMUX", "STY", "TERM_PROGRAM", "VTE_VERSION"):
        monkeypatch.delenv(var, raising=False)  # the copy should not need the by-hand dialog
    app = form_app(tmp_path)
    async with app.run_test(size=SIZE_80) as pilot:
        await settle(app, pilot)
        app.form.focus_field(key)
        await pilot.pause()
        editor = app.focused
        assert isinstance(editor, kind), editor
        before = editor_value(editor)

        async def opens(press: str, screen_type: type) -> None:
            await pilot.press(press)
            await pilot.pause()
            assert isinstance(app.screen, screen_type), (press, app.screen)
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is app.screen_stack[0] and app.focused is editor

        await opens("f1", HelpScreen)
        await opens("ctrl+g", GpuPicker)
        await opens("f2", ProfilesScreen)
        from satconf.tui.dialogs import NamePrompt

        await opens("ctrl+s", NamePrompt)  # no profile yet: the save asks for a name

        await pilot.press("ctrl+t")
        await pilot.pause()
        assert app.clipboard == app.preview.command != ""

        # ctrl+l re-runs the checks: a file that appears is seen only by a new run.
        def missing() -> bool:
            return any(f.field == "model_config" and "does not exist" in f.message
                       for f in app.findings)

        app.form.set_value("model_config", "model.json")
        await until(app, pilot, missing)
        (app.config.workspace.root / "model.json").write_text("{}", encoding="utf-8")
        editor.focus()
        await pilot.pause()
        await pilot.press("ctrl+l")
        await until(app, pilot, lambda: not missing())

        await pilot.press("f5")  # launch: checks first, then the run view or a refusal
        await pilot.pause()
        assert any("launch" in n.message.lower() or "check" in n.message.lower()
                   for n in app._notifications) or len(app.screen_stack) > 1
        while len(app.screen_stack) > 1:
            await pilot.press("escape")
            await pilot.pause()
        editor.focus()
        await pilot.pause()
        assert editor_value(editor) == before  # no key went into the field
        await pilot.press("ctrl+q")  # quit: the form was edited, so it asks first
        await pilot.pause()
        from satconf.tui.dialogs import UnsavedChangesScreen

        assert isinstance(app.screen, UnsavedChangesScreen)
        await pilot.press("d")
        await pilot.pause()
    assert app.return_code == 0


@sync
async def test_question_mark_is_help_outside_text_fields_and_text_inside(tmp_path: Path) -> None:
    app = make_app(make_workspace(tmp_path / "ws"), deep_checks=False)
    async with app.run_test(size=SIZE_80) as pilot:
        await settle(app, pilot)
        app.form.focus_field("name")
        await pilot.pause()
        name = app.focused
        assert isinstance(name, Input)
        before = name.value
        await pilot.press("question_mark")
        await pilot.pause()
        assert name.value == before + "?" and not isinstance(app.screen, HelpScreen)
        app.form.focus_field("recover")
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


@sync
async def test_help_lists_the_keys_active_on_its_screen(tmp_path: Path) -> None:
    app = make_app(make_workspace(tmp_path / "ws"), deep_checks=False)
    async with app.run_test(size=SIZE_80) as pilot:
        await settle(app, pilot)
        app.form.focus_field("name")
        await pilot.press("f1")
        await pilot.pause()
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen) and help_screen.where == "the form"
        shown = {row.keys: row for row in help_screen.rows}
        for key in ("f5", "^s", "^g", "^l", "^t", "f2", "^q", "^p", "^r"):
            assert key in shown, key
        assert shown["^k"].section == "in the focused FieldInput"  # the field's own key
        assert help_screen.rows[0].keys == "f5"  # the footer's first key leads here too
        console = Console(width=76, file=io.StringIO(), record=True)
        console.print(render_rows(help_screen.rows))
        text = console.export_text()
        assert re.search(r"\^l +run the preflight checks again now", text)
        assert "in the focused FieldInput" in text
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("f2")
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert isinstance(app.screen, ProfilesScreen)
        await pilot.press("question_mark")  # no text field here: ? is help
        await pilot.pause()
        panel_help = app.screen
        assert isinstance(panel_help, HelpScreen) and panel_help.where == "profiles panel"
        keys = {row.keys for row in panel_help.rows}
        assert {"esc / q", "a", "r", "c", "del / d", "⏎"} <= keys
        assert "f5" not in keys  # the form's keys do not act here, so they are not listed
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ProfilesScreen)


def footer_keys(screen) -> list[FooterKey]:
    return list(screen.query_one(KeyFooter).query(FooterKey))


@sync
async def test_footer_fits_80_columns_most_important_first(tmp_path: Path) -> None:
    app = make_app(make_workspace(tmp_path / "ws"), deep_checks=False)
    async with app.run_test(size=SIZE_80) as pilot:
        await settle(app, pilot)
        for key in ("name", "recover", "strategy", "model_config"):
            app.form.focus_field(key)
            await pilot.pause()
            await pilot.pause()
            keys = footer_keys(app.screen)
            assert [k.key for k in keys[:3]] == ["f5", "f1", "ctrl+q"], key
            assert {"ctrl+l", "ctrl+s", "ctrl+g"} <= {k.key for k in keys}
            assert max(k.region.right for k in keys) <= 80
            assert all(k.region.width == k.get_content_width(app.size, app.size)
                       for k in keys)  # whole entries, none cut
        await pilot.press("f2")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        keys = footer_keys(app.screen)
        assert [k.key for k in keys[:2]] == ["enter", "escape"]
        assert {"a", "r", "c", "delete"} <= {k.key for k in keys}
        assert max(k.region.right for k in keys) <= 80


@sync
async def test_footer_drops_the_least_important_keys_when_narrow(tmp_path: Path) -> None:
    app = make_app(make_workspace(tmp_path / "ws"), deep_checks=False)
    async with app.run_test(size=(40, 24)) as pilot:
        await settle(app, pilot)
        await pilot.pause()
        keys = footer_keys(app.screen)
        assert keys[0].key == "f5" and max(k.region.right for k in keys) <= 40
        assert "f2" not in {k.key for k in keys}  # rank 9: in the help screen instead
