"""Which checkpoint recover resumes, which it passes over and why, and the note the user reads.

Checkpoints here are zip files laid out as `torch.save` writes them (`archive/data.pkl`),
holding no tensors, so no torch is needed to make them; satconf reads them without torch
either way (satconf.ckpt_meta).
"""

from __future__ import annotations

import dataclasses
import json
import os
import pickle
import zipfile
from pathlib import Path
from typing import Any

import pytest

from satconf.runconfig import load_run_config
from satconf.runs import apply_recover, find_recover_checkpoint, wants_recover
from satconf.runs.recover import pick_checkpoint, ranked_in

from conftest import SEED_INI, make_workspace

pytestmark = pytest.mark.unprobed  # nothing here needs the training python's probe

MODEL = {"model_type": "autoencoder", "sample_rate": 16000, "model": {"latent_dim": 8}}
OTHER = {**MODEL, "model": {"latent_dim": 64}}


def save(path: Path, model_config: Any = None, mtime: float | None = None) -> Path:
    """A checkpoint as stable-audio-tools saves one, with `model_config` embedded if given."""
    path.parent.mkdir(parents=True, exist_ok=True)
    state: dict[str, Any] = {"pytorch-lightning_version": "2.1.0", "state_dict": {}}
    if model_config is not None:
        state["model_config"] = model_config
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", pickle.dumps(state, protocol=2))
        zf.writestr("archive/version", "3\n")
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def values(**kw: object) -> dict[str, object]:
    return {"name": "my_run", "save_dir": "ckpts", "recover": True, "ckpt_path": "", **kw}


def config(tmp_path: Path, *sets: str, ini: str | None = None):
    text = SEED_INI.read_text() if ini is None else ini
    ws = make_workspace(tmp_path / "ws", text.replace("save_dir = ''", "save_dir = 'ckpts'"))
    return ws, load_run_config(ws, sets=["logger=none", "recover=true", *sets])


@pytest.mark.parametrize(("value", "wanted"), [
    (True, True), (False, False), ("true", True), (" Yes ", True), ("ON", True), ("1", True),
    ("false", False), ("0", False), ("", False), (1, True), (0, False),
])
def test_recover_as_prefigure_keeps_it(value: object, wanted: bool) -> None:
    assert wants_recover({"recover": value}) is wanted


def test_no_recover_key_means_no_recover() -> None:
    assert wants_recover({}) is False


def test_the_best_checkpoint_of_several_run_folders_wins(tmp_path: Path) -> None:
    # wandb: one folder per run id; the later folder (by name) holds the higher step
    base = tmp_path / "ckpts" / "my_run"
    save(tmp_path / "ckpts" / "epoch=99-step=9900.ckpt")  # a logger-less run's, beside them
    save(base / "aaa" / "checkpoints" / "epoch=9-step=900.ckpt")
    best = save(base / "bbb" / "checkpoints" / "epoch=10-step=1000.ckpt")
    save(base / "ccc" / "checkpoints" / "epoch=1-step=100.ckpt")
    for logger in ("wandb", "'wandb'", '"comet"'):  # prefigure may keep the quotes
        assert find_recover_checkpoint(values(logger=logger), tmp_path) == best.resolve()
    for logger in ("none", None):
        assert find_recover_checkpoint(values(logger=logger), tmp_path).name \
            == "epoch=99-step=9900.ckpt"


def test_a_run_without_a_name_looks_in_save_dir_only(tmp_path: Path) -> None:
    flat = save(tmp_path / "ckpts" / "epoch=0-step=5.ckpt")
    save(tmp_path / "ckpts" / "x" / "id" / "checkpoints" / "epoch=0-step=9.ckpt")
    for name in ("", None):
        assert find_recover_checkpoint(values(name=name), tmp_path) == flat.resolve()


def test_no_save_dir_looks_in_lightnings_checkpoints_folder(tmp_path: Path) -> None:
    best = save(tmp_path / "checkpoints" / "epoch=0-step=70.ckpt")
    save(tmp_path / "lightning_logs" / "version_0" / "checkpoints" / "epoch=0-step=7.ckpt")
    assert find_recover_checkpoint(values(save_dir=""), tmp_path) == best.resolve()
    # ...which a run with a save_dir never looks at
    assert find_recover_checkpoint(values(), tmp_path) is None


def test_a_folder_listing_is_best_first_and_only_checkpoint_files(tmp_path: Path) -> None:
    folder = tmp_path / "ckpts"
    # made in an order that is neither the ranking nor its reverse (some file systems list
    # files in the order they were made); step 1000 sorts before 900 as text
    for step, epoch, mtime in ((300, 3, 10), (1000, 10, 5), (50, 0, 30), (900, 9, 20),
                               (50, 0, 40)):
        name = f"epoch={epoch}-step={step}{'-v1' if mtime == 40 else ''}.ckpt"
        save(folder / name, mtime=mtime)
    (folder / "epoch=99-step=9999.ckpt").mkdir()  # a folder with a checkpoint's name
    save(folder / "last.ckpt")
    ranked = [(rank, path.name) for rank, path in ranked_in(folder)]
    assert ranked == [((1000, 10, 5.0), "epoch=10-step=1000.ckpt"),
                      ((900, 9, 20.0), "epoch=9-step=900.ckpt"),
                      ((300, 3, 10.0), "epoch=3-step=300.ckpt"),
                      ((50, 0, 40.0), "epoch=0-step=50-v1.ckpt"),
                      ((50, 0, 30.0), "epoch=0-step=50.ckpt")]


def test_a_plain_listing_never_trusts_an_unchanged_folder_time(tmp_path: Path) -> None:
    folder = tmp_path / "ckpts"
    save(folder / "epoch=0-step=1.ckpt")
    assert len(ranked_in(folder, cached=True)) == 1
    stamp = folder.stat().st_mtime_ns
    save(folder / "epoch=0-step=2.ckpt")
    os.utime(folder, ns=(stamp, stamp))  # a coarse-mtime file system
    assert len(ranked_in(folder, cached=True)) == 1
    assert len(ranked_in(folder)) == 2
    assert pick_checkpoint(values(), tmp_path)[0] == (folder / "epoch=0-step=2.ckpt").resolve()


def test_checkpoints_of_another_model_are_counted_and_passed_over(tmp_path: Path) -> None:
    ws, cfg = config(tmp_path, "model_config=model.json")
    (ws / "model.json").write_text(json.dumps(MODEL))
    d = ws / "ckpts"
    save(d / "epoch=5-step=500.ckpt", OTHER)
    save(d / "epoch=4-step=400.ckpt", OTHER)
    save(d / "epoch=3-step=300.ckpt", MODEL)
    save(d / "epoch=2-step=200.ckpt", None)
    new, note = apply_recover(cfg)
    path = (d / "epoch=3-step=300.ckpt").resolve()
    assert new.values["ckpt_path"] == str(path)
    assert note == (f"recover: resuming from {path} (step 300); skipped 2 newer checkpoint(s) "
                    "of another model (their embedded model_config differs)")
    # A checkpoint without an embedded config cannot be told apart: it is taken.
    (d / "epoch=3-step=300.ckpt").unlink()
    assert apply_recover(cfg)[0].values["ckpt_path"] == str((d / "epoch=2-step=200.ckpt")
                                                            .resolve())
    # The model config given as an absolute path is read just the same.
    absolute = dataclasses.replace(cfg, values={**cfg.values,
                                                "model_config": str(ws / "model.json")})
    assert pick_checkpoint(absolute.values, ws)[1] == 2


@pytest.mark.parametrize("text", ["[1, 2]", "not json", None])
def test_without_a_readable_model_config_the_newest_wins(tmp_path: Path,
                                                         text: str | None) -> None:
    d = tmp_path / "ckpts"
    save(d / "epoch=5-step=500.ckpt", OTHER)
    save(d / "epoch=3-step=300.ckpt", MODEL)
    if text is not None:
        (tmp_path / "model.json").write_text(text)
    found = pick_checkpoint(values(model_config="model.json"), tmp_path)
    assert found == ((d / "epoch=5-step=500.ckpt").resolve(), 0, 0)
    assert pick_checkpoint(values(model_config=" "), tmp_path)[1] == 0


def test_the_note_names_both_kinds_of_checkpoint_passed_over(tmp_path: Path) -> None:
    from datetime import datetime, timezone

    from satconf.runs.records import RunRecord, run_dir, write_record

    ws, cfg = config(tmp_path, "model_config=model.json")
    (ws / "model.json").write_text(json.dumps(MODEL))
    t = 1_700_000_000
    folder = run_dir("20231114-000000-0001")
    folder.mkdir(parents=True)
    stamp = lambda s: datetime.fromtimestamp(s, timezone.utc).isoformat()  # noqa: E731
    write_record(folder, RunRecord(id=folder.name, name="other", values={"save_dir": "ckpts"},
                                   cwd=str(ws), started_at=stamp(t), ended_at=stamp(t + 600)))
    d = ws / "ckpts"
    save(d / "epoch=9-step=900.ckpt", MODEL, mtime=t + 100)
    save(d / "epoch=8-step=800.ckpt", MODEL, mtime=t + 200)
    save(d / "epoch=7-step=700.ckpt", OTHER, mtime=t + 300)
    path = save(d / "epoch=1-step=100.ckpt", MODEL, mtime=t + 9000).resolve()
    assert apply_recover(cfg)[1] == (
        f"recover: resuming from {path} (step 100); skipped 1 newer checkpoint(s) of another "
        "model (their embedded model_config differs); skipped 2 newer checkpoint(s) that "
        "satconf's run records show a run of another name wrote")


def test_the_note_says_where_it_looked_when_nothing_is_there(tmp_path: Path) -> None:
    ws, cfg = config(tmp_path, "save_dir=", "logger=wandb")
    (ws / "lightning_logs" / "version_0" / "checkpoints").mkdir(parents=True)
    new, note = apply_recover(cfg)
    assert new is cfg
    assert note == (f"recover: no checkpoint of run 'stable_audio_tools' in {ws}, "
                    f"{ws / 'checkpoints'}; starting fresh")


def test_without_a_ckpt_path_flag_there_is_nothing_to_resume(tmp_path: Path) -> None:
    # Setting ckpt_path there would make the launch fail: train.py has no --ckpt-path.
    seed = SEED_INI.read_text()
    no_key = "\n".join(line for line in seed.splitlines() if not line.startswith("ckpt_path"))
    after_stop = no_key + "\nwandb_config = ''\nckpt_path = ''\n"  # prefigure stops reading
    for ini in (no_key, after_stop):
        ws, cfg = config(tmp_path, ini=ini)
        save(ws / "ckpts" / "epoch=3-step=1200.ckpt")
        assert apply_recover(cfg) == (cfg, "recover: train.py has no --ckpt-path flag (no "
                                           "ckpt_path key it reads in defaults.ini), so there "
                                           "is nothing to resume")
        cfg.plan()  # and the launch goes on, from scratch


def test_the_preview_may_reuse_a_listing_a_launch_never(tmp_path: Path) -> None:
    ws, cfg = config(tmp_path)
    folder = ws / "ckpts"
    save(folder / "epoch=0-step=1.ckpt")
    assert apply_recover(cfg, cached=True)[0].values["ckpt_path"].endswith("step=1.ckpt")
    stamp = folder.stat().st_mtime_ns
    save(folder / "epoch=0-step=2.ckpt")
    os.utime(folder, ns=(stamp, stamp))
    assert apply_recover(cfg, cached=True)[0].values["ckpt_path"].endswith("step=1.ckpt")
    assert apply_recover(cfg)[0].values["ckpt_path"].endswith("step=2.ckpt")
