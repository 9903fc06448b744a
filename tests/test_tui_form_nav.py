"""Finding and moving in the form as a keyboard user does: arrows, filter, modified only,
reset all, the checks panel, the whole command, and where a field's error shows."""

from __future__ import annotations

from pathlib import Path

from satconf.profiles import Profile, ProfileStore
from satconf.tui.app import make_app

from tui_support import checked, retype, settle, sync

SMALL = (80, 24)


@sync
async def test_arrows_move_between_fields_and_skip_group_headers(ws: Path) -> None:
    app = make_app(ws, deep_checks=False)
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        assert app.form.focused_key() == "name"
        order = app.form.visible_keys()
        await pilot.press("down")
        assert app.form.focused_key() == order[1]
        await pilot.press("down", "down")
        assert app.form.focused_key() == order[3]  # across the "Training" header
        await pilot.press("up")
        assert app.form.focused_key() == order[2]
        await pilot.press("tab")  # Tab too: a header is no stop
        assert app.form.focused_key() == order[3]
        row = app.form.row(order[3])
        assert row.has_pseudo_class("focus-within")  # drawn as a bar, flag in reverse


@sync
async def test_a_click_on_a_group_title_folds_it_and_the_arrows_skip_its_rows(ws: Path) -> None:
    from satconf.tui.field_group import GroupTitle

    app = make_app(ws, deep_checks=False)
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        training = [s.key for s in app.state.fields if s.group == "Training"]
        title = next(t for t in app.form.query(GroupTitle) if t.group == "Training")
        assert not title.can_focus  # no Tab stop
        await pilot.click(title)
        await pilot.pause()
        assert "▶ Training" in str(title.render())
        assert not any(app.form.row(k).display for k in training)
        order = app.form.visible_keys()
        assert not set(training) & set(order)
        app.form.focus_field(order[1])  # the last row above the folded group
        await pilot.press("down")
        assert app.form.focused_key() == order[2]  # straight past the folded rows
        app.form.focus_field(training[0])  # "Go to field" opens the group again
        await pilot.pause()
        assert "▼ Training" in str(title.render())
        assert all(app.form.row(k).display for k in training)
        assert app.form.focused_key() == training[0]
        await pilot.click(title)
        await pilot.click(title)  # and a second click opens it
        await pilot.pause()
        assert all(app.form.row(k).display for k in training)


@sync
async def test_a_select_leaves_the_arrows_to_the_form(ws: Path) -> None:
    from textual.widgets import Select

    app = make_app(ws, deep_checks=False)
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        order = app.form.visible_keys()
        key = next(k for k in order if app.state.fields[k].choices)
        app.form.focus_field(key)
        await pilot.press("down")
        assert app.form.focused_key() == order[order.index(key) + 1]
        app.form.focus_field(key)
        await pilot.press("enter")  # enter opens the list, as before
        assert isinstance(app.form.editor(key), Select) and app.form.editor(key).expanded


@sync
async def test_filter_finds_fields_by_flag_or_help(ws: Path) -> None:
    app = make_app(ws, deep_checks=False)
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+f", *"checkpoint file")
        await pilot.pause()
        shown = app.form.visible_keys()
        assert shown and "ckpt_path" in shown and "batch_size" not in shown
        assert not app.form.row("batch_size").display
        await pilot.press("enter")
        assert app.form.focused_key() == shown[0]
        await pilot.press("escape")
        await pilot.pause()
        assert "batch_size" in app.form.visible_keys() and app.form.row("batch_size").display


@sync
async def test_go_to_field_from_the_palette(ws: Path) -> None:
    app = make_app(ws, deep_checks=False)
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"go to field --seed")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert app.form.focused_key() == "seed"


@sync
async def test_modified_only_and_reset_all(ws: Path) -> None:
    from satconf.tui.dialogs import ConfirmScreen

    app = make_app(ws, deep_checks=False)
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        await retype(pilot, app, "batch_size", "9")
        await retype(pilot, app, "seed", "7")
        await pilot.press("f9")
        await pilot.pause()
        assert app.form.visible_keys() == ["batch_size", "seed"]
        await pilot.press("f9")
        await pilot.pause()
        assert len(app.form.visible_keys()) > 2
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(app, pilot)
        assert app.config.values["batch_size"] == app.config.fields["batch_size"].default
        assert app.config.values["seed"] == app.config.fields["seed"].default
        assert not app.dirty


@sync
async def test_checks_panel_is_one_key_away_and_counts_field_errors(ws: Path) -> None:
    app = make_app(ws, deep_checks=True, probe_env=False)
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        await pilot.press("f8")
        assert app.findings_panel.has_focus
        await pilot.press("f8")
        assert app.form.focused_key() is not None
        await retype(pilot, app, "batch_size", "0")  # below the schema's minimum
        for _ in range(40):
            await pilot.pause(0.05)
        await settle(app, pilot)
        assert app.findings_panel.error_count >= 1  # never "0 errors" beside a red field
        assert any(f.field == "batch_size" for f in app.findings_panel.findings)


@sync
async def test_a_fields_error_sits_right_under_its_value(ws: Path) -> None:
    app = make_app(ws, deep_checks=False)
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        await retype(pilot, app, "batch_size", "abc")
        await pilot.pause()
        row = app.form.row("batch_size")
        error = row.query_one(f"#err-{app.form.ids['batch_size']}")
        editor = app.form.editor("batch_size")
        assert error.region.y == editor.region.y + 1
        assert "not a whole number" in str(error.render())


@sync
async def test_a_long_command_says_it_is_cut_and_opens_in_full(ws: Path) -> None:
    from satconf.tui.command_screen import CommandScreen

    ProfileStore().save(Profile(name="big", workspace=str(ws), values={"num_nodes": 2},
                                options={"cluster": {"engine": "slurm", "gpus_per_node": 8}}))
    app = make_app(ws, profile="big", deep_checks=False)
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        await pilot.pause()
        assert app.preview.has_class("-cut")
        assert "f4 shows all" in str(app.preview.render())
        await pilot.press("f4")
        await pilot.pause()
        assert isinstance(app.screen, CommandScreen)
        assert "#SBATCH --nodes=2" in app.screen.text and "srun " in app.screen.text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, CommandScreen)


@sync
async def test_the_checks_do_not_wait_for_typing_at_start(launch_ws: Path) -> None:
    app = make_app(launch_ws)
    async with app.run_test(size=SMALL) as pilot:
        await checked(app, pilot)
        assert "waiting for the first pause" not in str(
            app.findings_panel.query_one("#findings-text").render())


@sync
async def test_the_rows_built_before_the_first_frame_fill_the_form(ws: Path) -> None:
    """The first frame holds the rows composed with the form (the rest come right after
    it): at each terminal size they must reach the bottom of the form, so no frame shows
    a gap, and not many more than that are built before it."""
    for width, height in ((80, 24), (100, 32), (200, 50)):
        app = make_app(ws, deep_checks=False)
        async with app.run_test(size=(width, height)) as pilot:
            await settle(app, pilot)
            form = app.form
            first = form.first_frame_keys
            assert first and len(first) < len(form.fields), (width, height)
            bottom = max(form.row(k).region.bottom for k in first)
            assert bottom >= form.region.bottom, (width, height, len(first))
