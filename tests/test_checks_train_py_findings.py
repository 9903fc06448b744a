"""Keys train.py never reads, and num_workers = 0 against persistent DataLoader workers:
the exact finding for each train.py."""

from __future__ import annotations

from pathlib import Path

from satconf.checks import Finding
from satconf.checks.context import Context
from satconf.checks.train_py import check_num_workers, check_unread_keys, needs_package

from checks_support import TRAIN_PY, config_for, good_workspace

LOADER = ("import torch\n\n"
          "def make(ds):\n"
          "    return torch.utils.data.DataLoader(ds, persistent_workers=True)\n")


def _ctx(ws: Path, **values: object) -> Context:
    return Context.of(config_for(ws, **values), None)


def test_each_unread_key_is_one_info(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    with (ws / "defaults.ini").open("a") as ini:  # after the stop key: never registered
        ini.write("wandb_config = ''\nlate = 1\n")
    assert check_unread_keys(_ctx(ws)) == [
        Finding("info", "project", "train.py never reads args.project: setting it changes "
                "nothing"),
        Finding("info", "recover", "train.py never reads args.recover; satconf acts on it: "
                "before launch it passes the newest checkpoint of this run as ckpt_path"),
        Finding("info", "save_top_k", "train.py never reads args.save_top_k: setting it "
                "changes nothing")]


def test_a_train_py_that_reads_no_key_or_any_key(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    (ws / "train.py").write_text("print('hello')\n")
    assert check_unread_keys(_ctx(ws)) == [Finding(
        "info", None, f"{ws / 'train.py'} reads no args.<key> at all: no setting here would "
        "change what it does", "is this the right train.py (a placeholder, or one with its "
        "own parser)?")]
    (ws / "train.py").write_text("args = get_all_args()\nprint(getattr(args, name))\n")
    assert check_unread_keys(_ctx(ws)) == []
    (ws / "train.py").write_text("def (:\n")
    assert check_unread_keys(_ctx(ws)) == []


def test_a_package_is_needed_when_train_py_imports_it(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    assert needs_package(_ctx(ws), "prefigure")  # from prefigure.prefigure import ...
    assert not needs_package(_ctx(ws), "wandb")
    (ws / "train.py").write_text("import json\n")
    assert not needs_package(_ctx(ws), "prefigure")
    (ws / "train.py").write_text("def main():\n    from prefigure.prefigure import x\n")
    assert needs_package(_ctx(ws), "prefigure")
    (ws / "train.py").write_text("def (:\n")  # cannot be told: assume it does
    assert needs_package(_ctx(ws), "wandb")


def test_persistent_workers_in_train_py_or_a_module_it_imports(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    (ws / "train.py").write_text(TRAIN_PY + LOADER)
    (found,) = check_num_workers(_ctx(ws, num_workers=0))
    line = len(TRAIN_PY.splitlines()) + 4
    assert found == Finding(
        "error", "num_workers", f"num_workers = 0, but train.py line {line} builds its "
        "DataLoader with persistent_workers=True: train.py would stop at once with "
        "\"ValueError: persistent_workers option needs num_workers > 0\"",
        "set num_workers to 1 or more (stable-audio-tools' default is 6)")
    assert check_num_workers(_ctx(ws, num_workers=1)) == []
    assert check_num_workers(_ctx(ws, num_workers="many")) == []  # a type error says it
    (ws / "train.py").write_text("import loaders\n" + TRAIN_PY)
    (ws / "loaders.py").write_text(LOADER)
    (found,) = check_num_workers(_ctx(ws, num_workers=0))
    assert "but loaders.py line 4 builds" in found.message


def test_zero_workers_elsewhere(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    assert check_num_workers(_ctx(ws, num_workers=0)) == []  # no persistent workers
    (ws / "train.py").write_text("def (:\n" + LOADER)
    assert check_num_workers(_ctx(ws, num_workers=0)) == []  # unparsable: nothing known
    (ws / "train.py").write_text("import broken, loaders\n" + TRAIN_PY)
    (ws / "broken.py").write_text("def (:\n")  # a module of its own that does not parse
    (ws / "loaders.py").write_text(LOADER)
    (found,) = check_num_workers(_ctx(ws, num_workers=0))
    assert "but loaders.py line 4 builds" in found.message
    (ws / "loaders.py").unlink()
    (ws / "train.py").write_text(TRAIN_PY)
    (ws / ".satconf-demo").write_text("")
    assert check_num_workers(_ctx(ws, num_workers=0)) == [Finding(
        "info", "num_workers", "num_workers = 0: the demo trainer accepts it; "
        "stable-audio-tools' train.py does not (its DataLoaders use persistent_workers=True, "
        "which needs num_workers > 0)")]
    assert check_num_workers(_ctx(ws, num_workers=2)) == []
