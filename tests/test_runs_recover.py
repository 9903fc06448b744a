"""recover = true: the newest checkpoint of this run becomes ckpt_path."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from satconf.runconfig import load_run_config
from satconf.runs import apply_recover, find_recover_checkpoint

from conftest import make_workspace

pytestmark = pytest.mark.unprobed  # nothing here needs the training python's probe


def touch(path: Path, mtime: float | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"ckpt")
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def values(**kw: object) -> dict[str, object]:
    return {"name": "my_run", "save_dir": "ckpts", "recover": True, "ckpt_path": "", **kw}


def test_highest_step_wins_not_the_newest_file(tmp_path: Path) -> None:
    touch(tmp_path / "ckpts" / "epoch=9-step=900.ckpt", mtime=1000)
    best = touch(tmp_path / "ckpts" / "epoch=10-step=1000.ckpt", mtime=500)
    touch(tmp_path / "ckpts" / "epoch=2-step=200.ckpt", mtime=2000)
    touch(tmp_path / "ckpts" / "last.ckpt", mtime=3000)  # not Lightning's step naming
    assert find_recover_checkpoint(values(), tmp_path) == best.resolve()


def test_wandb_layout_for_this_run_name(tmp_path: Path) -> None:
    touch(tmp_path / "ckpts" / "epoch=0-step=100.ckpt")
    best = touch(tmp_path / "ckpts" / "my_run" / "abc123" / "checkpoints" / "epoch=1-step=300.ckpt")
    touch(tmp_path / "ckpts" / "my_run" / "older9" / "checkpoints" / "epoch=0-step=200.ckpt")
    touch(tmp_path / "ckpts" / "other_run" / "x" / "checkpoints" / "epoch=5-step=5000.ckpt")
    assert find_recover_checkpoint(values(), tmp_path) == best.resolve()


def test_lightning_version_suffix_and_equal_steps(tmp_path: Path) -> None:
    touch(tmp_path / "ckpts" / "epoch=0-step=50.ckpt", mtime=100)
    newer = touch(tmp_path / "ckpts" / "epoch=0-step=50-v1.ckpt", mtime=200)
    assert find_recover_checkpoint(values(), tmp_path) == newer.resolve()


def test_no_save_dir_looks_where_lightning_puts_them(tmp_path: Path) -> None:
    best = touch(tmp_path / "lightning_logs" / "version_3" / "checkpoints" / "epoch=0-step=7.ckpt")
    assert find_recover_checkpoint(values(save_dir=""), tmp_path) == best.resolve()


def test_nothing_found(tmp_path: Path) -> None:
    assert find_recover_checkpoint(values(), tmp_path) is None
    (tmp_path / "ckpts").mkdir()
    touch(tmp_path / "ckpts" / "notes.txt")
    assert find_recover_checkpoint(values(), tmp_path) is None


def _config(tmp_path: Path, *sets: str):
    ini = (Path(__file__).parent / "seed_defaults.ini").read_text()
    ws = make_workspace(tmp_path / "ws", ini.replace("save_dir = ''", "save_dir = 'ckpts'"))
    # without a logger train.py writes checkpoints straight into save_dir
    return ws, load_run_config(ws, sets=["logger=none", *sets])


def test_apply_recover_sets_ckpt_path_and_says_which(tmp_path: Path) -> None:
    ws, config = _config(tmp_path, "recover=true")
    ckpt = touch(ws / "ckpts" / "epoch=3-step=1200.ckpt")
    new, message = apply_recover(config)
    assert new.values["ckpt_path"] == str(ckpt.resolve())
    assert message == f"recover: resuming from {ckpt.resolve()} (step 1200)"
    assert config.values["ckpt_path"] == ""  # the input is left alone
    assert f"--ckpt-path={ckpt.resolve()}" in new.plan().argv


def test_explicit_ckpt_path_wins(tmp_path: Path) -> None:
    ws, config = _config(tmp_path, "recover=true", "ckpt_path=mine.ckpt")
    touch(ws / "ckpts" / "epoch=3-step=1200.ckpt")
    new, message = apply_recover(config)
    assert new.values["ckpt_path"] == "mine.ckpt"
    assert message is not None and "ckpt_path is set (mine.ckpt)" in message


def test_none_found_starts_fresh_with_a_note(tmp_path: Path) -> None:
    _, config = _config(tmp_path, "recover=true")
    new, message = apply_recover(config)
    assert new.values["ckpt_path"] == ""
    assert message is not None and "starting fresh" in message and "stable_audio_tools" in message


def test_recover_off_does_nothing(tmp_path: Path) -> None:
    ws, config = _config(tmp_path)
    touch(ws / "ckpts" / "epoch=3-step=1200.ckpt")
    assert apply_recover(config) == (config, None)


def test_cached_lookups_list_a_folder_again_only_when_it_changed(tmp_path: Path) -> None:
    folder = tmp_path / "ckpts"
    touch(folder / "epoch=0-step=100.ckpt")
    first = find_recover_checkpoint(values(), tmp_path, cached=True)
    assert first is not None and first.name == "epoch=0-step=100.ckpt"
    # A checkpoint added while the folder's mtime reads as before (a coarse-mtime
    # filesystem): the cached lookup keeps the listing it has, a launch's lookup does not.
    stamp = folder.stat().st_mtime_ns
    newer = touch(folder / "epoch=1-step=200.ckpt")
    os.utime(folder, ns=(stamp, stamp))
    assert find_recover_checkpoint(values(), tmp_path, cached=True) == first
    assert find_recover_checkpoint(values(), tmp_path) == newer.resolve()
    # An ordinary change to the folder is seen by the cached lookup too.
    newest = touch(folder / "epoch=2-step=300.ckpt")
    os.utime(folder, ns=(stamp + 10**9, stamp + 10**9))
    assert find_recover_checkpoint(values(), tmp_path, cached=True) == newest.resolve()
    newest.unlink()
    os.utime(folder, ns=(stamp + 2 * 10**9, stamp + 2 * 10**9))
    assert find_recover_checkpoint(values(), tmp_path, cached=True) == newer.resolve()


def test_a_logger_run_looks_only_under_its_own_name(tmp_path: Path) -> None:
    # save_dir itself holds a logger-less run's files; a wandb run writes under its name
    touch(tmp_path / "ckpts" / "epoch=9-step=9000.ckpt")
    mine = touch(tmp_path / "ckpts" / "my_run" / "id1" / "checkpoints" / "epoch=0-step=10.ckpt")
    assert find_recover_checkpoint(values(logger="wandb"), tmp_path) == mine.resolve()
    assert find_recover_checkpoint(values(logger="wandb", name="other"), tmp_path) is None


def test_a_run_name_with_glob_characters_matches_only_itself(tmp_path: Path) -> None:
    # Unescaped, "exp[12]*" would also match the folders of runs "exp1" and "exp2-long".
    mine = touch(tmp_path / "ckpts" / "exp[12]*" / "id1" / "checkpoints" / "epoch=0-step=10.ckpt")
    touch(tmp_path / "ckpts" / "exp1" / "id2" / "checkpoints" / "epoch=9-step=9000.ckpt")
    touch(tmp_path / "ckpts" / "exp2-long" / "id3" / "checkpoints" / "epoch=9-step=8000.ckpt")
    assert find_recover_checkpoint(values(logger="wandb", name="exp[12]*"), tmp_path) \
        == mine.resolve()
    assert find_recover_checkpoint(values(logger="wandb", name="exp?"), tmp_path) is None


# Checkpoints as stable-audio-tools saves them: each embeds the model config it trained.
MAKE_CKPTS = r'''
import json, sys, torch
folder, mine, theirs = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
def save(name, config):
    state = {"pytorch-lightning_version": "2.1.0", "state_dict": {"model.w": torch.zeros(2)}}
    if config is not None:
        state["model_config"] = config
    torch.save(state, f"{folder}/{name}")
save("epoch=4-step=500.ckpt", theirs)
save("epoch=1-step=100.ckpt", mine)
save("epoch=0-step=50.ckpt", None)
'''


def test_checkpoints_of_another_model_are_skipped(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    from satconf.checks import inspect_checkpoints

    ws, config = _config(tmp_path, "recover=true", "model_config=model.json")
    mine = {"model_type": "autoencoder", "sample_rate": 16000, "model": {"latent_dim": 8}}
    theirs = {**mine, "model": {"latent_dim": 64}}
    (ws / "model.json").write_text(json.dumps(mine))
    (ws / "ckpts").mkdir()
    subprocess.run([sys.executable, "-c", MAKE_CKPTS, str(ws / "ckpts"), json.dumps(mine),
                    json.dumps(theirs)], check=True, timeout=300)
    new, note = apply_recover(config)
    assert Path(new.values["ckpt_path"]).name == "epoch=1-step=100.ckpt"
    assert note is not None and "skipped 1 newer checkpoint(s) of another model" in note
    # The checks judge the checkpoint recover picks, not the empty ckpt_path.
    found = [f for f in inspect_checkpoints(config, None, cache=tmp_path / "c")
             if f.field == "ckpt_path"]
    assert [f.message for f in found] == ["resumes from epoch=1-step=100.ckpt: 1 tensors, "
                                          "Lightning 2.1.0"]
    # Without this run's model config on disk nothing can be told apart: the newest wins.
    (ws / "model.json").unlink()
    assert Path(apply_recover(config)[0].values["ckpt_path"]).name == "epoch=4-step=500.ckpt"


def test_the_demo_writes_into_save_dir_whatever_the_logger(tmp_path: Path) -> None:
    (tmp_path / ".satconf-demo").write_text("0.1.0\n")
    flat = touch(tmp_path / "ckpts" / "epoch=0-step=40.ckpt")
    assert find_recover_checkpoint(values(logger="wandb"), tmp_path) == flat.resolve()


def test_a_logger_less_checkpoint_of_another_run_name_is_skipped(tmp_path: Path) -> None:
    import time
    from datetime import datetime, timezone

    from satconf.runs.records import RunRecord, new_run_id, run_dir, write_record

    ws, config = _config(tmp_path, "recover=true")
    stamp = lambda t: datetime.fromtimestamp(t, timezone.utc).isoformat()  # noqa: E731
    now = time.time()
    # satconf's records: run "other" was going 2 h ago, this run's name 1 h ago
    for name, start in (("other", now - 7200), ("stable_audio_tools", now - 3600)):
        run_id = new_run_id()
        folder = run_dir(run_id)
        folder.mkdir(parents=True)
        write_record(folder, RunRecord(id=run_id, name=name, values={"save_dir": "ckpts",
                     "name": name}, cwd=str(ws), started_at=stamp(start),
                     ended_at=stamp(start + 600)))
    theirs = touch(ws / "ckpts" / "epoch=9-step=900.ckpt", mtime=now - 7000)
    mine = touch(ws / "ckpts" / "epoch=1-step=100.ckpt", mtime=now - 3300)
    new, note = apply_recover(config)
    assert new.values["ckpt_path"] == str(mine.resolve())
    assert note is not None and "a run of another name wrote" in note
    # As that other run, its own checkpoint is the one to resume; a file no record
    # explains (train.py started by hand) is taken as well.
    other = dataclasses.replace(config, values={**config.values, "name": "other"})
    assert apply_recover(other)[0].values["ckpt_path"] == str(theirs.resolve())
    by_hand = touch(ws / "ckpts" / "epoch=20-step=2000.ckpt", mtime=now - 100)
    assert apply_recover(config)[0].values["ckpt_path"] == str(by_hand.resolve())
