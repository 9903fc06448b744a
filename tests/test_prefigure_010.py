"""The same argv must also hold for prefigure 0.0.10 (the latest), run in its own process.

0.0.10 lives beside 0.0.9 in a `--target` folder (the Makefile installs it
without dependencies), so it is imported in a subprocess with that folder
first on sys.path. Differences from 0.0.9: the INI's `name` is a normal key
and the config file must end in `.ini`. Its package `__init__` imports
gradio, so only its parser module is loaded.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from satconf.defaults_ini import read_defaults_ini
from satconf.fields import build_fieldset
from satconf.runconfig import RunConfig
from satconf.workspace import Workspace

from conftest import make_workspace

TARGET = Path(sys.prefix) / "prefigure-0.0.10"

SCRIPT = r"""
import json, os, sys
from pathlib import PurePath
import importlib.util
# Only the parser module: the package __init__ also imports a gradio UI (ofc.py).
spec = importlib.util.spec_from_file_location(
    "prefigure_010", os.path.join(sys.argv[1], "prefigure", "prefigure.py"))
prefigure = importlib.util.module_from_spec(spec)
spec.loader.exec_module(prefigure)
jobs = json.load(sys.stdin)
out = []
for job in jobs:
    os.chdir(job["cwd"])
    sys.argv = ["train.py", *job["argv"][2:]]
    ns = vars(prefigure.get_all_args())
    out.append({k: (["path", str(v)] if isinstance(v, PurePath) else v) for k, v in ns.items()})
print("@@" + json.dumps(out))
"""

EDGE_INI = """\
[DEFAULTS]
name = stable_audio_tools
batch_size = 4
recover = false
project = None
precision = "16-mixed"
use_ema = True
out = 'my_dir/x'
lr = 1e-05
"""

CASES: list[dict[str, Any]] = [
    {},
    {"name": "-dash ♪ 'q'", "batch_size": 9, "recover": True, "project": "",
     "precision": "bf16-mixed", "use_ema": False, "out": "a b/c_dir", "lr": -0.5},
    {"name": "", "project": "-p", "use_ema": True, "out": "--x"},
]


@pytest.mark.skipif(not TARGET.is_dir(), reason="prefigure 0.0.10 not installed (make test does)")
def test_prefigure_0_0_10_parses_the_same_argv(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws", EDGE_INI)
    ws = Workspace(root, root / "train.py", root / "defaults.ini")
    fields = build_fieldset(read_defaults_ini(ws.defaults_ini))
    jobs, wanted = [], []
    for case in CASES:
        values = {**fields.defaults(), **case}
        config = RunConfig(workspace=ws, fields=fields, values=values, python="python")
        assert config.errors() == {}
        jobs.append({"argv": list(config.plan().argv), "cwd": str(root)})
        wanted.append(fields.validate(values)[0])
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(TARGET)], input=json.dumps(jobs),
        capture_output=True, text=True, timeout=120, env={"WANDB_MODE": "disabled",
                                                          "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads(proc.stdout.split("@@", 1)[1])
    for got, want in zip(results, wanted, strict=True):
        for spec in fields:
            if spec.ini is None:
                continue
            value = got[spec.key]
            if isinstance(value, list) and value[:1] == ["path"]:
                assert Path(value[1]) == Path(want[spec.key])
            else:
                back = fields.validate({**want, spec.key: value})[0][spec.key]
                assert back == want[spec.key], (spec.key, value, want[spec.key])
