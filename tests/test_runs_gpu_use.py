"""GPU use per run: the supervisor samples the run's GPUs through the NVML seam (fake GPUs
here), the run view shows them, and a minute of idle GPUs while training gives the hint."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from satconf.command import LaunchPlan
from satconf.runs import list_runs, run_dir, run_status, start_plan, stop_run
from satconf.runs.gpu_use import describe, recent_samples, starved_hint

from tui_support import sync

TRAINERS = Path(__file__).parent / "fixtures" / "trainers"
GPUS = [
    {"index": 0, "name": "NVIDIA A100-SXM4-80GB", "memory_used": 30720, "memory_total": 81920,
     "utilization": 3, "capability": "8.0"},
    {"index": 1, "name": "NVIDIA A100-SXM4-80GB", "memory_used": 3, "memory_total": 81920,
     "utilization": 0, "capability": "8.0"},
]


@pytest.fixture(autouse=True)
def no_leftover_runs(satconf_home: Path) -> Iterator[None]:
    yield
    for record in list_runs():
        if run_status(record) == "running":
            stop_run(record.id, grace=(0.5, 0.5))


def samples(utils: list[int], every: float = 10.0) -> list[dict]:
    return [{"time": i * every, "gpus": [{"index": 0, "util": u, "mem_used": 1024,
                                          "mem_total": 81920}]} for i, u in enumerate(utils)]


def test_starved_hint_needs_a_minute_of_idle_gpus_while_training() -> None:
    assert starved_hint(samples([5] * 7), training=True) is not None
    assert "raise num_workers" in starved_hint(samples([5] * 7), training=True)
    assert starved_hint(samples([5] * 7), training=False) is None  # e.g. validating, loading
    assert starved_hint(samples([5] * 3), training=True) is None  # not a minute yet
    assert starved_hint(samples([5, 5, 5, 95, 5, 5, 5]), training=True) is None
    assert starved_hint([], training=True) is None
    assert describe(samples([97])[0]) == "GPU 0 97% 1.0/80 GB"


@sync
async def test_supervisor_samples_the_runs_gpus_and_the_view_shows_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from satconf.runs import load_run
    from satconf.tui.app import make_app
    from satconf.tui.run_view import RunScreen

    from conftest import make_workspace

    fake = tmp_path / "gpus.json"
    fake.write_text(json.dumps(GPUS))
    monkeypatch.setenv("SATCONF_FAKE_GPUS", str(fake))  # the supervisor inherits it
    plan = LaunchPlan(argv=(sys.executable, str(TRAINERS / "stalled.py")), cwd=str(tmp_path))
    run_id = start_plan(plan, values={"name": "gpu-run"}, gpus=[0]).id
    for _ in range(400):
        if recent_samples(run_dir(run_id)):
            break
        await asyncio.sleep(0.05)
    (row,) = recent_samples(run_dir(run_id))[:1]
    assert [g["index"] for g in row["gpus"]] == [0]  # the run's GPU, not every GPU
    assert row["gpus"][0]["util"] == 3 and row["gpus"][0]["mem_used"] == 30720
    app = make_app(make_workspace(tmp_path / "ws"), deep_checks=False, probe_env=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        screen = RunScreen(load_run(run_id))
        await app.push_screen(screen)
        for _ in range(400):
            if "GPU 0 3% 30.0/80 GB" in str(screen.query_one("#run-progress").render()):
                break
            await asyncio.sleep(0.05)
        assert "GPU 0 3% 30.0/80 GB" in str(screen.query_one("#run-progress").render())
