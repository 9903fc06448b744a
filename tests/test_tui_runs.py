"""Pilot tests of the runs screen and the run view's progress line and plot, on real runs
(real supervisor, the real demo trainer for the live progress)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from satconf.command import LaunchPlan
from satconf.runs import list_runs, load_run, run_dir, run_status, start_plan, stop_run
from satconf.runs.metrics import append_rows
from satconf.runs.progress import MetricRow
from satconf.runs.records import RunRecord, write_record
from satconf.tui.app import make_app

from conftest import make_workspace
from tui_support import sync, until

SIZE = (120, 30)
TRAINERS = Path(__file__).parent / "fixtures" / "trainers"


@pytest.fixture(autouse=True)
def no_leftover_runs(satconf_home: Path) -> Iterator[None]:
    yield
    for record in list_runs():
        if run_status(record) == "running":
            stop_run(record.id, grace=(0.5, 0.5))


def ended_record(run_id: str, engine: str, exit_code: int, *, stopped: bool = False,
                 values: dict | None = None, gpus: list[int] | None = None,
                 loss: float | None = None) -> RunRecord:
    from satconf.runs.records import StopStep

    folder = run_dir(run_id)
    folder.mkdir(parents=True)
    record = RunRecord(id=run_id, engine=engine, name=f"{engine}-{exit_code}", profile="p1",
                       values=values or {"batch_size": 4}, gpus=gpus, exit_code=exit_code,
                       started_at="2026-01-01T12:00:00+00:00",
                       ended_at="2026-01-01T13:02:03+00:00",
                       stop_steps=[StopStep("SIGINT", "2026-01-01T13:00:00+00:00")] if stopped
                       else [], job_id="42" if engine == "slurm" else None)
    write_record(folder, record)
    (folder / "train.log").write_text("done\n")
    if loss is not None:
        append_rows(folder, [MetricRow(step=120, epoch=3, batch=8, total=40, rate=2.5,
                                       elapsed_s=3.0, metrics={"train/loss": loss}, time=0.0)])
    return record


def stalled_run(tmp_path: Path) -> str:
    plan = LaunchPlan(argv=(sys.executable, str(TRAINERS / "stalled.py")), cwd=str(tmp_path))
    return start_plan(plan, values={"name": "live-one"}).id


def table_rows(screen) -> dict[str, list[str]]:
    from textual.widgets import DataTable

    table = screen.query_one(DataTable)
    return {str(key.value): [str(c) for c in table.get_row(key)] for key in table.rows}


async def open_runs(app, pilot):
    from satconf.tui.runs_screen import RunsScreen

    await pilot.pause()
    await pilot.press("f3")
    await until(lambda: isinstance(app.screen, RunsScreen) and app.screen.loaded, "the runs")
    return app.screen


@sync
async def test_runs_screen_lists_opens_filters_stops_diffs_deletes(tmp_path: Path) -> None:
    from satconf.tui.run_view import RunScreen
    from satconf.tui.runs_screen import DiffScreen

    ws = make_workspace(tmp_path / "ws")
    ended_record("20260101-120000-aaaa", "local", 0, loss=0.25, gpus=[0, 1],
                 values={"batch_size": 4, "name": "a"})
    ended_record("20260101-120001-bbbb", "torchrun", 1, values={"batch_size": 8, "name": "b"})
    ended_record("20260101-120002-cccc", "slurm", 0, stopped=True)
    live = stalled_run(tmp_path)
    ckpt = tmp_path / "checkpoints" / "epoch=0-step=1.ckpt"
    ckpt.parent.mkdir()
    ckpt.write_bytes(b"weights")
    app = make_app(ws, deep_checks=False, probe_env=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_runs(app, pilot)
        rows = table_rows(screen)
        # status, name, epoch/step, loss, it/s, elapsed, engine, GPUs, profile, started
        assert rows[live][:2] == ["running", "live-one"] and rows[live][6:9] == [
            "local", "all", "-"]
        a = rows["20260101-120000-aaaa"]
        assert a[:9] == ["succeeded", "local-0", "3/120", "0.25", "2.50", "1:02:03", "local",
                         "0,1", "p1"]
        assert rows["20260101-120001-bbbb"][0] == "failed"
        assert rows["20260101-120001-bbbb"][6] == "torchrun"
        assert rows["20260101-120002-cccc"][0] == "stopped"
        assert rows["20260101-120002-cccc"][6] == "slurm"

        # `/` filters on any column.
        await pilot.press("slash", *"torch")
        await until(lambda: list(table_rows(screen)) == ["20260101-120001-bbbb"], "the filter")
        await pilot.press("escape")
        await until(lambda: len(table_rows(screen)) == 4, "the filter cleared")

        # Diff: mark a, then diff against b under the cursor.
        ids = list(table_rows(screen))
        screen.query_one("#runs-table").move_cursor(row=ids.index("20260101-120000-aaaa"))
        await pilot.press("space")
        await until(lambda: table_rows(screen)["20260101-120000-aaaa"][0] == "▶1 succeeded",
                    "the mark")
        screen.query_one("#runs-table").move_cursor(row=ids.index("20260101-120001-bbbb"))
        await pilot.press("d")
        await until(lambda: isinstance(app.screen, DiffScreen), "the diff")
        text = str(app.screen.query_one("#diff-text").render())
        assert "batch_size: 4 -> 8" in text and "engine: local -> torchrun" in text
        assert "GPUs: [0, 1] -> -" in text and "name: a -> b" in text
        await pilot.press("escape")

        # Enter opens the run view of the row under the cursor.
        screen.query_one("#runs-table").move_cursor(row=list(table_rows(screen)).index(live))
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, RunScreen), "the run view")
        assert app.screen.record.id == live
        await until(lambda: app.screen.progress is not None and app.screen.progress.step == 1,
                    "the live run's progress")
        await pilot.press("escape")
        await until(lambda: app.screen is screen, "back on the runs screen")

        # Stop asks first: "no" keeps it running, "yes" stops it.
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        assert run_status(load_run(live)) == "running"
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("y")
        await until(lambda: run_status(load_run(live)) == "stopped", "the stop")
        await until(lambda: table_rows(screen)[live][0] == "stopped", "the row to say so")

        # Delete asks, removes the record, never the checkpoints.
        ids = list(table_rows(screen))
        screen.query_one("#runs-table").move_cursor(row=ids.index("20260101-120001-bbbb"))
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("y")
        await until(lambda: "20260101-120001-bbbb" not in table_rows(screen), "the delete")
        assert not run_dir("20260101-120001-bbbb").exists()
        assert ckpt.read_bytes() == b"weights"


@sync
async def test_a_reopened_form_finds_the_running_run(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    first = make_app(ws, deep_checks=False, probe_env=False)
    async with first.run_test(size=SIZE) as pilot:
        await pilot.pause()
        live = stalled_run(tmp_path)  # started while this form is open; then it quits
    assert run_status(load_run(live)) == "running"
    again = make_app(ws, deep_checks=False, probe_env=False)
    async with again.run_test(size=SIZE) as pilot:
        screen = await open_runs(again, pilot)
        assert table_rows(screen)[live][:2] == ["running", "live-one"]


@pytest.mark.slow
@sync
async def test_progress_line_and_plot_follow_a_demo_run(tmp_path: Path, run_satconf) -> None:
    from satconf.tui.plot import MetricPlot
    from satconf.tui.run_view import RunScreen

    demo = tmp_path / "demo"
    assert run_satconf("demo", "init", str(demo)).returncode == 0
    out = run_satconf("launch", "--workspace", str(demo), "--json", "--set", "max_steps=60",
                      "--set", "checkpoint_every=20", "--set", "num_workers=1")
    assert out.returncode == 0, out.stderr
    run_id = json.loads(out.stdout)["run_id"]
    app = make_app(demo, deep_checks=False, probe_env=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = RunScreen(load_run(run_id))
        await app.push_screen(screen)
        progress = screen.query_one("#run-progress")
        await until(lambda: screen.progress is not None and (screen.progress.step or 0) >= 1,
                    "the first step in the progress line")
        first_step = screen.progress.step
        first_line = str(progress.render())
        assert f"step {first_step} " in first_line and "epoch 0" in first_line
        await until(lambda: (screen.progress.step or 0) >= first_step + 5 or
                    screen.status != "running", "more steps")
        assert screen.status == "running" or screen.progress.step == 60
        later = str(progress.render())
        assert later != first_line and "train/loss" in later and "it/s" in later
        await until(lambda: screen.status != "running", "the end of the run")
        plot = screen.query_one(MetricPlot)
        assert plot.metric == "train/loss"
        assert plot.series.steps[-1] == 60 and len(plot.series.steps) >= 30
        assert "train/loss · steps" in str(plot.render())
        assert screen.status == "succeeded"
        assert screen.lines_seen == log_lines(run_id)
        # `c` lists the run's checkpoints with step and size (enter would resume from one).
        from satconf.tui.checkpoint_picker import CheckpointPicker

        await pilot.press("c")
        await until(lambda: isinstance(app.screen, CheckpointPicker), "the checkpoints")
        listed = app.screen.lines
        steps = [int(line.split()[1]) for line in listed]
        assert steps == [60, 40, 20] and "MB" in listed[0]
        assert "epoch=0-step=60.ckpt" in listed[0]


def log_lines(run_id: str) -> int:
    data = (run_dir(run_id) / "train.log").read_bytes()
    return data.count(b"\n") + (0 if data.endswith(b"\n") else 1)


@sync
async def test_the_form_shows_a_runs_alerts_once(tmp_path: Path) -> None:
    """A NaN loss and the end of a run started elsewhere come to the open form as toasts;
    an alert from before the form opened does not."""
    from satconf.runs.alerts import Alert, append_event

    old = ended_record("20260101-120000-aaaa", "local", 1)
    append_event(run_dir(old.id), Alert(kind="failed", run_id=old.id, message="old", at=0.0))
    ws = make_workspace(tmp_path / "ws")
    app = make_app(ws, deep_checks=False, probe_env=False)
    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: getattr(app, "alert_watch", None) is not None, "the alert watch")
        await pilot.pause(0.5)
        plan = LaunchPlan(argv=(sys.executable, str(TRAINERS / "nan_loss.py")),
                          cwd=str(tmp_path))
        run_id = start_plan(plan, values={"name": "nan-run"}).id
        await until(lambda: len(app.alert_watch.shown) >= 2, "the nan and end alerts")
        await pilot.pause(2.5)  # another scan or two: nothing is shown twice
        shown = app.alert_watch.shown
        assert [(a.kind, a.run_id) for a in shown] == [("nan", run_id), ("ended", run_id)]
        assert shown[0].message == "train/loss is nan at step 3"
        assert any("train/loss is nan" in n.message for n in app._notifications)
