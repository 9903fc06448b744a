"""metrics.jsonl: appended by the real supervisor while a run goes on, rebuilt from the log,
read by `satconf runs show` and exported by `satconf runs metrics`."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from satconf.command import LaunchPlan
from satconf.runs import list_runs, load_run, run_dir, run_status, start_plan, stop_run
from satconf.runs.metrics import (
    METRICS,
    append_rows,
    iter_from_log,
    iter_stored,
    latest_of,
    latest_row,
    rebuild,
    to_csv,
)
from satconf.runs.progress import MetricRow

from conftest import wait_for

HERE = Path(__file__).parent
LOGS = HERE / "fixtures" / "train-logs"
TRAINERS = HERE / "fixtures" / "trainers"


@pytest.fixture(autouse=True)
def no_leftover_runs(satconf_home: Path) -> Iterator[None]:
    yield
    for record in list_runs():
        if run_status(record) == "running":
            stop_run(record.id, grace=(0.5, 0.5))


def replay(tmp_path: Path, log: str, gate: Path | None = None) -> str:
    argv = [sys.executable, str(TRAINERS / "replay.py"), str(LOGS / log)]
    record = start_plan(LaunchPlan(argv=tuple(argv + ([str(gate)] if gate else [])),
                                   cwd=str(tmp_path)), values={"name": "replayed"})
    return record.id


def test_supervisor_appends_rows_while_the_run_goes_on(tmp_path: Path) -> None:
    gate = tmp_path / "go"
    run_id = replay(tmp_path, "autoencoder-stopped.log", gate)
    folder = run_dir(run_id)
    wait_for(lambda: len(list(iter_stored(folder))) >= 3, "rows from the first half")
    live = list(iter_stored(folder))
    assert run_status(load_run(run_id)) == "running"
    assert [r.step for r in live] == list(range(1, len(live) + 1))
    gate.touch()
    wait_for(lambda: run_status(load_run(run_id)) != "running", "the end of the run")
    # The watcher reads the log's last bars just after the exit code is recorded.
    wait_for(lambda: len(list(iter_stored(folder))) >= 27, "the last rows")
    stored = list(iter_stored(folder))
    from_log = list(iter_from_log(folder / "train.log"))
    assert [r.step for r in stored] == list(range(1, 28))
    assert [(r.step, r.metrics) for r in stored] == [(r.step, r.metrics) for r in from_log]
    assert stored[-1].metrics["train/loss"] == 4.11
    # The log is exactly what the training wrote: the watcher only reads it.
    assert (folder / "train.log").read_bytes() == (LOGS / "autoencoder-stopped.log").read_bytes()
    assert load_run(run_id).exit_code == 0


def test_rebuild_and_latest(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "train.log").write_bytes((LOGS / "latent-autoencoder-stopped.log").read_bytes())
    assert latest_row(folder) is None
    assert latest_of(folder).step == 104  # no file: read from the log
    assert rebuild(folder) == 104
    assert latest_row(folder).metrics["train/loss"] == 0.738
    # A torn last line (a write in progress) and a foreign line are skipped.
    with open(folder / METRICS, "a") as f:
        f.write('not json\n{"step": 200, "metr')
    assert latest_row(folder).step == 104
    assert len(list(iter_stored(folder))) == 104
    assert rebuild(folder) == 104 and len(list(iter_stored(folder))) == 104


def test_nan_survives_the_file_and_csv(tmp_path: Path) -> None:
    row = MetricRow(step=3, epoch=0, batch=3, total=4, rate=1.0, elapsed_s=3.0,
                    metrics={"train/loss": float("nan"), "train/x": 1.5}, time=1.0)
    append_rows(tmp_path, [row])
    json.loads((tmp_path / METRICS).read_text())  # strict JSON: no bare NaN
    back = latest_row(tmp_path)
    assert back.metrics["train/x"] == 1.5 and str(back.metrics["train/loss"]) == "nan"
    table = list(csv.reader(io.StringIO(to_csv([back]))))
    assert table[0][-2:] == ["train/loss", "train/x"] and table[1][-2:] == ["nan", "1.5"]


def test_cli_show_and_metrics_export(tmp_path: Path, run_satconf) -> None:
    run_id = replay(tmp_path, "autoencoder-recover.log")
    wait_for(lambda: run_status(load_run(run_id)) != "running", "the end of the run")
    show = run_satconf("runs", "show", run_id)
    assert show.returncode == 0, show.stderr
    assert "progress  step 12, epoch 2 (4/4)" in show.stdout
    assert "metric    train/loss = 3.92" in show.stdout
    assert "metric    train/gen_lr = 1.2e-06" in show.stdout
    shown = json.loads(run_satconf("runs", "show", run_id, "--json").stdout)
    assert shown["latest"]["step"] == 12 and shown["latest"]["metrics"]["train/loss"] == 3.92
    rows = json.loads(run_satconf("runs", "metrics", run_id, "--json").stdout)
    assert [r["step"] for r in rows] == [6, 7, 8, 9, 10, 11, 12]
    assert rows[2]["metrics"]["train/loss"] == 4.78 and rows[2]["epoch"] == 1
    table = list(csv.DictReader(io.StringIO(run_satconf("runs", "metrics", run_id,
                                                        "--csv").stdout)))
    assert [r["train/loss"] for r in table] == ["4.48", "4.48", "4.78", "4.78", "3.75", "3.75",
                                                "3.92"]
    plain = run_satconf("runs", "metrics", run_id)
    assert plain.stdout.splitlines()[0].split()[:4] == ["step", "epoch", "it/s", "train/loss"]
    # Rebuilt from the log after the file is lost: the same rows.
    (run_dir(run_id) / METRICS).unlink()
    again = run_satconf("runs", "metrics", run_id, "--json", "--rebuild")
    assert json.loads(again.stdout) == rows or [r["step"] for r in json.loads(again.stdout)] == [
        r["step"] for r in rows]
    assert "rebuilt from the log: 7 step(s)" in again.stderr
    assert (run_dir(run_id) / METRICS).is_file()
    both = run_satconf("runs", "metrics", run_id, "--json", "--csv")
    assert both.returncode == 2


def test_a_runs_checkpoints_are_those_written_while_it_ran(tmp_path: Path) -> None:
    import os

    from satconf.runs.records import RunRecord
    from satconf.runs.run_checkpoints import describe, run_checkpoints

    save = tmp_path / "ckpts"
    save.mkdir()
    record = RunRecord(id="r1", cwd=str(tmp_path), values={"save_dir": "ckpts"},
                       started_at="2026-01-01T12:00:00+00:00",
                       ended_at="2026-01-01T13:00:00+00:00")
    start = 1767268800.0  # 2026-01-01T12:00:00Z
    for name, at in (("epoch=0-step=100.ckpt", start + 60), ("epoch=1-step=200.ckpt", start + 120),
                     ("epoch=0-step=900.ckpt", start - 3600),  # an earlier run's
                     ("model.safetensors", start + 60)):
        (save / name).write_bytes(b"x" * 2048)
        os.utime(save / name, (at, at))
    found = run_checkpoints(record)
    assert [(c.step, c.epoch, c.size) for c in found] == [(200, 1, 2048), (100, 0, 2048)]
    assert describe(found)[0].startswith("step      200  epoch    1")
    assert "no checkpoint" in describe([])[0]
