"""What the import check runs, when it stays silent, and the exact words of each finding.

The training python is this interpreter (or a small script standing in for a broken one);
the probes run in real subprocesses, each in a cache folder of the test's own.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

from satconf.checks import Finding
from satconf.checks.context import Context
from satconf.checks.imports import CHOOSE, check_imports, import_hint, statements

from checks_support import config_for, environment, good_workspace

PY = "/the/python"


def test_hints_for_each_kind_of_failed_import() -> None:
    assert import_hint("ModuleNotFoundError: No module named 'pkg_resources'", "", PY) == (
        "setuptools 81 and newer removed pkg_resources, which this Lightning imports: "
        "/the/python -m pip install 'setuptools<81' (or upgrade Lightning)")
    wandb = ("a wandb/protobuf mismatch: pin the wandb stable-audio-tools pins "
             "(/the/python -m pip install wandb==0.15.4) or upgrade protobuf")
    assert import_hint("ImportError: x", "File google/PROTOBUF/x.py", PY) == wandb
    assert import_hint("TypeError: Descriptors cannot be created directly", "", PY) == wandb
    assert import_hint("ModuleNotFoundError: No module named 'flash_attn.ops'", "", PY) == (
        f"/the/python -m pip install flash-attn, or {CHOOSE} (the python that has it)")
    assert import_hint("ImportError: cannot import name 'x'", "", PY) == (
        "the package is installed but breaks on import (often a version clash); run "
        "/the/python -c 'import ...' with that line to see the whole traceback")


def _ws(tmp_path: Path, train_py: str, package: str | None = None) -> Path:
    ws = good_workspace(tmp_path / "ws")
    (ws / "train.py").write_text(train_py)
    if package is not None:
        (ws / "stable_audio_tools").mkdir()
        (ws / "stable_audio_tools" / "__init__.py").write_text(package)
    return ws


def _statements(ws: Path) -> tuple[tuple[str, ...], list[tuple[int | None, str]], bool]:
    return statements(Context.of(config_for(ws), None))


def test_the_statements_and_whether_they_import_the_workspace(tmp_path: Path) -> None:
    ws = _ws(tmp_path, "import os.path, json\nfrom pathlib import Path\n", package="")
    assert _statements(ws) == (
        ("import os.path, json", "from pathlib import Path", "import stable_audio_tools"),
        [(1, "import os.path, json"), (2, "from pathlib import Path"),
         (None, "stable_audio_tools")], True)
    # train.py importing the package already: it is not tried twice
    (ws / "train.py").write_text("import stable_audio_tools.models as m\n")
    assert _statements(ws) == (("import stable_audio_tools.models as m",),
                               [(1, "import stable_audio_tools.models as m")], True)
    # a folder without __init__.py is no package; a module beside train.py is local
    (ws / "stable_audio_tools" / "__init__.py").unlink()
    (ws / "train.py").write_text("import helper\n")
    assert _statements(ws)[2] is False
    (ws / "helper.py").write_text("")
    assert _statements(ws) == (("import helper",), [(1, "import helper")], True)


def test_an_unparsable_train_py_still_has_its_package_tried(tmp_path: Path) -> None:
    ws = _ws(tmp_path, "def (:\n", package="")
    assert _statements(ws) == (("import stable_audio_tools",), [(None, "stable_audio_tools")],
                               True)


def _check(ws: Path, cache: Path, env=None, **kw) -> list[Finding]:
    env = env or environment(python=sys.executable)
    return check_imports(Context.of(config_for(ws), env), env, cache=cache, **kw)


def test_nothing_to_try_or_no_python_to_try_it_in(tmp_path: Path) -> None:
    ws = _ws(tmp_path, "import no_such_module_here\n")
    cache = tmp_path / "c"
    assert _check(ws, cache, environment(python=sys.executable, error="broken"), run=True) == []
    assert _check(ws, cache, environment(python=str(tmp_path / "nope")), run=True) == []
    (ws / "train.py").write_text("x = 1\n")
    assert _check(ws, cache, run=True) == []


def test_the_exact_findings_and_the_cache_between_them(tmp_path: Path) -> None:
    ws = _ws(tmp_path, "import json\nimport no_such_module_here\n")
    cache = tmp_path / "c"
    assert _check(ws, cache, run=False) == []  # nothing cached: the fast checks say nothing
    line = Finding("error", None, f"train.py line 2: `import no_such_module_here` fails in the "
                   f"training python {sys.executable}: ModuleNotFoundError: No module named "
                   "'no_such_module_here'", import_hint(
                       "No module named 'no_such_module_here'", "", sys.executable))
    assert _check(ws, cache, run=True) == [line]
    assert _check(ws, cache, run=False) == [line]  # now from the cache
    (ws / "train.py").write_text("import json\n")
    (ws / "stable_audio_tools").mkdir()
    (ws / "stable_audio_tools" / "__init__.py").write_text("import no_such_module_here\n")
    hint = import_hint("No module named 'no_such_module_here'", "", sys.executable)
    assert _check(ws, cache, run=True) == [Finding(
        "error", None, f"the training python {sys.executable} cannot import stable_audio_tools, "
        "this workspace's package: ModuleNotFoundError: No module named 'no_such_module_here'",
        f"{hint}; or install the checkout there ({sys.executable} -m pip install -e {ws})")]


def test_a_newer_environment_probe_tries_the_imports_again(tmp_path: Path) -> None:
    ws = _ws(tmp_path, "import helper\n")
    (ws / "helper.py").write_text("")
    cache = tmp_path / "c"
    env = environment(python=sys.executable)
    assert _check(ws, cache, env, run=True) == []
    (ws / "helper.py").write_text("import no_such_module_here\n")
    # a cached environment keeps the cached answer ...
    assert _check(ws, cache, dataclasses.replace(env, cached=True,
                                                 probed_at=time.time() + 60), run=True) == []
    # ... a fresh probe newer than that answer (satconf check --refresh) tries again
    (found,) = _check(ws, cache, dataclasses.replace(env, probed_at=time.time() + 60), run=True)
    assert "`import helper` fails" in found.message


def test_a_probe_that_cannot_answer_is_a_warning(tmp_path: Path) -> None:
    ws = _ws(tmp_path, "import json\n")
    broken = tmp_path / "python"
    broken.write_text("#!/bin/sh\necho 'cannot start' >&2\nexit 3\n")
    broken.chmod(0o755)
    assert _check(ws, tmp_path / "c", environment(python=str(broken)), run=True) == [Finding(
        "warning", None, "train.py's imports were not checked: the probe failed (exit 3): "
        "cannot start", "satconf check tries again next time")]


def test_the_time_limit_is_the_callers(tmp_path: Path) -> None:
    ws = _ws(tmp_path, "import hang\n")
    (ws / "hang.py").write_text("import threading\nthreading.Event().wait()\n")
    (found,) = _check(ws, tmp_path / "c", run=True, timeout=0.2)
    assert found.message == ("train.py's imports were not checked: importing them took "
                             "longer than 0.2 s")
