"""The form driven through Pilot: the real app from the CLI's factory, real files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import Input

from satconf.tui.app import make_app
from satconf.tui.gpu_picker import GpuPicker

from conftest import make_workspace
from tui_support import (
    RECORDER,
    SIZE,
    error_text,
    retype,
    settle,
    sync,
)


@sync
async def test_first_focus_is_name_and_header_shows_workspace(ws: Path) -> None:
    app = make_app(ws, deep_checks=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.focused is app.form.editor("name")
        assert str(ws) in app.sub_title
        assert "(no profile)" in app.title and "modified" not in app.title
        await pilot.press("2")  # typing edits the name at once
        await pilot.pause()
        assert app.config.values["name"] == "stable_audio_tools2"
        assert "--name=stable_audio_tools2" in app.preview.command
        assert app.dirty and "modified" in app.title
        assert app.form.row("name").has_class("-modified")
        from satconf.tui.title_bar import TitleBar

        bar = app.screen.query_one(TitleBar)
        drawn = "".join(s.text for s in bar.render_lines(bar.region.reset_offset))
        assert "● modified" in drawn and "(no profile)" in drawn  # the line redraws on change


@sync
async def test_every_field_has_a_row_with_flag_help_and_default(ws: Path) -> None:
    app = make_app(ws, deep_checks=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.form.complete
        for spec in app.config.fields:
            row = app.form.row(spec.key)
            note = str(row.query_one(f"#note-{row.sid}").render())
            assert spec.flag in str(row.query_one(f"#label-{row.sid}").render())
            assert "default:" in note
            if spec.help:
                assert spec.help.split()[0] in note


@sync
async def test_bad_value_shows_error_blocks_launch_and_fixing_clears(ws: Path) -> None:
    app = make_app(ws, deep_checks=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await retype(pilot, app, "batch_size", "0")
        assert "greater than or equal to 1" in error_text(app, "batch_size")
        assert "batch_size" in app.errors
        assert app.preview.plan is None and app.preview.has_class("-blocked")
        await pilot.press("f5")
        await settle(app, pilot)
        assert app.last_run is None
        assert not (ws / "launched.json").exists()
        assert app.focused is app.form.editor("batch_size")  # sent to the field to fix

        await pilot.press("backspace", "8")
        await pilot.pause()
        assert error_text(app, "batch_size") == ""
        assert app.errors == {}
        assert app.preview.plan is not None
        assert "--batch-size=8" in app.preview.command
        assert not app.preview.has_class("-blocked")


@sync
async def test_text_that_is_not_a_number_is_refused_with_a_message(ws: Path) -> None:
    app = make_app(ws, deep_checks=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await retype(pilot, app, "seed", "")
        assert "not a whole number" in error_text(app, "seed")
        await pilot.press(*"x7")  # the integer input refuses the letter
        await pilot.pause()
        assert app.config.values["seed"] == 7 and error_text(app, "seed") == ""


@sync
async def test_reset_key_restores_the_default(ws: Path) -> None:
    app = make_app(ws, deep_checks=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await retype(pilot, app, "num_workers", "2")
        assert app.form.row("num_workers").has_class("-modified")
        await pilot.press("ctrl+r")
        await pilot.pause()
        default = app.config.fields["num_workers"].default
        assert app.config.values["num_workers"] == default
        assert app.form.editor("num_workers").value == str(default)
        assert not app.form.row("num_workers").has_class("-modified")
        assert not app.dirty


@sync
async def test_gpu_selection_changes_cuda_visible_devices(ws: Path, fake_gpus: Path) -> None:
    app = make_app(ws, deep_checks=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert "CUDA_VISIBLE_DEVICES" not in app.preview.command
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert isinstance(app.screen, GpuPicker)
        await pilot.press("down", "space", "enter")  # tick GPU 1, use it
        await pilot.pause()
        assert app.config.gpus == [1]
        assert app.preview.plan is not None and app.preview.plan.env["CUDA_VISIBLE_DEVICES"] == "1"
        assert "CUDA_VISIBLE_DEVICES=1 " in app.preview.command
        assert app.dirty

        await pilot.press("ctrl+g")
        await pilot.pause()
        ticked = app.screen.query_one("#gpu-ticked")
        assert str(ticked.render()) == "Ticked: GPU 1"  # in words, not by colour alone
        await pilot.press("space")
        await pilot.pause()
        assert str(ticked.render()) == "Ticked: GPU 0, 1"
        await pilot.press("enter")  # GPU 0 as well
        await pilot.pause()
        assert "CUDA_VISIBLE_DEVICES=0,1 " in app.preview.command

        await pilot.press("ctrl+g")
        await pilot.pause()
        await pilot.press("a")  # all visible: the variable is left unset
        await pilot.pause()
        assert app.config.gpus is None and "CUDA_VISIBLE_DEVICES" not in app.preview.command


@sync
async def test_no_driver_is_said_plainly(ws: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "none.json"
    path.write_text(json.dumps({"gpus": [], "error": "No NVIDIA driver found"}))
    monkeypatch.setenv("SATCONF_FAKE_GPUS", str(path))
    app = make_app(ws, deep_checks=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+g")
        await pilot.pause()
        note = str(app.screen.query_one("#gpu-note").render())
        assert "No NVIDIA driver found" in note and "launching still works" in note
        await pilot.press("escape")
        await pilot.pause()
        assert app.config.gpus is None


@sync
async def test_works_at_80x24_without_colour(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(ws, deep_checks=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.no_color
        name = app.form.editor("name")
        assert name.region.width > 20 and name.region.right <= 80
        assert app.preview.region.bottom <= 23  # above the footer
        await retype(pilot, app, "batch_size", "0")
        assert "greater than or equal to 1" in error_text(app, "batch_size")


@sync
async def test_outside_a_checkout_the_demo_opens_and_says_so(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no train.py / defaults.ini here
    app = make_app(None, deep_checks=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.config.workspace.is_demo
        assert "embedded demo workspace" in app.sub_title
        assert any("embedded demo" in n.message for n in app._notifications)
        assert app.focused is app.form.editor("name")
    small = make_app(None, deep_checks=False)
    async with small.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        # at 80x24 a toast would cover the checks and the command; the header names the demo
        assert small.has_class("-short", "-narrow")
        assert not small._notifications
        assert "embedded demo workspace" in small.sub_title


@sync
async def test_path_picker_fills_the_field(ws: Path) -> None:
    from satconf.tui.path_picker import PathPicker

    (ws / "configs").mkdir()
    (ws / "configs" / "other.json").write_text("{}")
    app = make_app(ws, deep_checks=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        key = next(s.key for s in app.config.fields if s.kind.path == "file")
        app.form.focus_field(key)
        await pilot.pause()
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, PathPicker)
        app.screen.query_one("#picker-path", Input).value = "configs/other.json"
        await pilot.click("#picker-use")
        await pilot.pause()
        assert app.config.values[key] == "configs/other.json"
        assert f"{app.config.fields[key].flag}=configs/other.json" in app.preview.command


def test_select_choices_follow_the_environment(ws: Path) -> None:
    from satconf.environment import EnvironmentInfo
    from satconf.runconfig import load_run_config
    from satconf.tui.checking import lightning_choices

    config = load_run_config(ws)
    env = EnvironmentInfo(python="python3", strategies=("ddp", "fsdp", "my_strategy"),
                          precisions=("32-true", "bf16-mixed"))
    choices = lightning_choices(config, env)
    strategy = [s.key for s in config.fields if "ddp" in s.choices]
    precision = [s.key for s in config.fields if "bf16-mixed" in s.choices]
    assert choices[strategy[0]] == ("auto", "ddp", "fsdp", "my_strategy")
    assert choices[precision[0]] == ("32-true", "bf16-mixed")
    assert lightning_choices(config, EnvironmentInfo(python="python3")) == {}


@sync
async def test_keys_a_fork_added_get_rows_of_their_kind(tmp_path: Path) -> None:
    from textual.widgets import Switch

    from conftest import SEED_INI

    extra = ("\n# use EMA weights\nuse_ema = True\n# layer sizes\nlayers = [64, 128]\n"
             "# odd name\nmy.key = 3\n")
    ws = make_workspace(tmp_path / "fork", SEED_INI.read_text() + extra, train_py=RECORDER)
    app = make_app(ws, deep_checks=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.form.complete
        assert isinstance(app.form.editor("use_ema"), Switch)
        assert app.form.ids["my.key"] == "my_key"
        await retype(pilot, app, "layers", "[64, 256]")
        assert app.config.values["layers"] == [64, 256]
        await retype(pilot, app, "layers", "[64,")
        assert "not a Python literal" in error_text(app, "layers")
        assert app.config.values["layers"] == "[64,"  # kept as typed, nothing lost
        await retype(pilot, app, "my.key", "5")
        assert app.config.values["my.key"] == 5


@sync
async def test_gpu_picker_opened_early_fills_in(ws: Path, fake_gpus: Path) -> None:
    app = make_app(ws, deep_checks=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        picker = GpuPicker(None, None)  # what ctrl+g shows while NVML is still being read
        await app.push_screen(picker)
        await settle(app, pilot)
        await pilot.pause()
        assert picker.listing is not None and len(picker.listing.gpus) == 2
        assert len(picker.query("#gpu-list")) == 1


@sync
async def test_clicking_reset_restores_the_default(ws: Path) -> None:
    app = make_app(ws, deep_checks=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await retype(pilot, app, "batch_size", "12")
        note = app.form.row("batch_size").query_one(f"#note-{app.form.ids['batch_size']}")
        text = str(note.render())
        assert text.rstrip().endswith("reset")
        x = text.index("reset", text.index("modified"))
        await pilot.click(note, offset=(note.styles.padding.left + x + 1, 0))
        await pilot.pause()
        assert app.config.values["batch_size"] == app.config.fields["batch_size"].default
        assert not app.form.row("batch_size").has_class("-modified")


@sync
async def test_switch_toggles_with_space_and_says_its_state(ws: Path) -> None:
    from textual.widgets import Switch

    app = make_app(ws, deep_checks=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        key = next(s.key for s in app.config.fields if s.kind.editor == "switch")
        switch = app.form.editor(key)
        assert isinstance(switch, Switch) and "off" in str(switch.render())
        app.form.focus_field(key)
        await pilot.press("space")
        await pilot.pause()
        assert app.config.values[key] is True and "on" in str(switch.render())
        flag = app.config.fields[key].flag  # `--recover` or `--recover=true`, as the INI types it
        assert any(a == flag or a.startswith(flag + "=") for a in app.preview.plan.argv)
        assert app.form.row(key).has_class("-modified")
