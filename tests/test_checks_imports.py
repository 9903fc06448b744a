"""train.py's top-level imports, tried in the real training python (this interpreter)."""

from __future__ import annotations

import sys
from pathlib import Path

from satconf.checks import inspect_checkpoints, run_checks
from satconf.checks.context import Context
from satconf.checks.imports import statements
from satconf.import_probe import cached_imports

from checks_support import config_for, environment, good_workspace

# Never runs main: a probe that ran it would leave this file behind.
BROKEN_TRAIN_PY = '''\
"""A fork's train.py: one import fails, as Lightning 2.1 does without pkg_resources."""
import json
import oldlightning  # a module of this checkout that imports pkg_resources
from prefigure.prefigure import get_all_args

def main():
    open("main-ran", "w").write("yes")
    args = get_all_args()
    print(args.batch_size)

main()
'''


def _env():
    return environment(python=sys.executable)


def _slow(ws: Path, cache: Path | None):
    return inspect_checkpoints(config_for(ws), _env(), cache=cache)


def test_the_first_failing_import_is_one_error_with_its_line(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    (ws / "train.py").write_text(BROKEN_TRAIN_PY)
    (ws / "oldlightning.py").write_text("import pkg_resources\n")
    (found,) = [f for f in _slow(ws, None) if f.level == "error"]  # satconf's own cache
    assert found.message.startswith("train.py line 3: `import oldlightning` fails")
    assert "No module named 'pkg_resources'" in found.message
    assert "setuptools<81" in found.hint
    assert not (ws / "main-ran").exists()  # main never ran
    # The fast checks repeat it from the cache, without a subprocess.
    assert found in run_checks(config_for(ws), _env())


def test_a_package_that_breaks_on_import(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    (ws / "train.py").write_text("import json\nimport clash\nargs = 1\n")
    (ws / "clash.py").write_text("raise ImportError(\"cannot import name 'builder' from "
                                 "'google.protobuf.internal'\")\n")
    (found,) = [f for f in _slow(ws, tmp_path / "c") if f.level == "error"]
    assert "line 2" in found.message and "cannot import name 'builder'" in found.message
    assert "wandb==0.15.4" in found.hint


def test_valid_imports_give_nothing_and_are_probed_once(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    (ws / "train.py").write_text("import json, os\nfrom pathlib import Path\n"
                                 "args = get_all_args()\nprint(args.batch_size)\n")
    cache = tmp_path / "c"
    assert not [f for f in _slow(ws, cache) if "import" in f.message]
    ctx = Context.of(config_for(ws), _env())
    todo, _where, local = statements(ctx)
    assert todo == ("import json, os", "from pathlib import Path") and not local
    hit = cached_imports(sys.executable, ws, todo, cache=cache / "imports", local=False)
    assert hit is not None and hit.ok
    # Another workspace with the same (non-local) imports reuses the answer.
    other = good_workspace(tmp_path / "other")
    (other / "train.py").write_text((ws / "train.py").read_text())
    assert cached_imports(sys.executable, other, todo, cache=cache / "imports", local=False)


def test_the_checkouts_package_must_import(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    (ws / "train.py").write_text("import json\nargs = get_all_args()\nprint(args.seed)\n")
    pkg = ws / "stable_audio_tools"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("import safetensors_not_installed_here\n")
    (found,) = [f for f in _slow(ws, tmp_path / "c") if f.level == "error"]
    assert "cannot import stable_audio_tools, this workspace's package" in found.message
    assert "No module named 'safetensors_not_installed_here'" in found.message
    assert "--python" in found.hint and "pip install -e" in found.hint
    (pkg / "__init__.py").write_text("VERSION = '1'\n")
    assert not [f for f in _slow(ws, tmp_path / "c2") if f.level == "error"]


def test_lightning_that_fails_to_import_is_an_error_not_a_version(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    problem = ("pytorch_lightning.strategies.StrategyRegistry: ModuleNotFoundError: "
               "No module named 'pkg_resources'")
    found = run_checks(config_for(ws), environment(problems=(problem,),
                                                    pytorch_lightning="2.1.0"))
    (broken,) = [f for f in found if f.level == "error" and "cannot import" in f.message]
    assert "pkg_resources" in broken.message and "setuptools<81" in broken.hint
    assert not [f for f in found if f.message.startswith("probe:")]  # not a mere warning
    (line,) = [f for f in found if f.message.startswith("training python")]
    assert "Lightning 2.1.0 (fails to import)" in line.message


def test_the_probe_scripts_never_let_their_folder_shadow_the_stdlib(tmp_path: Path) -> None:
    """Run by path, a script's folder comes first on sys.path: satconf's own package (which
    has a `queue` subpackage) would hide the stdlib module of that name from torch."""
    import shutil
    import subprocess

    import satconf

    here = Path(satconf.__file__).parent
    for script in ("probe_main.py", "ckpt_inspect.py"):
        shutil.copy(here / script, tmp_path / script)
    (tmp_path / "queue.py").write_text("raise ImportError('the shadowing queue module')\n")
    probe = subprocess.run([sys.executable, str(tmp_path / "probe_main.py")],
                           capture_output=True, text=True, timeout=300, check=True)
    assert '"torch": "' in probe.stdout and "shadowing" not in probe.stdout
    ckpt = tmp_path / "w.ckpt"  # a torch file: reading it imports torch in the script
    subprocess.run([sys.executable, "-c", "import sys, torch; torch.save({'state_dict': "
                    "{'encoder.w': torch.zeros(1)}}, sys.argv[1])", str(ckpt)],
                   check=True, timeout=300)
    out = subprocess.run([sys.executable, str(tmp_path / "ckpt_inspect.py"), str(ckpt)],
                         capture_output=True, text=True, timeout=300, check=True)
    assert '"n_keys": 1' in out.stdout and "shadowing" not in out.stdout
