"""The queue and sweep commands through the real CLI: order, cancel, pause, refusals,
max-failures and resume on the local queue (CPU slots and presented GPUs)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from queue_support import ended_runs, fast_workspace, present_gpus, wait_scheduler_gone
from satconf.queue.expand import SweepSpecError, expand, parse_axes
from satconf.queue.gpus_free import free_devices
from satconf.queue.request import GpuRequest, RequestError, fit, parse_request
from satconf.queue.store import QueueStore


@pytest.fixture
def gpus_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    fake = present_gpus(tmp_path / "gpus.json")
    monkeypatch.setenv("SATCONF_FAKE_GPUS", str(fake))
    return {"SATCONF_FAKE_GPUS": str(fake), "SATCONF_TEST_RUN_S": "0.1"}


def test_requests_and_fitting() -> None:
    assert parse_request("2") == GpuRequest(count=2)
    assert parse_request("0,1").ids == (0, 1)
    assert parse_request("2,").ids == (2,)
    assert parse_request(None, slots=2).cpu
    for bad in ("0", "x", "1,a"):
        with pytest.raises(RequestError):
            parse_request(bad)
    free = {0: 100, 1: 40000, 3: 40000}
    assert fit(GpuRequest(count=2), free) == [1, 3] or fit(GpuRequest(count=2), free) == [0, 1]
    assert fit(GpuRequest(count=2, min_free_mib=1000), free) == [1, 3]
    assert fit(GpuRequest(count=1, ids=(2,)), free) is None
    assert fit(GpuRequest(cpu=True), {}, free_slots=[1, 0]) == [0]


def test_sweep_expansion() -> None:
    grid = expand(parse_axes(["lr=1e-4,3e-4", "batch_size=4,8"], [], []))
    assert grid == [{"lr": "1e-4", "batch_size": "4"}, {"lr": "1e-4", "batch_size": "8"},
                    {"lr": "3e-4", "batch_size": "4"}, {"lr": "3e-4", "batch_size": "8"}]
    zipped = expand(parse_axes(["seed=1,2"], ["lr=1,2", "batch_size=3,4"], []))
    assert zipped[:2] == [{"lr": "1", "batch_size": "3", "seed": "1"},
                          {"lr": "1", "batch_size": "3", "seed": "2"}] and len(zipped) == 4
    drawn = expand(parse_axes(["batch_size=4,8"], [], ["lr=1e-5:1e-3:log"], random_n=5, seed=7))
    assert len(drawn) == 5 and all(1e-5 <= float(r["lr"]) <= 1e-3 for r in drawn)
    assert drawn == expand(parse_axes(["batch_size=4,8"], [], ["lr=1e-5:1e-3:log"],
                                      random_n=5, seed=7))  # a seed repeats the draw
    for args in ((["lr="], [], []), ([], ["a=1,2", "b=1"], []), ([], [], ["lr=1:0"]), ([], [], [])):
        with pytest.raises(SweepSpecError):
            parse_axes(*args, random_n=None)


def test_a_foreign_process_makes_a_gpu_busy(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "gpus.json"
    fake.write_text(json.dumps([
        {"name": "A", "memory_total": 40000, "memory_used": 30000,
         "processes": [{"pid": 1, "memory_mib": 30000}]},  # another user's job
        {"name": "B", "memory_total": 40000}]))
    monkeypatch.setenv("SATCONF_FAKE_GPUS", str(fake))
    free = free_devices([], slots=1)
    assert list(free.gpus) == [1] and "another process" in free.busy[0]


@pytest.mark.slow
def test_queue_order_cancel_pause_and_runs_list(tmp_path: Path, run_satconf,
                                                gpus_env: dict[str, str],
                                                satconf_home: Path) -> None:
    ws = fast_workspace(tmp_path / "ws")
    assert run_satconf("queue", "pause", env=gpus_env).returncode == 0
    for name in ("one", "two", "three"):
        proc = run_satconf("launch", "--workspace", str(ws), "--no-probe", "--queue",
                           "--gpus", "1", "--set", f"name={name}", env=gpus_env)
        assert proc.returncode == 0, proc.stderr
    listed = run_satconf("runs", "list", env=gpus_env).stdout
    assert "queued #1" in listed and "queued #3" in listed and "three" in listed
    moved = run_satconf("queue", "move", "3", "--to", "1", env=gpus_env)
    assert moved.returncode == 0 and "queue order: 3 1 2" in moved.stdout
    assert run_satconf("queue", "cancel", "1", env=gpus_env).returncode == 0
    again = run_satconf("queue", "cancel", "1", env=gpus_env)
    assert again.returncode == 1 and "cancelled, not queued" in again.stderr
    assert "Traceback" not in again.stderr
    data = json.loads(run_satconf("runs", "list", "--json", env=gpus_env).stdout)
    assert [(d["name"], d["position"]) for d in data] == [("three", 1), ("two", 2)]

    assert run_satconf("queue", "resume", env=gpus_env).returncode == 0
    records = ended_runs(2)
    wait_scheduler_gone(satconf_home)
    assert sorted(r.name or "" for r in records) == ["three", "two"]
    assert {tuple(r.gpus or []) for r in records} <= {(0,), (1,)}
    states = {e.name: e.state for e in QueueStore().entries()}
    assert states == {"one": "cancelled", "two": "done", "three": "done"}


def test_refused_before_anything_is_queued(tmp_path: Path, run_satconf,
                                          gpus_env: dict[str, str]) -> None:
    ws = fast_workspace(tmp_path / "ws")
    missing_gpu = run_satconf("launch", "--workspace", str(ws), "--no-probe", "--queue",
                              "--gpus", "3,", env=gpus_env)
    assert missing_gpu.returncode == 1 and "GPU 3 does not exist" in missing_gpu.stderr
    sweep = run_satconf("sweep", "--workspace", str(ws), "--no-probe", "--grid",
                        "model_config=configs/model.json,configs/missing.json", env=gpus_env)
    assert sweep.returncode == 1 and "run 1:" in sweep.stderr
    assert "1 of 2 runs have errors; nothing was queued" in sweep.stderr
    bad_key = run_satconf("sweep", "--workspace", str(ws), "--grid", "no_such_key=1,2",
                          env=gpus_env)
    assert bad_key.returncode == 2 and "Traceback" not in bad_key.stderr
    assert QueueStore().entries() == []


@pytest.mark.slow
def test_max_failures_stops_a_sweep_and_resume_reruns_the_rest(
        tmp_path: Path, run_satconf, satconf_home: Path) -> None:
    train = ("import os, sys\n"
             "seed = next(a.split('=')[1] for a in sys.argv if a.startswith('--seed='))\n"
             "print('seed', seed, 'train/loss=0.5')\n"
             "sys.exit(1 if seed in ('1', '2') and os.path.exists('FAIL') else 0)\n")
    ws = fast_workspace(tmp_path / "ws", train)
    (ws / "FAIL").touch()
    env = {k: v for k, v in os.environ.items() if k != "SATCONF_FAKE_GPUS"}
    proc = run_satconf("sweep", "--workspace", str(ws), "--no-probe", "--slots", "1",
                       "--set", "name=mf", "--grid", "seed=0,1,2,3,4", "--max-failures", "2",
                       "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    sweep_id = json.loads(proc.stdout)["sweep_id"]
    wait_scheduler_gone(satconf_home)  # it stays until the runs it started have ended
    shown = json.loads(run_satconf("sweep", "show", sweep_id, "--json").stdout)
    assert shown["state"] == "stopped"
    assert [r["status"] for r in shown["runs"]] == [
        "succeeded", "failed", "failed", "cancelled", "cancelled"]
    table = run_satconf("sweep", "show", sweep_id).stdout
    assert "SEED" in table and "cancelled" in table

    (ws / "FAIL").unlink()
    resume = run_satconf("sweep", "resume", sweep_id, "--json")
    assert resume.returncode == 0, resume.stderr
    assert json.loads(resume.stdout)["rerun"] == [1, 2, 3, 4]
    first = shown["runs"][0]["run_id"]
    ended_runs(7)
    wait_scheduler_gone(satconf_home)
    after = json.loads(run_satconf("sweep", "show", sweep_id, "--json").stdout)
    assert [r["status"] for r in after["runs"]] == ["succeeded"] * 5
    assert after["runs"][0]["run_id"] == first  # the succeeded run was not rerun


def test_a_run_is_checked_again_when_it_starts(tmp_path: Path, run_satconf,
                                               gpus_env: dict[str, str],
                                               satconf_home: Path) -> None:
    """A file the run needs, gone while it waited: refused at its start, never started."""
    ws = fast_workspace(tmp_path / "ws")
    assert run_satconf("queue", "pause", env=gpus_env).returncode == 0
    proc = run_satconf("launch", "--workspace", str(ws), "--no-probe", "--queue",
                       "--set", "name=gone", env=gpus_env)
    assert proc.returncode == 0, proc.stderr
    (ws / "configs" / "model.json").unlink()
    assert run_satconf("queue", "resume", env=gpus_env).returncode == 0
    wait_scheduler_gone(satconf_home)
    (entry,) = QueueStore().entries()
    assert entry.state == "refused" and "model_config" in (entry.message or "")
    assert entry.run_id is None
    assert list((satconf_home / "runs").glob("*/record.json")) == []  # nothing was started
    shown = run_satconf("queue", "list", "--all", env=gpus_env)
    assert "refused" in shown.stdout


def test_sweep_dry_run_lists_the_runs(tmp_path: Path, run_satconf,
                                      gpus_env: dict[str, str]) -> None:
    ws = fast_workspace(tmp_path / "ws")
    proc = run_satconf("sweep", "--workspace", str(ws), "--no-probe", "--set", "name=d",
                       "--grid", "batch_size=4,8", "--zip", "seed=1,2", "--dry-run", "--json",
                       env=gpus_env)
    assert proc.returncode == 0, proc.stderr
    runs = json.loads(proc.stdout)["runs"]
    assert [(r["name"], r["params"]) for r in runs] == [
        ("d-0", {"seed": "1", "batch_size": "4"}), ("d-1", {"seed": "1", "batch_size": "8"}),
        ("d-2", {"seed": "2", "batch_size": "4"}), ("d-3", {"seed": "2", "batch_size": "8"})]
    assert QueueStore().entries() == []


def test_a_claim_whose_scheduler_died_is_requeued_or_adopted(tmp_path: Path,
                                                            gpus_env: dict[str, str]) -> None:
    """A scheduler SIGKILLed between its claim and the start: the run goes back in its
    place; killed after the start but before noting it: the run is adopted, not rerun."""
    import subprocess
    import sys

    from satconf.queue.request import GpuRequest
    from satconf.queue.scheduler import Scheduler
    from satconf.queue.spec import config_of, spec_of
    from satconf.runconfig import load_run_config
    from satconf.runs.records import RunRecord, now_iso, run_dir, write_record

    ws = fast_workspace(tmp_path / "ws")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    store = QueueStore()
    specs = [spec_of(load_run_config(ws, sets=[f"name={n}"])) for n in ("lost", "started")]
    ids = [store.enqueue(spec, GpuRequest(), name=spec["values"]["name"]) for spec in specs]
    for gpu, entry_id in enumerate(ids):
        store.claim(lambda queued, active, e=entry_id, g=gpu: [(e, [g])], dead.pid)
    started = config_of(specs[1], [1])
    folder = run_dir("20990101-000000-beef")
    folder.mkdir(parents=True)
    write_record(folder, RunRecord(id=folder.name, gpus=[1], values=dict(started.values),
                                   workspace=str(ws), started_at=now_iso(), exit_code=0,
                                   ended_at=now_iso()))
    Scheduler(store).reconcile()
    first, second = store.get(ids[0]), store.get(ids[1])
    assert first.state == "queued" and first.assigned is None
    assert second.state in ("running", "done") and second.run_id == folder.name
    if second.state == "running":
        Scheduler(store).reconcile()
    assert store.get(ids[1]).state == "done"
