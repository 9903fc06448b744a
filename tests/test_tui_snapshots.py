"""Snapshots of the main states of the real app (pytest-textual-snapshot).

Each test first checks the state it is about through the app's own objects,
then compares the picture. Everything shown is fixed: the workspace lives at
one path, the training python is named `python3`, GPUs come from the fake
seam and the run view shows a finished run recorded on disk. The deeper
checks are off so that wording changes in `satconf.checks` do not churn the
pictures (test_tui.py covers them). Update with `pytest --snapshot-update`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from textual.widgets import Input

from satconf.tui.app import SatconfApp, make_app
from satconf.tui.form import FieldInput

from conftest import SEED_INI

SIZE = (100, 32)
WS = Path("/tmp/satconf-snapshots/sat")  # fixed: the header and the preview show it
GPUS = [
    {"index": 0, "name": "NVIDIA A100-SXM4-80GB", "memory_used": 30512, "memory_total": 81920,
     "utilization": 97, "capability": "8.0"},
    {"index": 1, "name": "NVIDIA A100-SXM4-80GB", "memory_used": 3, "memory_total": 81920,
     "utilization": 0, "capability": "8.0"},
    {"index": 2, "name": "NVIDIA GeForce RTX 3090", "memory_used": 250, "memory_total": 24576,
     "utilization": 2, "capability": [8, 6]},
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


def test_form(snap_compare, snap_ws: Path) -> None:
    app = app_for(snap_ws)

    async def before(pilot) -> None:
        await idle(pilot)
        assert app.focused is app.form.editor("name")
        assert app.errors == {}

    assert snap_compare(app, terminal_size=SIZE, run_before=before)


def test_form_with_error(snap_compare, snap_ws: Path) -> None:
    app = app_for(snap_ws)

    async def before(pilot) -> None:
        await idle(pilot)
        app.form.focus_field("batch_size")
        await pilot.pause()
        widget = app.form.editor("batch_size")
        assert isinstance(widget, FieldInput)
        await pilot.press("end", *["backspace"] * len(widget.value), "0")
        await idle(pilot)
        assert list(app.errors) == ["batch_size"]
        assert app.preview.plan is None

    assert snap_compare(app, terminal_size=SIZE, run_before=before)


def test_gpu_picker(snap_compare, snap_ws: Path) -> None:
    app = app_for(snap_ws)

    async def before(pilot) -> None:
        await idle(pilot)
        assert len(app.gpu_listing.gpus) == 3
        await pilot.press("ctrl+g")
        await pilot.pause()
        await pilot.press("down", "space")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=before)


def test_run_view(snap_compare, snap_ws: Path) -> None:
    from satconf.runs.records import RunRecord, log_path, run_dir, write_record
    from satconf.tui.run_view import RunScreen

    run_id = "20260101-120000-abcd"
    folder = run_dir(run_id)
    folder.mkdir(parents=True, exist_ok=True)
    argv = ["python3", "train.py", "--name=stable_audio_tools"]
    record = RunRecord(id=run_id, name="stable_audio_tools", argv=argv, cwd=str(snap_ws),
                       workspace=str(snap_ws), started_at="2026-01-01T12:00:00+00:00",
                       ended_at="2026-01-01T12:03:25+00:00", exit_code=0, pid=None)
    write_record(folder, record)
    # A real train.py log (tqdm redraws with `\r`): the progress line and the loss plot.
    real = Path(__file__).parent / "fixtures" / "train-logs" / "latent-autoencoder-stopped.log"
    log_path(run_id).write_bytes(real.read_bytes())
    lines = real.read_bytes().count(b"\n")
    app = app_for(snap_ws)

    async def before(pilot) -> None:
        await idle(pilot)
        screen = RunScreen(record)
        await app.push_screen(screen)
        for _ in range(100):
            await pilot.pause(0.05)
            if screen.status != "running":
                break
        assert screen.status == "succeeded" and screen.exit_code == 0
        assert screen.lines_seen == lines
        assert screen.progress.step == 104 and len(screen.series["train/loss"].steps) == 104

    assert snap_compare(app, terminal_size=SIZE, run_before=before)
