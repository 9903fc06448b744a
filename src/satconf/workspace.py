"""Where train.py, defaults.ini and satconf's own files are.

A workspace is a folder holding `train.py` and `defaults.ini` (a
stable-audio-tools checkout, or a copy of the embedded demo). Every file
satconf itself writes lives under one home: `$SATCONF_HOME` when set, else
the per-user platform directories.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from satconf import __version__

TRAIN_PY = "train.py"
DEFAULTS_INI = "defaults.ini"
HOME_ENV = "SATCONF_HOME"


class WorkspaceError(Exception):
    pass


@dataclass(frozen=True)
class Workspace:
    root: Path
    train_py: Path
    defaults_ini: Path
    is_demo: bool = False
    # Why this folder: "given with --workspace", "the current folder", ... (see workspace_note).
    reason: str = field(default="", compare=False)

    @property
    def label(self) -> str:
        return f"{self.root} (embedded demo)" if self.is_demo else str(self.root)


def _home(kind: str) -> Path:
    base = os.environ.get(HOME_ENV)
    if base:
        return Path(base).expanduser() / kind
    import platformdirs  # only when no SATCONF_HOME: keeps the common path light

    if kind == "profiles":
        return Path(platformdirs.user_config_dir("satconf")) / "profiles"
    if kind == "cache":
        return Path(platformdirs.user_cache_dir("satconf"))
    return Path(platformdirs.user_data_dir("satconf")) / kind


def profiles_dir() -> Path:
    return _home("profiles")


def runs_dir() -> Path:
    return _home("runs")


def cache_dir() -> Path:
    return _home("cache")


def trust_dir() -> Path:
    """Where the confirmed training pythons are kept (satconf.trust)."""
    return _home("trust")


def demo_workspace_dir() -> Path:
    return _home("demo")


def embedded_demo_source() -> Path:
    return Path(__file__).parent / "demo"


def is_workspace(path: Path) -> bool:
    return (path / TRAIN_PY).is_file() and (path / DEFAULTS_INI).is_file()


def copy_demo(dest: Path, *, force: bool = False) -> Path:
    """Copy the embedded demo workspace to `dest` (which must be new or empty)."""
    if dest.exists() and any(dest.iterdir()) and not force:
        raise WorkspaceError(f"{dest} is not empty; pick a new folder")
    src = embedded_demo_source()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(src, dest, ignore=ignore, dirs_exist_ok=True)
    (dest / ".satconf-demo").write_text(__version__ + "\n", encoding="utf-8")
    return dest


def ensure_demo_workspace() -> Path:
    """The user's writable copy of the demo, refreshed when satconf's version changes."""
    dest = demo_workspace_dir()
    marker = dest / ".satconf-demo"
    try:
        current = marker.read_text(encoding="utf-8").strip() if marker.is_file() else None
    except (OSError, UnicodeDecodeError):
        current = None
    if current != __version__ or not is_workspace(dest):
        try:
            dest.mkdir(parents=True, exist_ok=True)
            copy_demo(dest, force=True)
        except (OSError, shutil.Error) as exc:
            # shutil.Error carries a list of (src, dst, why); the first says enough.
            why = getattr(exc, "strerror", None) or (str(exc.args[0][0][2]) if isinstance(
                exc, shutil.Error) and exc.args and exc.args[0] else str(exc))
            raise WorkspaceError(
                f"no workspace here, and the demo workspace cannot be made in {dest} ({why}); "
                f"run satconf in a folder with {TRAIN_PY} and {DEFAULTS_INI}, pass --workspace, "
                f"or point {HOME_ENV} at a writable folder") from None
    return dest


def find_upward(start: Path) -> Path | None:
    """The nearest of `start` and its parents that is a workspace, as git finds its .git."""
    for folder in (start, *start.parents):
        if is_workspace(folder):
            return folder
    return None


def resolve_workspace(path: Path | str | None = None, *,
                      profile: tuple[str, str | None] | None = None) -> Workspace:
    """The workspace at `path`; with no path, the profile's own, else the nearest checkout at or
    above the current folder, else the demo. `profile` is (name, its recorded workspace).

    The result's `reason` says which rule chose it; `workspace_note` turns it into the
    sentence the CLI prints on stderr and the form shows.
    """
    if path is not None:
        root = Path(path).expanduser().resolve()
        if not root.is_dir():
            raise WorkspaceError(f"workspace {root} does not exist or is not a folder")
        if not (root / TRAIN_PY).is_file():
            raise WorkspaceError(f"workspace {root} has no {TRAIN_PY}")
        if not (root / DEFAULTS_INI).is_file():
            raise WorkspaceError(f"workspace {root} has no {DEFAULTS_INI}")
        return Workspace(root, root / TRAIN_PY, root / DEFAULTS_INI,
                         reason="given with --workspace")
    moved = ""
    if profile is not None and profile[1]:
        name, recorded = profile
        if is_workspace(Path(recorded)):
            root = Path(recorded).resolve()
            return Workspace(root, root / TRAIN_PY, root / DEFAULTS_INI,
                             reason=f"the workspace profile {name!r} was saved in")
        moved = (f"profile {name!r} was saved in {recorded}, which is no longer a workspace; "
                 "instead: ")
    cwd = Path.cwd().resolve()
    found = find_upward(cwd)
    if found is not None:
        why = "the current folder" if found == cwd else f"found above the current folder {cwd}"
        return Workspace(found, found / TRAIN_PY, found / DEFAULTS_INI, reason=moved + why)
    root = ensure_demo_workspace().resolve()
    return Workspace(root, root / TRAIN_PY, root / DEFAULTS_INI, is_demo=True,
                     reason=moved + f"no folder with {TRAIN_PY} and {DEFAULTS_INI} at or "
                                    f"above {cwd}")


def workspace_note(ws: Workspace) -> str:
    """One sentence: which workspace is used and why (the CLI prints it on stderr)."""
    what = "the embedded demo workspace" if ws.is_demo else "workspace"
    return f"using {what} {ws.root} ({ws.reason or 'given'})"


def default_python() -> str:
    """The training interpreter unless a profile names another: the one running satconf."""
    return sys.executable
