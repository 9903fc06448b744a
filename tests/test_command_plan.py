"""What a LaunchPlan holds besides the flags the argv oracle judges: the environment train.py
gets, the shell line a user pastes, the JSON the CLI prints, and the words of every refusal
(a user reads them to learn which defaults.ini line to change)."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path, PurePath
from typing import Any

import pytest

from satconf.command import LaunchPlan, PlanError, encode_flags
from satconf.defaults_ini import read_defaults_ini
from satconf.fields import FieldSet, build_fieldset
from satconf.runconfig import RunConfig
from satconf.workspace import Workspace

from conftest import make_workspace
from prefig import parse

pytestmark = pytest.mark.unprobed  # nothing here needs the training python's probe

SHOW = """\
import json, os, sys
print(json.dumps({"argv": sys.argv[1:], "cwd": os.getcwd(),
                  "cuda": os.environ.get("CUDA_VISIBLE_DEVICES"),
                  "unbuffered": os.environ.get("PYTHONUNBUFFERED")}))
"""

INI = """\
[DEFAULTS]
name = run
precision = 32
use_ema = True
off_switch = False
project = None
out = 'my_dir/x'
layers = [1, 2, 3]
lr = 1e-05
demo_every = 2000
tag = "-leading"
code = "5"
config_file = 'later.ini'
after_stop = 1
"""


def _config(root: Path, gpus: list[int] | None = None, **values: Any) -> RunConfig:
    ws = Workspace(root, root / "train.py", root / "defaults.ini")
    fields = build_fieldset(read_defaults_ini(ws.defaults_ini))
    return RunConfig(workspace=ws, fields=fields, values={**fields.defaults(), **values},
                     gpus=gpus, python=sys.executable)


@pytest.fixture
def odd_root(tmp_path: Path) -> Path:
    return make_workspace(tmp_path / "it's a ws", train_py=SHOW)


def test_the_shell_line_runs_what_the_plan_runs(odd_root: Path) -> None:
    plan = _config(odd_root, gpus=[1, 0], name="it's $HOME `x`").plan()
    assert plan.env == {"PYTHONUNBUFFERED": "1", "CUDA_VISIBLE_DEVICES": "1,0"}
    assert plan.cwd == str(odd_root) and plan.argv[1] == "train.py"
    line = plan.shell()
    assert line == (f"cd {shlex.quote(str(odd_root))} && PYTHONUNBUFFERED=1 "
                    f"CUDA_VISIBLE_DEVICES=1,0 {shlex.join(plan.argv)}")
    out = subprocess.run(["bash", "-c", line], capture_output=True, text=True, check=True,
                         cwd="/", env={"PATH": "/usr/bin:/bin"})
    ran = json.loads(out.stdout)
    assert ran == {"argv": ["--name=it's $HOME `x`"], "cwd": str(odd_root), "cuda": "1,0",
                   "unbuffered": "1"}


def test_the_gpu_selection_is_what_train_py_sees(odd_root: Path) -> None:
    assert _config(odd_root).plan().env == {"PYTHONUNBUFFERED": "1"}  # all visible
    assert _config(odd_root, gpus=[]).plan().env == {"PYTHONUNBUFFERED": "1",
                                                     "CUDA_VISIBLE_DEVICES": ""}  # none
    assert _config(odd_root, gpus=[3]).plan().env["CUDA_VISIBLE_DEVICES"] == "3"


def test_a_plan_as_json_and_its_defaults(odd_root: Path) -> None:
    plan = _config(odd_root, gpus=[0]).plan()
    assert plan.to_json() == {"argv": [sys.executable, "train.py", "--name=stable_audio_tools"],
                              "env": {"PYTHONUNBUFFERED": "1", "CUDA_VISIBLE_DEVICES": "0"},
                              "cwd": str(odd_root)}
    json.dumps(plan.to_json())
    bare = LaunchPlan(argv=("python", "train.py"))
    assert bare.to_json() == {"argv": ["python", "train.py"], "env": {}, "cwd": "."}
    assert bare.shell() == "cd . && python train.py"


def test_train_py_outside_the_workspace_is_named_in_full(odd_root: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere" / "train.py"
    config = _config(odd_root)
    ws = Workspace(odd_root, other, odd_root / "defaults.ini")
    plan = RunConfig(workspace=ws, fields=config.fields, values=config.values,
                     python="python").plan()
    assert plan.argv[:2] == ("python", str(other))
    # the INI beside train.py, named another way, is still the one prefigure reads itself
    same = Workspace(odd_root, odd_root / "train.py", odd_root / "." / "defaults.ini")
    plan = RunConfig(workspace=same, fields=config.fields, values=config.values,
                     python="python").plan()
    assert not [a for a in plan.argv if a.startswith("--config-file")]


def test_a_plan_error_says_every_problem_by_key(odd_root: Path) -> None:
    config = _config(odd_root, project=3, lr="fast")
    with pytest.raises(PlanError) as raised:
        config.plan()
    assert raised.value.problems == config.errors()
    assert str(raised.value) == "; ".join(f"{k}: {m}" for k, ms in config.errors().items()
                                          for m in ms)
    both = PlanError({"a": ["x", "y"], "b": ["z"]})
    assert str(both) == "a: x; a: y; b: z" and both.problems == {"a": ["x", "y"], "b": ["z"]}


@pytest.fixture(scope="module")
def fields(tmp_path_factory: pytest.TempPathFactory) -> FieldSet:
    root = make_workspace(tmp_path_factory.mktemp("ini"), INI)
    return build_fieldset(read_defaults_ini(root / "defaults.ini"))


def _encode(fields: FieldSet, **changes: Any) -> tuple[list[str], dict[str, list[str]]]:
    flags, errors = encode_flags(fields, {**fields.defaults(), **changes})
    return [f for f in flags if f not in ("--name=run", "--use-ema", "--out=my_dir/x")], errors


REFUSALS = {
    "name": ({"name": 3}, "the run name must be text"),
    "seed": ({"seed": 7}, "defaults.ini has no `seed` key, so train.py has no --seed flag; "
                          "add the key to defaults.ini to set it"),
    "after_stop": ({"after_stop": 2}, "prefigure stops reading defaults.ini at a "
                   "`wandb_config`/`config_file` key, so --after-stop (line 14) does not exist; "
                   "move that key to the end"),
    "layers": ({"layers": [4]}, "defaults.ini line 8 has `layers = [1, 2, 3]` (a list); "
               "argparse cannot pass a new value for it, so change it in defaults.ini"),
    "use_ema": ({"use_ema": "yes"}, "defaults.ini line 4 has `use_ema = True` (a True/False "
                "switch); the value must be true or false"),
    "project": ({"project": 3}, "defaults.ini line 6 has `project = None`, so --project only "
                "takes text"),
    "precision": ({"precision": "bf16"}, "defaults.ini line 3 has `precision = 32` (a whole "
                  "number), so --precision only takes a whole number; quote the value on that "
                  'line (`precision = "32"`) to allow text'),
    "lr": ({"lr": "fast"}, "defaults.ini line 9 has `lr = 1e-05` (a number), so --lr only takes "
           'a number; quote the value on that line (`lr = "1e-05"`) to allow text'),
    "out": ({"out": ""}, "defaults.ini line 7 has `out = 'my_dir/x'`; prefigure turns any "
            "--out value into a path, so it cannot be empty"),
}


def test_exactly_two_dashes_are_refused_where_argparse_would_drop_them(fields: FieldSet,
                                                                       tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws", INI)
    assert parse(["python", "train.py", "--tag=--"], root).tag == []  # why
    for key in ("name", "tag", "project", "out"):
        assert _encode(fields, **{key: "--"})[1] == {key: [
            f"argparse cannot pass the text `--` to {fields[key].flag}; write another value"]}
    assert _encode(fields, tag="-- x") == (["--tag=-- x"], {})


@pytest.mark.parametrize("key", list(REFUSALS))
def test_each_refusal_names_what_to_change(fields: FieldSet, key: str) -> None:
    changes, message = REFUSALS[key]
    assert _encode(fields, **changes)[1] == {key: [message]}


def test_values_left_out_are_the_inis(fields: FieldSet) -> None:
    assert encode_flags(fields, {}) == (["--name=run", "--use-ema", "--out=my_dir/x"], {})
    assert encode_flags(fields, {"lr": 0.5}) == (
        ["--name=run", "--use-ema", "--out=my_dir/x", "--lr=0.5"], {})


def test_values_that_are_not_numbers_are_refused_for_number_flags(fields: FieldSet) -> None:
    for key in ("demo_every", "lr"):
        for bad in (True, None, "x", [1]):
            assert list(_encode(fields, **{key: bad})[1]) == [key], (key, bad)
    assert list(_encode(fields, demo_every=3.5)[1]) == ["demo_every"]
    # a seed key the INI lacks: only its own default (in any number type) is accepted
    assert _encode(fields, batch_size=4.0) == ([], {})
    assert list(_encode(fields, num_nodes=True)[1]) == ["num_nodes"]  # True is not 1 here


# (key, value, the flag passed or None, what train.py's prefigure then holds)
ENCODINGS: list[tuple[str, Any, str | None, Any]] = [
    ("demo_every", 3.0, "--demo-every=3", 3), ("demo_every", "7", "--demo-every=7", 7),
    ("demo_every", 2000.0, None, 2000),
    ("lr", 2, "--lr=2.0", 2.0), ("lr", "0.5", "--lr=0.5", 0.5), ("lr", 1e-05, None, 1e-05),
    ("lr", "1e-05", None, 1e-05),
    ("tag", True, "--tag=true", "true"), ("tag", False, "--tag=false", "false"),
    ("tag", PurePath("a/b"), "--tag=a/b", "a/b"), ("tag", 5, "--tag=5", "5"),
    ("tag", "-leading", None, "-leading"),
    ("code", 5, None, "5"),  # the INI's text already: no flag to say it again
    ("use_ema", False, None, False), ("off_switch", True, "--off-switch", True),
    ("project", None, None, None), ("project", "p", "--project=p", "p"),
    ("out", PurePath("x/y"), "--out=x/y", Path("x/y")),
]


def test_values_become_the_flag_prefigure_reads_back(fields: FieldSet, tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws", INI)
    for key, value, flag, parsed in ENCODINGS:
        flags, errors = encode_flags(fields, {**fields.defaults(), key: value})
        assert errors == {}, (key, value)
        ours = [f for f in flags if f.split("=")[0] == fields[key].flag]
        assert ours == ([flag] if flag else []), (key, value, flags)
        got = getattr(parse(["python", "train.py", *flags], root), key)
        assert got == parsed and type(got) is type(parsed), (key, value, got)
