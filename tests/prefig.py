"""Parse an argv with the real prefigure, the way train.py does.

prefigure imports wandb (seconds), so it is imported once per test process.
`get_all_args()` reads `defaults.ini` from the working directory and
`sys.argv`, so both are patched around the call.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from argparse import Namespace
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any


@cache
def _prefigure() -> Any:
    os.environ.setdefault("WANDB_MODE", "disabled")
    import prefigure

    return prefigure


class PrefigureExit(Exception):
    def __init__(self, code: object, stderr: str) -> None:
        super().__init__(f"prefigure exited with {code}: {stderr}")
        self.stderr = stderr


def parse(argv: Sequence[str], cwd: Path) -> Namespace:
    """The namespace train.py would get for `python train.py <argv[2:]>` run in `cwd`."""
    pf = _prefigure()
    old_argv, old_cwd = sys.argv, os.getcwd()
    err = io.StringIO()
    sys.argv = ["train.py", *argv[2:]]
    try:
        os.chdir(cwd)
        with contextlib.redirect_stderr(err):
            return pf.get_all_args()
    except SystemExit as exc:
        raise PrefigureExit(exc.code, err.getvalue()) from None
    finally:
        sys.argv = old_argv
        os.chdir(old_cwd)


def namespace_values(ns: Namespace, keys: Sequence[str]) -> dict[str, Any]:
    """The namespace's value for each INI key (argparse's dest replaces `-` with `_`)."""
    return {k: getattr(ns, k.replace("-", "_")) for k in keys}


def ini_namespace(text: str, folder: Path) -> dict[str, Any]:
    """What train.py's `args` holds for a defaults.ini of `text` and no flags, read by the
    real prefigure: {argparse dest: value}, without the three arguments prefigure adds
    itself (config_file, name, wandb_config) unless the INI sets them."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "defaults.ini").write_text(text, encoding="utf-8")
    return dict(vars(parse(["python", "train.py"], folder)))


def as_prefigure_default(entry: Any) -> Any:
    """An INI entry's value in prefigure's namespace when no flag is given: a True/False
    entry is a bare switch whose default is False either way; a `_dir` text is a Path."""
    from satconf.defaults_ini import Kind

    if entry.kind is Kind.BOOL:
        return False
    if entry.kind is Kind.PATH:
        return Path(entry.text)
    return entry.value
