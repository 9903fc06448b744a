"""train.py's own imports, and the workspace's package, in the training python.

A package list says "Lightning 2.1.0" while `import pytorch_lightning` fails
on `pkg_resources`; this check imports what train.py imports at top level
(read with `ast`, run by `import_probe` in a subprocess, cached) and turns
the first failure into one error with the traceback's last line and a hint.
A checkout's own package (`stable_audio_tools/`) must import too: a python
that cannot is the wrong one for this workspace.
"""

from __future__ import annotations

import re
from pathlib import Path

from satconf.checks.context import Context
from satconf.checks.finding import Finding, error, warning
from satconf.checks.train_source import module_file, top_level_imports
from satconf.environment import EnvironmentInfo, resolve_python

CHOOSE = "choose the workspace's environment with --python or SATCONF_PYTHON"


def workspace_packages(ctx: Context) -> list[str]:
    """Packages that live in the checkout itself (a folder with __init__.py beside train.py)."""
    out = []
    for name in ("stable_audio_tools",):
        try:
            if (ctx.root / name / "__init__.py").is_file():
                out.append(name)
        except OSError:
            continue
    return out


def statements(ctx: Context) -> tuple[tuple[str, ...], list[tuple[int | None, str]], bool]:
    """The statements to run; for each (train.py line or None, what it is); and whether
    any of them imports a module of the workspace itself."""
    tree = ctx.train_tree()
    lines = top_level_imports(tree) if tree is not None else []
    out = [(line.source, (line.line, line.source)) for line in lines]
    roots = {m.split(".")[0] for line in lines for m in line.modules}
    packages = workspace_packages(ctx)
    out += [(f"import {pkg}", (None, pkg)) for pkg in packages if pkg not in roots]
    local = bool(packages) or any(module_file(ctx.root, r) is not None for r in roots)
    return tuple(s for s, _ in out), [w for _, w in out], local


def check_imports(ctx: Context, env: EnvironmentInfo, *, run: bool,
                  timeout: float | None = None, cache: Path | None = None) -> list[Finding]:
    """The first of train.py's imports that fails in the training python.

    `run` False answers from the cache only (never a subprocess: `run_checks`
    stays cheap); True probes when the cache does not hold (`inspect_checkpoints`).
    """
    from satconf.import_probe import DEFAULT_TIMEOUT, cached_imports, probe_imports

    todo, where, local = statements(ctx)
    if not todo or not env.ok or resolve_python(env.python) is None:
        return []  # a missing interpreter is the environment probe's error
    if run:
        result = probe_imports(env.python, ctx.root, todo, timeout=timeout or DEFAULT_TIMEOUT,
                               newer_than=0.0 if env.cached else env.probed_at, cache=cache,
                               local=local)
    else:
        hit = cached_imports(env.python, ctx.root, todo, cache=cache, local=local)
        if hit is None:
            return []
        result = hit
    if result.problem:
        return [warning(None, f"train.py's imports were not checked: {result.problem}",
                        "satconf check tries again next time")]
    if result.failed_index is None:
        return []
    line, what = where[result.failed_index]
    hint = import_hint(result.error, result.traceback, env.python)
    if line is None:
        return [error(None, f"the training python {env.python} cannot import {what}, this "
                      f"workspace's package: {result.error}",
                      f"{hint}; or install the checkout there ({env.python} -m pip install "
                      f"-e {ctx.root})")]
    return [error(None, f"train.py line {line}: `{what}` fails in the training python "
                  f"{env.python}: {result.error}", hint)]


_MISSING = re.compile(r"No module named '([\w.]+)'")


def import_hint(message: str, traceback: str, python: str) -> str:
    """What to do about one failed import, from its last line (and the whole traceback)."""
    missing = _MISSING.search(message)
    if missing and missing.group(1) == "pkg_resources":
        return ("setuptools 81 and newer removed pkg_resources, which this Lightning imports: "
                f"{python} -m pip install 'setuptools<81' (or upgrade Lightning)")
    if "protobuf" in traceback.lower() or "descriptor" in message.lower():
        return ("a wandb/protobuf mismatch: pin the wandb stable-audio-tools pins "
                f"({python} -m pip install wandb==0.15.4) or upgrade protobuf")
    if missing:
        package = missing.group(1).split(".")[0]
        return (f"{python} -m pip install {package.replace('_', '-')}, or {CHOOSE} "
                "(the python that has it)")
    return (f"the package is installed but breaks on import (often a version clash); run "
            f"{python} -c 'import ...' with that line to see the whole traceback")
