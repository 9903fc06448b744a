"""The launch use case in-process: `prepare`, `start` and `config_from_record` on real
workspaces, so `make mutate` can judge satconf/launch.py (the launch-path tests drive the
same code through the CLI in subprocesses and through the form, which cost seconds each)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from satconf import launch
from satconf.checks.finding import error, info, warning
from satconf.cluster.options import ClusterOptions, option_errors
from satconf.environment import probe
from satconf.launch import LaunchRefused, Prepared, config_from_record, prepare, start
from satconf.runconfig import RunConfig, load_run_config
from satconf.runs.records import RunError, RunRecord
from satconf.workspace import runs_dir

from checks_support import GOOD_MODEL, write_json
from conftest import wait_for
from tui_support import launchable

Started = list[tuple[RunRecord, Path | None]]  # each run and the folder it is under


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return launchable(tmp_path / "ws", "print('trained', flush=True)\n")


def _config(ws: Path, **values: Any) -> RunConfig:
    config = load_run_config(ws)
    return config.evolve(values={**config.values, **values}) if values else config


@pytest.fixture
def check_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the runs of the checks (the cache in front of them must spare a keystroke)."""
    from satconf.checks import run

    calls: list[int] = []
    real = run.run_checks

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(run, "run_checks", counting)
    launch._CACHE.clear()
    return calls


@pytest.fixture
def started() -> Iterator[Started]:
    """Runs a test starts: each is waited for, so no process outlives the test."""
    from satconf.runs import load_run, run_status

    runs: list[tuple[RunRecord, Path | None]] = []
    yield runs
    for record, base in runs:
        wait_for(lambda r=record, b=base: run_status(load_run(r.id, b)) != "running",
                 "the run to end")


# -- prepare ------------------------------------------------------------------------------

def test_a_good_config_has_a_plan_and_no_errors(ws: Path) -> None:
    prepared = prepare(_config(ws, batch_size=3), submitting=False)
    assert prepared.errors == [] and prepared.plan is not None and prepared.plan_error is None
    assert prepared.engine == "local" and prepared.deep is False and prepared.notes == ()
    assert prepared.preview() == prepared.plan.render()
    assert "--batch-size=3" in prepared.preview()
    data = prepared.to_json()
    assert data["engine"] == "local" and data["notes"] == []
    assert data["argv"][-1] == "--batch-size=3" and data["env"] == {"PYTHONUNBUFFERED": "1"}
    assert data["findings"] == [f.to_json() for f in prepared.findings]


def test_a_value_prefigure_cannot_take_is_an_error_and_no_plan(ws: Path) -> None:
    prepared = prepare(_config(ws, batch_size=0), checks=False)
    assert [f.field for f in prepared.errors] == ["batch_size"]
    assert prepared.plan is None and "batch_size" in (prepared.plan_error or "")
    assert prepared.preview() == f"Cannot build the command: {prepared.plan_error}"
    data = prepared.to_json()
    assert data == {"engine": "local", "plan_error": prepared.plan_error, "notes": [],
                    "findings": [f.to_json() for f in prepared.findings]}
    assert data["findings"][0]["level"] == "error"


def test_checks_off_keeps_the_field_errors_and_leaves_out_the_file_checks(ws: Path) -> None:
    config = _config(ws, batch_size=0, model_config="configs/missing.json")
    quick = prepare(config, checks=False)
    assert {f.field for f in quick.findings} == {"batch_size"}
    full = prepare(config)
    assert {"batch_size", "model_config"} <= {f.field for f in full.errors}


def test_deep_means_the_checks_of_a_training_python_are_in(ws: Path) -> None:
    config = _config(ws)
    env = probe(str(ws / "no-such-python"))  # a real answer: that python does not exist
    assert not env.ok
    assert prepare(config).deep is False
    assert prepare(config, env=env, checks=False).deep is False
    deep = prepare(config, env=env)
    assert deep.deep is True
    assert any("no-such-python" in f.message for f in deep.errors)


def test_findings_come_errors_first(ws: Path) -> None:
    prepared = prepare(_config(ws, batch_size=0, num_nodes=2), checks=False)
    levels = [f.level for f in prepared.findings]
    assert levels == sorted(levels, key=("error", "warning", "info").index)
    later = prepared.with_findings([info("a", "x"), warning("b", "y"), error("c", "z")],
                                   deep=True)
    assert [f.level for f in later.findings] == ["error", "warning", "info"]
    assert later.deep is True and later.plan is prepared.plan
    assert [f.field for f in later.errors] == ["c"] and [f.field for f in later.warnings] == ["b"]


def test_recover_resumes_from_the_newest_checkpoint_and_says_so(ws: Path) -> None:
    out = ws / "out"
    out.mkdir()
    ckpt = out / "epoch=1-step=20.ckpt"
    ckpt.write_bytes(b"")  # recover picks by name; what is inside is the checks' business
    config = _config(ws, recover="true", save_dir=str(out))
    prepared = prepare(config, submitting=False)
    assert prepared.notes == (f"recover: resuming from {ckpt} (step 20)",)
    assert prepared.config.values["ckpt_path"] == str(ckpt)
    assert prepared.plan is not None and f"--ckpt-path={ckpt}" in prepared.plan.local.argv
    assert prepared.to_json()["notes"] == list(prepared.notes)
    plain = prepare(config, recover=False, submitting=False)
    assert plain.notes == () and plain.config.values["ckpt_path"] == ""
    off = prepare(_config(ws, save_dir=str(out)), submitting=False)  # recover = false
    assert off.notes == () and off.config.values["ckpt_path"] == ""


def test_a_missing_engine_module_is_a_finding(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from satconf.runs import engines

    monkeypatch.setitem(engines.MODULES, "local", "satconf.runs.engines.not_installed")
    prepared = prepare(_config(ws), checks=False)
    (found,) = prepared.errors
    assert (found.field, found.message, found.hint) == (
        "cluster.engine", "no engine called 'local'", "pick local, slurm or torchrun")
    assert prepared.plan is None
    assert prepared.preview() == "Cannot build the command: no engine called 'local'"
    with pytest.raises(RunError, match=r"^the config cannot become a command: no engine called"):
        start(prepared, force=True)


def test_engine_option_problems_are_findings_each_time(ws: Path) -> None:
    config = replace(_config(ws), options={"cluster": {"engine": "slurm", "time_limit": "soon",
                                                       "gpus_per_node": 99}})
    for _ in range(2):  # the second answer comes from the cache, as a new list
        prepared = prepare(config, checks=False, submitting=False)
        bad = {(f.field, f.message, f.hint) for f in prepared.errors
               if f.field.startswith("cluster")}
        said = option_errors(config.options["cluster"])
        assert bad == {("cluster.time_limit", said["time_limit"][0], "fix the engine option"),
                       ("cluster.gpus_per_node", said["gpus_per_node"][0],
                        "fix the engine option")}
        assert prepared.engine == "local"  # the defaults stand in while the table is wrong
    table = prepare(replace(config, options={"cluster": ["slurm"]}), checks=False)
    (found,) = [f for f in table.errors if f.field == "cluster"]
    assert found.message == "the cluster options are not a table"
    assert found.hint == "fix [launch.options.cluster] in the profile"
    fixed = prepare(replace(config, options={"cluster": {"engine": "slurm"}}), checks=False,
                    submitting=False)
    assert fixed.engine == "slurm" and not [f for f in fixed.errors
                                            if f.field.startswith("cluster")]


def test_options_for_another_engine_are_kept_and_said_unused(ws: Path) -> None:
    config = replace(_config(ws), options={"cluster": {"engine": "torchrun",
                                                       "partition": "gpu", "account": "a",
                                                       "gpus_per_node": 2}})
    unused = [f for f in prepare(config, checks=False, submitting=False).findings
              if f.level == "info" and f.field and f.field.startswith("cluster.")]
    assert sorted(f.field for f in unused) == ["cluster.account", "cluster.partition"]
    assert unused[0].message.endswith("is set but the torchrun engine does not use it")
    assert unused[0].hint == "it is kept for when the engine is switched back"
    local = replace(config, options={"cluster": {"engine": "local"}})
    assert not [f for f in prepare(local, checks=False).findings if f.level == "info"
                and f.field and f.field.startswith("cluster.")]


def test_inspect_adds_what_only_the_training_python_can_tell(tmp_path: Path) -> None:
    ws = launchable(tmp_path / "ws", "import no_such_module_for_satconf\n")
    env = probe(sys.executable)  # the session's probe of this interpreter (cached)
    assert env.ok
    config = _config(ws)

    def import_errors(prepared: Prepared) -> list[str]:
        return [f.message for f in prepared.errors if "no_such_module_for_satconf" in f.message]

    plain = prepare(config, env=env)
    assert plain.deep and not import_errors(plain)  # no subprocess on a keystroke
    inspected = prepare(config, env=env, inspect=True, timeout=60)
    assert import_errors(inspected) and set(plain.findings) < set(inspected.findings)
    failed = probe(str(ws / "no-such-python"))
    assert not import_errors(prepare(config, env=failed, inspect=True))
    assert not import_errors(prepare(config, inspect=True))


def test_a_preview_leaves_out_what_only_submitting_needs(ws: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))  # no sbatch here
    config = replace(_config(ws), options={"cluster": {"engine": "slurm"}})

    def sbatch_missing(prepared: Prepared) -> bool:
        return any("sbatch is not installed" in f.message for f in prepared.errors)

    assert sbatch_missing(prepare(config, checks=False))  # starting it is the default
    assert not sbatch_missing(prepare(config, checks=False, submitting=False))


def test_one_engine_table_is_validated_once(ws: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    calls: list[int] = []
    real = launch._engine_options

    def counting(config: RunConfig) -> Any:
        calls.append(1)
        return real(config)

    monkeypatch.setattr(launch, "_engine_options", counting)
    launch._OPTIONS_CACHE.clear()
    config = replace(_config(ws), options={"cluster": {"engine": "slurm", "partition": "a"}})
    assert launch.engine_options(config) == launch.engine_options(config)
    assert len(calls) == 1
    launch.engine_options(replace(config, options={"cluster": {"engine": "slurm"}}))
    assert len(calls) == 2


# -- the checks' cache ----------------------------------------------------------------------

def test_unchanged_inputs_reuse_the_checks(ws: Path, tmp_path: Path, check_calls: list[int],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    config = _config(ws)
    first = prepare(config).findings
    assert prepare(_config(ws)).findings == first and len(check_calls) == 1
    config = _config(ws, batch_size=5)
    prepare(config)
    assert len(check_calls) == 2
    monkeypatch.setenv("UNRELATED_TO_SATCONF", "1")
    prepare(config)
    assert len(check_calls) == 2
    for name in ("WANDB_MODE", "COMET_API_KEY", "SATCONF_X"):  # what the logger checks read
        monkeypatch.setenv(name, "changed")
        prepare(config)
    assert len(check_calls) == 5
    prepare(replace(config, gpus=[0]))
    prepare(replace(config, gpus=[0], python="/usr/bin/python3"))
    prepare(replace(config, gpus=[0], python="/usr/bin/python3",
                    options={"cluster": {"engine": "slurm"}}), submitting=False)
    assert len(check_calls) == 8
    prepare(config, inspect=True)  # without a training python there is nothing to inspect
    assert len(check_calls) == 9
    other = launchable(tmp_path / "other", "print('trained', flush=True)\n")
    for name in ("model.json", "dataset.json"):  # files alike to the nanosecond: only the
        for root in (ws, other):                 # folder tells the two runs apart
            os.utime(root / "configs" / name, ns=(10**18, 10**18))
    prepare(config)
    there = prepare(replace(config, workspace=replace(config.workspace, root=other)))
    assert len(check_calls) == 11
    assert any(str(other / "data") in f.message for f in there.findings)


def test_the_checks_of_another_training_python_are_its_own(ws: Path,
                                                           check_calls: list[int]) -> None:
    config = _config(ws)
    for name in ("first-python", "second-python"):
        env = probe(str(ws / name))
        assert any(name in f.message for f in prepare(config, env=env).errors)
    assert len(check_calls) == 2


def _model_type_error(config: RunConfig) -> bool:
    return any(f.field == "model_config" and "model_type" in f.message
               for f in prepare(config).errors)


def test_an_edited_file_is_checked_again(ws: Path, check_calls: list[int]) -> None:
    model = ws / "configs" / "model.json"
    for named in ("configs/model.json", str(model)):  # relative to the workspace, absolute
        write_json(model, GOOD_MODEL)
        os.utime(model, ns=(10**18, 10**18))
        config = _config(ws, model_config=named)
        assert not _model_type_error(config)
        # the same size, a later modification time
        write_json(model, {**GOOD_MODEL, "model_type": "autoencodex"})
        os.utime(model, ns=(10**18, 10**18 + 10**9))
        assert _model_type_error(config)
        # the same modification time, another size
        write_json(model, GOOD_MODEL | {"padding": "x"})
        os.utime(model, ns=(10**18, 10**18 + 10**9))
        assert not _model_type_error(config)
    assert len(check_calls) == 6


def test_a_path_under_home_is_stamped_where_it_is(ws: Path, check_calls: list[int],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(ws))
    config = _config(ws, model_config="~/configs/model.json")
    assert not _model_type_error(config)
    write_json(ws / "configs" / "model.json", {**GOOD_MODEL, "model_type": "autoencodr"})
    assert _model_type_error(config)


def test_values_json_cannot_hold_are_checked_every_time(ws: Path,
                                                        check_calls: list[int]) -> None:
    loop: list[Any] = []
    loop.append(loop)  # json.dumps refuses a cycle: no key, so no caching
    config = replace(_config(ws), options={"note": loop})
    prepare(config)
    prepare(config)
    assert len(check_calls) == 2


# -- start --------------------------------------------------------------------------------

def test_start_refuses_errors_and_says_the_first(ws: Path) -> None:
    prepared = prepare(_config(ws, batch_size=0, num_nodes=0), checks=False)
    with pytest.raises(LaunchRefused) as refused:
        start(prepared)
    first = prepared.errors[0]
    assert str(refused.value) == (f"2 error(s); nothing was launched: {first.field}: "
                                  f"{first.message}")
    assert refused.value.findings == prepared.errors
    whole = LaunchRefused([error(None, "the workspace is gone")])
    assert str(whole) == "1 error(s); nothing was launched: the workspace is gone"
    with pytest.raises(RunError, match=r"^the config cannot become a command: .*batch_size"):
        start(prepared, force=True)
    assert not runs_dir().exists() or not any(runs_dir().iterdir())  # no run folder


def test_start_runs_the_previewed_plan_and_records_it(ws: Path, tmp_path: Path,
                                                      started: Started) -> None:
    prepared = replace(prepare(_config(ws, batch_size=3), submitting=True),
                       notes=("recover: starting fresh",))
    record = start(prepared, base=tmp_path / "runs")
    started.append((record, tmp_path / "runs"))
    assert (tmp_path / "runs" / record.id).is_dir()
    assert record.engine == "local" and record.extra == {}
    assert record.notes == ["recover: starting fresh"]
    assert record.argv == list(prepared.plan.local.argv) and record.values["batch_size"] == 3


def test_a_forced_start_records_what_it_overrode(ws: Path, started: Started) -> None:
    good = prepare(_config(ws), checks=False)
    bad = good.with_findings([*good.findings, error("ckpt_path", "no such file"),
                              warning("seed", "w")], deep=False)
    with pytest.raises(LaunchRefused):
        start(bad)
    record = start(bad, force=True)
    started.append((record, None))
    assert record.extra == {"forced": True, "overridden": [
        {"level": "error", "field": "ckpt_path", "message": "no such file", "hint": ""}]}
    assert record.notes == []


def test_start_refuses_an_engine_this_satconf_lacks(ws: Path) -> None:
    prepared = prepare(_config(ws), checks=False)
    gone = replace(prepared, options=ClusterOptions.model_construct(engine="kubernetes"))
    with pytest.raises(RunError, match=r"^no engine called 'kubernetes'$"):
        start(gone)


# -- relaunch -----------------------------------------------------------------------------

def test_a_record_gives_back_its_settings_on_the_workspace_as_it_is(ws: Path) -> None:
    record = RunRecord(id="r1", engine="slurm", profile="big", workspace=str(ws),
                       values={"batch_size": 7, "gone_key": 1}, gpus=[1],
                       python="/usr/bin/python3", extra={"cluster": {"partition": "gpu"}})
    config = config_from_record(record)
    assert config.workspace.root == ws
    assert config.values["batch_size"] == 7 and "gone_key" not in config.values
    assert config.values["name"] == "stable_audio_tools"  # the INI's, for keys not recorded
    assert config.gpus == [1] and config.profile == "big" and config.python == "/usr/bin/python3"
    assert config.python_reason == "the python run r1 used"
    assert config.options["cluster"] == {"engine": "slurm", "partition": "gpu"}
    assert prepare(config, checks=False, submitting=False).engine == "slurm"


def test_a_local_record_keeps_the_workspace_python_and_no_engine_table(ws: Path) -> None:
    record = RunRecord(id="r2", engine="local", workspace=str(ws), values={},
                       python="", extra={"cluster": {"partition": "gpu"}})
    config = config_from_record(record)
    assert config.python == load_run_config(ws).python
    assert "cluster" not in config.options and config.gpus is None and config.profile is None
    odd = RunRecord(id="r3", engine="slurm", workspace=str(ws), extra={"cluster": "x"})
    assert "cluster" not in config_from_record(odd).options
