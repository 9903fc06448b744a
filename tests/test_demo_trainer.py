"""The embedded demo: `satconf demo init`, its flags (judged by the real prefigure), and
end-to-end training through `satconf launch` on the CPU, then recover."""

from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path
from types import ModuleType

import pytest

from satconf.runconfig import load_run_config
from satconf.runs import list_runs, load_run, log_path, run_dir, run_status, stop_run
from satconf.runs.metrics import iter_from_log, iter_stored

from prefig import parse

TRAIN_TIMEOUT = 300  # seconds; an upper bound on a busy 2-core machine, not a speed check


@pytest.fixture(autouse=True)
def no_leftover_runs():
    yield
    for record in list_runs():
        if run_status(record) == "running":
            stop_run(record.id, grace=(2.0, 2.0))


def demo_module(ws: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("demo_train", ws / "train.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_demo_init_copies_a_workspace_and_refuses_a_full_folder(tmp_path: Path,
                                                                run_satconf) -> None:
    dest = tmp_path / "my-demo"
    out = run_satconf("demo", "init", str(dest))
    assert out.returncode == 0, out.stderr
    for name in ("train.py", "defaults.ini", "configs/model.json", "configs/dataset.json"):
        assert (dest / name).is_file(), name
    dataset = json.loads((dest / "configs" / "dataset.json").read_text())
    assert dataset["dataset_type"] == "audio_dir" and dataset["datasets"][0]["path"]
    model = json.loads((dest / "configs" / "model.json").read_text())
    assert model["model_type"] == "autoencoder"
    assert model["sample_size"] % model["model"]["downsampling_ratio"] == 0
    again = run_satconf("demo", "init", str(dest))
    assert again.returncode == 1 and "not empty" in again.stderr
    assert run_satconf("demo", "init", str(dest), "--force").returncode == 0


def test_demo_ini_has_the_seed_keys_plus_max_steps() -> None:
    from satconf.defaults_ini import read_defaults_ini
    from satconf.workspace import embedded_demo_source

    seed = read_defaults_ini(Path(__file__).parent / "seed_defaults.ini")
    demo = read_defaults_ini(embedded_demo_source() / "defaults.ini")
    assert list(demo.entries) == [*seed.entries, "max_steps"]
    assert demo.entries["max_steps"].value == -1
    config = load_run_config(embedded_demo_source())
    assert "max_steps" in config.fields and config.errors() == {}


@pytest.mark.parametrize("sets", [
    [],
    ["batch_size=2", "precision=bf16-mixed", "max_steps=7", "gradient_clip_val=0.5",
     "strategy=ddp", "ckpt_path=some/x.ckpt", "recover=true", "project=p"],
])
def test_demo_reads_flags_exactly_as_prefigure(tmp_path: Path, run_satconf,
                                               sets: list[str]) -> None:
    ws = tmp_path / "demo"
    assert run_satconf("demo", "init", str(ws)).returncode == 0
    argv = list(load_run_config(ws, sets=sets).plan().argv)
    ours = _demo_parse(ws, argv)
    theirs = parse(argv, ws)
    assert vars(ours) == vars(theirs)


def _demo_parse(ws: Path, argv: list[str]):
    import os

    module = demo_module(ws)
    old = os.getcwd()
    os.chdir(ws)  # the INI is found in the working folder, as prefigure finds it
    try:
        return module.parse_args(argv[2:])
    finally:
        os.chdir(old)


def _wait_ended(run_id: str) -> None:
    deadline = time.monotonic() + TRAIN_TIMEOUT
    while run_status(load_run(run_id)) == "running":
        assert time.monotonic() < deadline, log_path(run_id).read_text()[-3000:]
        time.sleep(0.2)


@pytest.mark.slow
def test_launch_trains_checkpoints_and_recover_resumes(tmp_path: Path, run_satconf) -> None:
    ws = tmp_path / "demo"
    assert run_satconf("demo", "init", str(ws)).returncode == 0
    first = run_satconf(
        "launch", "--workspace", str(ws), "--json", "--set", "max_steps=4",
        "--set", "checkpoint_every=2", "--set", "precision=bf16-mixed",
        "--set", "num_workers=1", "--set", "accum_batches=2", "--set", "gradient_clip_val=0.5",
    )
    assert first.returncode == 0, first.stderr
    run_id = json.loads(first.stdout)["run_id"]
    _wait_ended(run_id)
    record = load_run(run_id)
    log = log_path(run_id).read_text()
    assert run_status(record) == "succeeded" and record.exit_code == 0, log[-3000:]
    ckpt = ws / "checkpoints" / "epoch=0-step=4.ckpt"
    assert ckpt.is_file() and (ws / "checkpoints" / "epoch=0-step=2.ckpt").is_file()
    assert "CUDA_VISIBLE_DEVICES=<unset>" in log
    assert "precision bf16-mixed" in log and "finished at step 4" in log
    assert len(list((ws / "data" / "tones").glob("*.wav"))) == 32
    # Lightning's own bar reached the log, and the supervisor kept a row per optimizer step
    # (accum_batches=2: two batches a step), as from the real train.py.
    raw = log_path(run_id).read_bytes()  # bytes: read_text() turns each `\r` into a newline
    assert b"\rEpoch 0:" in raw and b"train/loss=" in raw
    rows = list(iter_stored(run_dir(run_id)))
    assert [r.step for r in rows] == [1, 2, 3, 4], log[-3000:]
    assert all(0 < r.metrics["train/loss"] < 10 for r in rows)
    assert [(r.step, r.metrics) for r in rows] == [
        (r.step, r.metrics) for r in iter_from_log(log_path(run_id), accumulate=2)]

    second = run_satconf(
        "launch", "--workspace", str(ws), "--foreground", "--gpus", "none",
        "--set", "max_steps=6", "--set", "checkpoint_every=2", "--set", "recover=true",
        timeout=TRAIN_TIMEOUT,
    )
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr
    assert f"note: recover: resuming from {ckpt} (step 4)" in second.stderr
    assert f"demo: Restored from {ckpt} at step 4" in second.stdout
    assert "precision 16-mixed needs a GPU; using 32-true" in second.stdout
    assert "CUDA_VISIBLE_DEVICES='' (no GPU visible)" in second.stdout  # --gpus none
    assert (ws / "checkpoints" / "epoch=0-step=6.ckpt").is_file()
    assert "finished at step 6" in second.stdout
    last = load_run("last")
    assert f"--ckpt-path={ckpt}" in last.argv and run_status(last) == "succeeded"


@pytest.mark.slow
def test_stopped_demo_saves_where_recover_finds_it(tmp_path: Path, run_satconf) -> None:
    ws = tmp_path / "demo"
    assert run_satconf("demo", "init", str(ws)).returncode == 0
    out = run_satconf("launch", "--workspace", str(ws), "--json")  # max_steps -1: until stopped
    run_id = json.loads(out.stdout)["run_id"]
    deadline = time.monotonic() + TRAIN_TIMEOUT
    while "demo: step 1 " not in log_path(run_id).read_text():
        assert time.monotonic() < deadline and run_status(load_run(run_id)) == "running", \
            log_path(run_id).read_text()[-3000:]
        time.sleep(0.2)
    stopped = run_satconf("runs", "stop", run_id)
    assert stopped.returncode == 0, stopped.stderr
    record = load_run(run_id)
    assert run_status(record) == "stopped", log_path(run_id).read_text()[-3000:]
    assert [s.signal for s in record.stop_steps] == ["SIGINT"]
    log = log_path(run_id).read_text()
    assert "interrupted; saved checkpoint" in log
    saved = sorted((ws / "checkpoints").glob("epoch=*-step=*.ckpt"))
    assert saved
    from satconf.runs import apply_recover

    _, message = apply_recover(load_run_config(ws, sets=["recover=true"]))
    assert message is not None and "resuming from" in message

