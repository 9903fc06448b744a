"""One launch path: the form and the CLI preview, check, refuse and record the same run.

Every surface goes through `satconf.launch` (prepare, then start); these tests
hold the surfaces against each other on the same profiles: the CLI in a real
subprocess, the form as a real app driven by Pilot.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from satconf.profiles import Profile, ProfileStore
from satconf.tui.app import make_app

from checks_support import write_json, write_lightning_checkpoint
from tui_support import SIZE, checked, launchable, settle, sync

MARKER = "started.txt"
TRAIN_PY = f"""\
import os, sys
here = os.path.dirname(os.path.abspath(__file__))
open(os.path.join(here, {MARKER!r}), "w").write(" ".join(sys.argv))
print("started", flush=True)
"""
FORK_EXTRA = "\n# learning rate (a fork's key)\nlr = 1e-4\n# demo every\ndemo_every = 2000\n"
PLAN_KEYS = ("argv", "env", "cwd", "engine", "nodes", "batch_script", "node_commands")


def _profiles(ws: Path) -> dict[str, Profile]:
    out = ws / "out"
    out.mkdir(exist_ok=True)
    write_lightning_checkpoint(out / "epoch=1-step=20.ckpt")
    return {
        "local-gpus": Profile(name="local-gpus", gpus=[0, 1], values={
            "batch_size": 8, "strategy": "ddp_find_unused_parameters_true"}),
        "slurm-2": Profile(name="slurm-2", values={"num_nodes": 2},
                           options={"cluster": {"engine": "slurm", "gpus_per_node": 2,
                                                "partition": "gpu"}}),
        "torchrun": Profile(name="torchrun", values={"num_nodes": 2},
                            options={"cluster": {"engine": "torchrun", "gpus_per_node": 2,
                                                 "master_addr": "node0"}}),
        "recover": Profile(name="recover", values={"recover": "true", "save_dir": "out",
                                                   "logger": "none"}),
        "fork": Profile(name="fork", values={"lr": 3e-4, "demo_every": 500}),
    }


@pytest.fixture
def parity_ws(tmp_path: Path, fake_gpus: Path) -> Path:
    ws = launchable(tmp_path / "ws", TRAIN_PY)
    ini = ws / "defaults.ini"
    ini.write_text(ini.read_text(encoding="utf-8") + FORK_EXTRA, encoding="utf-8")
    store = ProfileStore()
    for prof in _profiles(ws).values():
        prof.workspace = str(ws)
        store.save(prof)
    return ws


def _normal(findings: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    # Free space moves between two reads of the same disk; everything else must match.
    return sorted((f["level"], f["field"] or "", re.sub(r"[\d.]+ GiB", "N GiB", f["message"]))
                  for f in findings)


async def _form_prepared(ws: Path, profile: str) -> Any:
    app = make_app(ws, profile=profile)
    async with app.run_test(size=SIZE) as pilot:
        await checked(app, pilot)
        assert app.preview.prepared is app.state.deep  # the preview shows what f5 starts
        return app.state.deep


@pytest.mark.parametrize("profile", ["local-gpus", "slurm-2", "torchrun", "recover", "fork"])
def test_form_and_cli_preview_and_check_the_same_run(parity_ws: Path, run_satconf,
                                                     profile: str) -> None:
    dry = run_satconf("launch", "--dry-run", "--json", "--profile", profile)
    assert dry.returncode == 0, dry.stderr
    cli = json.loads(dry.stdout)
    check = run_satconf("check", "--json", "--profile", profile)
    assert check.returncode == 0, check.stdout + check.stderr
    form = asyncio.run(_form_prepared(parity_ws, profile)).to_json()
    assert {k: form.get(k) for k in PLAN_KEYS} == {k: cli.get(k) for k in PLAN_KEYS}
    assert form["notes"] == cli["notes"]
    assert _normal(form["findings"]) == _normal(json.loads(check.stdout))
    if profile == "slurm-2":
        assert "#SBATCH --nodes=2\n" in form["batch_script"]
    if profile == "recover":
        assert any(a.startswith("--ckpt-path=") and a.endswith("epoch=1-step=20.ckpt")
                   for a in form["argv"])
    if profile == "fork":
        assert "--lr=0.0003" in form["argv"] and "--demo-every=500" in form["argv"]


VOLATILE = ("id", "started_at", "ended_at", "pid", "pgid", "pid_start", "supervisor_pid",
            "supervisor_start", "exit_code")


def _record(run_id: str) -> dict[str, Any]:
    from satconf.runs import load_run
    from satconf.runs.records import RECORD, run_dir

    load_run(run_id)  # the record is readable
    data = json.loads((run_dir(run_id) / RECORD).read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if k not in VOLATILE}


async def _launch_from_form(ws: Path, profile: str) -> str:
    from satconf.tui.dialogs import ConfirmScreen

    app = make_app(ws, profile=profile)
    async with app.run_test(size=SIZE) as pilot:
        await checked(app, pilot)
        await pilot.press("f5")
        for _ in range(600):
            if isinstance(app.screen, ConfirmScreen):  # warnings: the CLI goes on without a tty
                await pilot.press("y")
            if app.last_run is not None:
                break
            await asyncio.sleep(0.05)
        assert app.last_run is not None
        await settle(app, pilot)  # the run view is mounted before the app goes away
        return str(app.last_run.id)


def test_form_and_cli_record_the_same_run(parity_ws: Path, run_satconf) -> None:
    form_id = asyncio.run(_launch_from_form(parity_ws, "local-gpus"))
    proc = run_satconf("launch", "--json", "--profile", "local-gpus")
    assert proc.returncode == 0, proc.stderr
    cli_id = json.loads(proc.stdout)["run_id"]
    form, cli = _record(form_id), _record(cli_id)
    assert form == cli
    assert form["engine"] == "local" and form["gpus"] == [0, 1]
    assert form["env"]["CUDA_VISIBLE_DEVICES"] == "0,1"


# -- refused everywhere -------------------------------------------------------------------

def _broken(ws: Path, case: str) -> list[str]:
    """`--set` items that break the launchable workspace the way `case` names."""
    if case == "empty model_config":
        return ["model_config="]
    if case == "unknown model_type":
        model = json.loads((ws / "configs" / "model.json").read_text())
        write_json(ws / "configs" / "bad-model.json", {**model, "model_type": "autoencodr"})
        return ["model_config=configs/bad-model.json"]
    if case == "JSON as pretrained_ckpt_path":
        return ["pretrained_ckpt_path=configs/model.json"]
    assert case == "missing ckpt_path"
    return ["ckpt_path=nope.ckpt"]


CASES = ["empty model_config", "unknown model_type", "JSON as pretrained_ckpt_path",
         "missing ckpt_path"]
FIELDS = {"empty model_config": "model_config", "unknown model_type": "model_type",
          "JSON as pretrained_ckpt_path": "pretrained_ckpt_path",
          "missing ckpt_path": "ckpt_path"}


@pytest.mark.parametrize("case", CASES)
def test_cli_launch_refuses_errors(tmp_path: Path, run_satconf, case: str) -> None:
    ws = launchable(tmp_path / "ws", TRAIN_PY)
    sets = [a for item in _broken(ws, case) for a in ("--set", item)]
    proc = run_satconf("launch", "--workspace", str(ws), *sets)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "nothing was launched" in proc.stderr and "Traceback" not in proc.stderr
    assert FIELDS[case] in proc.stderr
    runs = Path(os.environ["SATCONF_HOME"]) / "runs"
    assert not runs.exists() or not any(runs.iterdir())  # no run folder
    assert not (ws / MARKER).exists()  # no process
    dry = run_satconf("launch", "--workspace", str(ws), "--dry-run", *sets)
    assert dry.returncode == 1 and "train.py" in dry.stdout  # the plan, and its errors
    forced = run_satconf("launch", "--workspace", str(ws), "--force", "--json", *sets)
    assert forced.returncode == 0, forced.stderr
    from satconf.runs import load_run

    record = load_run(json.loads(forced.stdout)["run_id"])
    assert record.extra["forced"] is True
    assert any(f["field"] == FIELDS[case] or FIELDS[case] in f["message"]
               for f in record.extra["overridden"])


async def _f5_refused(ws: Path, sets: list[str]) -> None:
    app = make_app(ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        for item in sets:
            key, _, text = item.partition("=")
            app.form.focus_field(key)
            await pilot.pause()
            await pilot.press("end", *["backspace"] * len(app.form.editor(key).value), *text)
        await pilot.press("f5")
        await checked(app, pilot)
        await settle(app, pilot)
        assert app.state.deep is not None and app.state.deep.errors
        assert app.last_run is None


@pytest.mark.parametrize("case", CASES)
def test_form_f5_refuses_the_same_errors(tmp_path: Path, case: str) -> None:
    ws = launchable(tmp_path / "ws", TRAIN_PY)
    asyncio.run(_f5_refused(ws, _broken(ws, case)))
    runs = Path(os.environ["SATCONF_HOME"]) / "runs"
    assert not runs.exists() or not any(runs.iterdir())
    assert not (ws / MARKER).exists()


# -- validated once -----------------------------------------------------------------------

@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    from satconf import runconfig
    from satconf.fields import FieldSet

    counts = {"validate": 0, "encode": 0}
    validate, encode = FieldSet.validate, runconfig.encode_flags

    def counting_validate(self: FieldSet, values: dict[str, Any]) -> Any:
        counts["validate"] += 1
        return validate(self, values)

    def counting_encode(*a: Any, **kw: Any) -> Any:
        counts["encode"] += 1
        return encode(*a, **kw)

    monkeypatch.setattr(FieldSet, "validate", counting_validate)
    monkeypatch.setattr(runconfig, "encode_flags", counting_encode)
    return counts


def test_one_validation_per_launch(tmp_path: Path, counted: dict[str, int],
                                   capsys: pytest.CaptureFixture[str]) -> None:
    from satconf.cli import main

    ws = launchable(tmp_path / "ws", TRAIN_PY)
    assert main(["launch", "--workspace", str(ws), "--dry-run", "--json",
                 "--set", "batch_size=3"]) == 0
    assert counted == {"validate": 1, "encode": 1}
    counted.update(validate=0, encode=0)
    assert main(["launch", "--workspace", str(ws), "--json", "--set", "batch_size=3"]) == 0
    assert counted == {"validate": 1, "encode": 1}
    capsys.readouterr()


@sync
async def test_one_validation_per_keystroke(tmp_path: Path, counted: dict[str, int]) -> None:
    ws = launchable(tmp_path / "ws", TRAIN_PY)
    app = make_app(ws)
    async with app.run_test(size=SIZE) as pilot:
        await checked(app, pilot)
        app.form.focus_field("batch_size")
        await pilot.pause()
        counted.update(validate=0, encode=0)
        await pilot.press("end", "2")
        await pilot.pause()
        assert counted == {"validate": 1, "encode": 1}
        await checked(app, pilot)  # the deeper checks reuse that validation
        assert counted == {"validate": 1, "encode": 1}
        assert "--batch-size=42" in app.preview.command


def test_profiles_save_takes_the_engine_flags_launch_does(launchable_workspace: Path,
                                                          run_satconf) -> None:
    ws = str(launchable_workspace)
    saved = run_satconf("profiles", "save", "big", "--workspace", ws, "--engine", "slurm",
                        "--nodes", "2", "--gpus-per-node", "8", "--partition", "gpu",
                        "--time", "2-00:00:00", "--sbatch=--mem=0")
    assert saved.returncode == 0, saved.stderr
    prof = ProfileStore().load("big")
    assert prof.values["num_nodes"] == 2
    assert prof.options["cluster"] == {"engine": "slurm", "gpus_per_node": 8,
                                       "partition": "gpu", "time_limit": "2-00:00:00",
                                       "extra_sbatch": ["--mem=0"]}
    dry = run_satconf("launch", "--dry-run", "--profile", "big")
    assert dry.returncode == 0, dry.stderr
    for line in ("#SBATCH --nodes=2", "#SBATCH --ntasks-per-node=8", "#SBATCH --gres=gpu:8",
                 "#SBATCH --partition=gpu", "#SBATCH --time=2-00:00:00", "#SBATCH --mem=0"):
        assert line + "\n" in dry.stdout
    bad = run_satconf("profiles", "save", "worse", "--workspace", ws, "--engine", "slurm",
                      "--time", "tomorrow")
    assert bad.returncode == 2 and "time_limit" in bad.stderr and "Traceback" not in bad.stderr
    assert not ProfileStore().exists("worse")
