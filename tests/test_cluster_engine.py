"""The slurm run engine without a running cluster: refused submissions, forgotten jobs."""

from __future__ import annotations

from pathlib import Path

import pytest

from satconf.cluster import slurm
from satconf.cluster.options import ClusterOptions
from satconf.cluster.plan import EXIT_NAME
from satconf.runconfig import load_run_config
from satconf.runs import RunError, load_run, run_status
from satconf.runs.engines.slurm import slurm_status, submit_run
from satconf.runs.records import RunRecord, StopStep, now_iso, run_dir, write_record

NO_SUCH_JOB = "987654321"  # far beyond any id a test cluster hands out


def test_refused_submission_is_kept_with_its_reason(seed_workspace: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    config = load_run_config(seed_workspace)
    with pytest.raises(RunError, match="sbatch is not installed"):
        submit_run(config, ClusterOptions(engine="slurm", gpus_per_node=2))
    record = load_run("last")
    assert record.engine == "slurm" and record.job_id is None
    assert "sbatch is not installed" in (record.error or "")
    assert run_status(record) == "failed"
    script = Path(record.extra["batch_script"]).read_text()
    assert "#SBATCH --gres=gpu:2\n" in script  # the script is there to submit by hand


def _forgotten(exit_text: str | None, *, stopped: bool = False) -> RunRecord:
    record = RunRecord(id="20260101-000000-0000", engine="slurm", job_id=NO_SUCH_JOB,
                       started_at=now_iso())
    if stopped:
        record.stop_steps.append(StopStep(signal="scancel", at=now_iso()))
    folder = run_dir(record.id)
    folder.mkdir(parents=True)
    write_record(folder, record)
    if exit_text is not None:
        (folder / EXIT_NAME).write_text(exit_text)
    return record


@pytest.mark.parametrize(("exit_text", "stopped", "status"), [
    ("0\n", False, "succeeded"),
    ("3\n", False, "failed"),
    ("143\n", True, "stopped"),
    ("0\n", True, "stopped"),  # stopped by the user, then a clean exit: still stopped
    (None, False, "unknown"),
])
def test_an_ended_job_is_judged_by_its_exit_file(exit_text: str | None, stopped: bool,
                                                 status: str, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Looked at from a machine without SLURM's tools: the file decides, or nothing can."""
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    record = _forgotten(exit_text, stopped=stopped)
    assert slurm.job_state(NO_SUCH_JOB).source == ""  # SLURM cannot be asked here
    assert slurm_status(record) == status
    kept = load_run(record.id)
    if exit_text is not None:  # the result is written into the record for good
        assert kept.exit_code == int(exit_text) and kept.ended_at
        (run_dir(record.id) / EXIT_NAME).unlink()
        assert run_status(load_run(record.id)) == status
    else:
        assert kept.exit_code is None and not kept.ended_at


def test_status_words_cover_slurm_states() -> None:
    assert slurm._STATES["PENDING"] == slurm.QUEUED
    assert slurm._STATES["CANCELLED"] == slurm.STOPPED
    assert slurm._word("CANCELLED by 0") == "CANCELLED"
    assert slurm._exit_code("0:15") == 0 and slurm._exit_code("2:0") == 2
