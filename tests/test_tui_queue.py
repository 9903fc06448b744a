"""Pilot tests of the form's Queue action and the queue screen (real queue database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from queue_support import fast_workspace, present_gpus
from satconf.queue.store import QueueStore
from satconf.tui.app import make_app
from satconf.tui.queue_screen import QueueScreen

from tui_support import sync, until


@sync
async def test_queue_from_the_form_then_cancel_on_the_queue_screen(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SATCONF_FAKE_GPUS", str(present_gpus(tmp_path / "gpus.json")))
    ws = fast_workspace(tmp_path / "ws")
    store = QueueStore()
    store.set_setting("paused", "1")  # nothing starts: the screen shows it waiting
    app = make_app(ws, deep_checks=False, probe_env=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.action_queue_run()
        await until(lambda: any("Queued as" in n.message for n in app._notifications),
                    "the queued notice")
        (entry,) = store.entries()
        assert entry.state == "queued" and entry.request.count == 1
        app.action_open_queue()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        table = screen.query_one("#queue-table")
        await until(lambda: table.row_count == 1, "the queued row")
        assert table.get_row_at(0)[1] == "queued #1"
        await pilot.press("c")
        await until(lambda: table.row_count == 0, "the row to go")
        assert store.get(entry.id).state == "cancelled"
        await pilot.press("escape")
        assert not isinstance(app.screen, QueueScreen)


@sync
async def test_the_form_refuses_to_queue_a_gpu_that_does_not_exist(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SATCONF_FAKE_GPUS", str(present_gpus(tmp_path / "gpus.json")))
    ws = fast_workspace(tmp_path / "ws")
    app = make_app(ws, deep_checks=False, probe_env=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.set_gpus([5])
        await pilot.pause()
        app.action_queue_run()
        await until(lambda: any("GPU 5 does not exist" in n.message
                                for n in app._notifications), "the refusal")
        assert QueueStore().entries() == []


@sync
async def test_the_sweep_dialog_counts_runs_and_queues_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from textual.widgets import Button, Input, Static

    from satconf.tui.sweep_dialog import SweepDialog

    monkeypatch.setenv("SATCONF_FAKE_GPUS", str(present_gpus(tmp_path / "gpus.json")))
    ws = fast_workspace(tmp_path / "ws")
    store = QueueStore()
    store.set_setting("paused", "1")
    app = make_app(ws, deep_checks=False, probe_env=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.action_open_sweep()
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, SweepDialog)
        dialog.query_one("#sweep-batch_size", Input).value = "4,8"
        dialog.query_one("#sweep-seed", Input).value = "1,2,3"
        await pilot.pause()
        assert str(dialog.query_one("#sweep-count", Static).render()) == "6 runs"
        dialog.query_one("#sweep-model_config", Input).value = "configs/model.json,nope.json"
        await pilot.pause()
        assert str(dialog.query_one("#sweep-count", Static).render()) == "12 runs"
        dialog.query_one("#sweep-submit", Button).press()
        error = dialog.query_one("#sweep-error", Static)
        await until(lambda: "nothing was queued" in str(error.render()), "the refusal")
        assert store.entries() == []  # one bad run: the sweep is refused whole
        dialog.query_one("#sweep-model_config", Input).value = ""
        await pilot.pause()
        dialog.query_one("#sweep-submit", Button).press()
        await until(lambda: not isinstance(app.screen, SweepDialog), "the dialog to close")
        assert any("6 runs to the queue" in n.message for n in app._notifications)
    entries = store.entries()
    assert len(entries) == 6 and {e.sweep_id for e in entries} != {None}
    assert [e.spec["values"]["seed"] for e in entries] == [1, 2, 3, 1, 2, 3]
