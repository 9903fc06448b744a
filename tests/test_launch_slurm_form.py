"""The form's launch key on a real one-machine SLURM cluster: a SLURM profile runs as a job."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest

from satconf.profiles import Profile, ProfileStore
from satconf.tui.app import make_app
from satconf.workspace import copy_demo

from tui_support import SIZE, checked, sync

pytestmark = [pytest.mark.slurm, pytest.mark.slow]
GUARD_S = 300  # a guard against a hung job, not a speed check


@sync
async def test_f5_submits_a_slurm_profile_as_a_job(slurm_cluster: None, tmp_path: Path) -> None:
    from satconf.runs import load_run, run_status
    from satconf.tui.run_view import RunScreen

    ws = copy_demo(tmp_path / "demo")
    ProfileStore().save(Profile(
        name="on-slurm", workspace=str(ws),
        values={"max_steps": 2, "checkpoint_every": 2, "num_workers": 0, "batch_size": 2},
        options={"cluster": {"engine": "slurm", "gpus_per_node": 0,
                             "job_name": "satconf-form"}}))
    app = make_app(ws, profile="on-slurm")
    job_id = None
    try:
        async with app.run_test(size=SIZE) as pilot:
            await checked(app, pilot)
            assert app.state.engine == "slurm"
            assert "#SBATCH --job-name=satconf-form" in app.preview.command  # the script
            await pilot.press("f5")
            for _ in range(600):
                if app.last_run is not None:
                    break
                await asyncio.sleep(0.05)
            record = app.last_run
            assert record is not None
            job_id = record.job_id
            assert record.engine == "slurm" and job_id and job_id.isdigit()
            screen = app.screen
            assert isinstance(screen, RunScreen)  # followed like a local run
            for _ in range(GUARD_S * 10):
                if screen.status not in ("running", "queued"):
                    break
                await asyncio.sleep(0.1)
            assert screen.status == "succeeded", screen.status
        final = load_run(record.id)
        assert run_status(final) == "succeeded" and final.job_id == job_id
    finally:
        if job_id:
            subprocess.run(["scancel", job_id], capture_output=True)  # never left behind
