"""recover without a logger: satconf's run records tell another run's flat checkpoints apart.

A checkpoint in a shared save_dir is skipped when only runs of another name were going in
that folder when it was written (give or take `SLACK_S`); a file no record explains is taken.
Records are written with the real records API; no run is started.
"""

from __future__ import annotations

import itertools
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from satconf.runs import find_recover_checkpoint, recover
from satconf.runs.records import RECORD, RunRecord, run_dir, write_record
from satconf.runs.recover import SLACK_S, SPAN_REUSE_S, pick_checkpoint

pytestmark = pytest.mark.unprobed  # nothing here needs the training python's probe

T = 1_700_000_000  # a whole second: spans and file times compare exactly
_ids = itertools.count()


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).isoformat()


def record(cwd: Path | str, name: str | None, start: float | str | None,
           end: float | None = None, **values: object) -> Path:
    """A run record as `satconf launch` leaves it; `values` default to save_dir 'ckpts'."""
    run_id = f"20231114-000000-{next(_ids):04x}"
    folder = run_dir(run_id)
    folder.mkdir(parents=True)
    vals = {"save_dir": "ckpts", **({"name": name} if name else {}), **values}
    started = start if isinstance(start, str) or start is None else iso(start)
    write_record(folder, RunRecord(id=run_id, name=name, values=vals, cwd=str(cwd),
                                   started_at=started, ended_at=iso(end) if end else None))
    return folder


def ckpt(folder: Path, step: int, mtime: float) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"epoch=0-step={step}.ckpt"
    path.write_bytes(b"ckpt")
    os.utime(path, (mtime, mtime))
    return path.resolve()


def mine(name: str = "mine", **kw: object) -> dict[str, object]:
    return {"name": name, "save_dir": "ckpts", "logger": "none", **kw}


def test_the_span_of_another_run_includes_the_slack_and_no_more(tmp_path: Path) -> None:
    record(tmp_path, "other", T, T + 600)
    d = tmp_path / "ckpts"
    ckpt(d, 400, T - SLACK_S)        # the first second that counts
    ckpt(d, 300, T + 600 + SLACK_S)  # the last one
    ckpt(d, 200, T - SLACK_S / 2)    # inside the slack before the start
    taken = ckpt(d, 100, T + 600 + SLACK_S + 1)
    ckpt(d, 50, T - SLACK_S - 1)
    assert pick_checkpoint(mine(), tmp_path) == (taken, 0, 3)
    # Another run's span never hides this run's own checkpoints.
    assert pick_checkpoint(mine("other"), tmp_path) == (d.resolve() / "epoch=0-step=400.ckpt",
                                                        0, 0)


def test_an_ended_run_explains_only_its_own_time_and_folder(tmp_path: Path) -> None:
    record(tmp_path, "other", T, T + 600)
    record(tmp_path, "other", T + 4000, T + 5000, save_dir="elsewhere")
    # written long after "other" ended there, while it ran in another folder: nobody's
    later = ckpt(tmp_path / "ckpts", 900, T + 4500)
    assert pick_checkpoint(mine(), tmp_path) == (later, 0, 0)


def test_a_run_without_an_end_lasts_until_its_last_sign_of_life(tmp_path: Path) -> None:
    folder = record(tmp_path, "other", T)  # lost, or still going: no ended_at
    os.utime(folder / RECORD, (T + 3600, T + 3600))
    d = tmp_path / "ckpts"
    ckpt(d, 900, T + 3000)
    after = ckpt(d, 800, T + 3600 + SLACK_S + 1)
    assert pick_checkpoint(mine(), tmp_path) == (after, 0, 1)


def test_a_record_without_a_save_dir_explains_its_working_folder(tmp_path: Path) -> None:
    record(tmp_path, "other", T, T + 600, save_dir="")
    ckpt(tmp_path, 900, T + 300)
    assert pick_checkpoint(mine(save_dir=""), tmp_path) == (None, 0, 1)


def test_a_run_in_another_workspace_writing_to_a_shared_save_dir_counts(
        tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    record(tmp_path / "ws-b", "other", T, T + 600, save_dir=str(shared))
    ckpt(shared, 900, T + 300)
    mine_ = ckpt(shared, 100, T + 9000)
    assert pick_checkpoint(mine(save_dir=str(shared)), tmp_path / "ws-a") == (mine_, 0, 1)


def test_records_that_cannot_say_where_or_when_explain_nothing(tmp_path: Path) -> None:
    d = tmp_path / "ckpts"
    # no cwd (with an absolute save_dir it would match), an unreadable start (listed
    # first: it sorts after every real time), a tampered cwd: each is passed over
    record("", "other", T, T + 600, save_dir=str(d))
    record(tmp_path, "other", "not a time", T + 600)
    record("/x\x00y", "other", T + 100, T + 600)
    ckpt(d, 900, T + 300)
    assert pick_checkpoint(mine(), tmp_path)[2] == 0
    record(tmp_path, "other", T, T + 600)  # ...and the readable ones after them count
    assert pick_checkpoint(mine(), tmp_path)[2] == 1


@pytest.mark.parametrize(("run_name", "values_name", "mine_"), [
    (None, "mine", "mine"),  # an older record: the name only in its values
    ("mine", None, "mine"),  # the record's own name, values without one
    (None, None, ""),        # an unnamed run is another unnamed run's
])
def test_a_records_run_name_comes_from_the_record_then_its_values(
        tmp_path: Path, run_name: str | None, values_name: str | None, mine_: str) -> None:
    folder = run_dir(f"20231114-000000-{next(_ids):04x}")
    folder.mkdir(parents=True)
    vals = {"save_dir": "ckpts", **({"name": values_name} if values_name else {})}
    write_record(folder, RunRecord(id=folder.name, name=run_name, values=vals,
                                   cwd=str(tmp_path), started_at=iso(T), ended_at=iso(T + 600)))
    own = ckpt(tmp_path / "ckpts", 900, T + 300)
    assert pick_checkpoint(mine(mine_), tmp_path) == (own, 0, 0)
    assert pick_checkpoint(mine("someone"), tmp_path) == (None, 0, 1)


def test_the_preview_rereads_the_records_after_a_few_seconds(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(recover, "_clock", lambda: now[0])
    d = tmp_path / "ckpts"
    first = ckpt(d, 900, T + 300)
    second = ckpt(d, 800, T + 2300)
    third = ckpt(d, 700, T + 9000)
    assert find_recover_checkpoint(mine(), tmp_path, cached=True) == first
    record(tmp_path, "other", T, T + 600)  # written after the preview read the records
    now[0] += SPAN_REUSE_S - 0.25  # (steps a float holds exactly)
    assert find_recover_checkpoint(mine(), tmp_path, cached=True) == first  # reused
    now[0] += 0.25
    assert find_recover_checkpoint(mine(), tmp_path, cached=True) == second  # expired
    # A launch never reuses them, whatever their age.
    record(tmp_path, "other", T + 2000, T + 2600)
    assert find_recover_checkpoint(mine(), tmp_path, cached=True) == second
    assert find_recover_checkpoint(mine(), tmp_path) == third
