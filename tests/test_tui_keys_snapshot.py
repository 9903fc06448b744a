"""Snapshots at 80x24 of what issue 15 changed the look of: the help screen, the GPU picker
with a busy GPU ticked, and the form's key bar. Each test checks its state first, through
the app's own objects. Update with `pytest --snapshot-update`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from textual.widgets import Input

from satconf.tui.app import SatconfApp, make_app
from satconf.tui.gpu_picker import GpuPicker
from satconf.tui.help_screen import HelpScreen

from conftest import SEED_INI

SIZE = (80, 24)
WS = Path("/tmp/satconf-snapshots-80/sat")  # fixed: the header and the preview show it
GPUS = [
    {"index": 0, "name": "NVIDIA A100-SXM4-80GB", "memory_used": 30512, "memory_total": 81920,
     "utilization": 97, "capability": "8.0"},
    {"index": 1, "name": "NVIDIA A100-SXM4-80GB", "memory_used": 3, "memory_total": 81920,
     "utilization": 0, "capability": "8.0"},
]


@pytest.fixture
def snap_ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.rmtree(WS, ignore_errors=True)
    WS.mkdir(parents=True)
    shutil.copy(SEED_INI, WS / "defaults.ini")
    (WS / "train.py").write_text("print('training')\n", encoding="utf-8")
    gpus = tmp_path / "gpus.json"
    gpus.write_text(json.dumps(GPUS), encoding="utf-8")
    monkeypatch.setenv("SATCONF_FAKE_GPUS", str(gpus))
    return WS


def app_for(ws: Path) -> SatconfApp:
    return make_app(ws, deep_checks=False, python="python3")


async def idle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    for widget in pilot.app.query(Input):
        widget.cursor_blink = False  # a blinking cursor would make pictures differ
    await pilot.pause()


def test_help_screen_80x24(snap_compare, snap_ws: Path) -> None:
    app = app_for(snap_ws)

    async def before(pilot) -> None:
        await idle(pilot)
        app.form.focus_field("recover")  # not a text field: ? opens the help
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)

    assert snap_compare(app, terminal_size=SIZE, run_before=before)


def test_gpu_picker_busy_ticked_80x24(snap_compare, snap_ws: Path) -> None:
    app = app_for(snap_ws)

    async def before(pilot) -> None:
        await idle(pilot)
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert isinstance(app.screen, GpuPicker)
        await pilot.press("space")  # GPU 0, the busy one
        await pilot.pause()
        assert "GPU 0" in str(app.screen.query_one("#gpu-warning").render())

    assert snap_compare(app, terminal_size=SIZE, run_before=before)


def test_form_key_bar_80x24(snap_compare, snap_ws: Path) -> None:
    app = app_for(snap_ws)

    async def before(pilot) -> None:
        await idle(pilot)
        from satconf.tui.footer import KeyFooter

        shown = [k.key for k in app.screen.query_one(KeyFooter).query("FooterKey")]
        assert shown[:3] == ["f5", "f1", "ctrl+q"]

    assert snap_compare(app, terminal_size=SIZE, run_before=before)
