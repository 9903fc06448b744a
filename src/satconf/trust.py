"""Which training interpreters the user has confirmed: a profile's python runs only once trusted.

A profile imported from someone else may name any program as its `python`;
nothing runs it on import, show, diff or a dry run, and before `satconf
check` (or the form) first runs it, the user confirms it once. The
confirmation is kept under SATCONF_HOME keyed by the file's real path and
its identity (device, inode, size, modification time): a file swapped or
changed under the same name is asked about again. satconf's own interpreter
is always trusted.

    from satconf import trust
    trust.is_trusted("/opt/venv/bin/python")     # False until confirmed
    trust.trust("/opt/venv/bin/python")          # after the user said yes
    message = trust.confirm_python(python, ask=trust.ask_on_terminal)  # None: go ahead

The store is a JSON file written atomically (0600) under an `flock`, so two
satconf processes confirming at once both land.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from satconf.atomic import atomic_write_bytes
from satconf.fileerrors import read_limited

STORE = "trusted-pythons.json"
LOCK = ".trusted-pythons.lock"


class TrustError(Exception):
    """The python cannot be found or the trust store cannot be written; says why."""


@dataclass(frozen=True)
class PythonIdentity:
    realpath: str
    device: int
    inode: int
    size: int
    mtime_ns: int


def store_path() -> Path:
    from satconf.workspace import trust_dir

    return trust_dir() / STORE


def identify(python: str) -> PythonIdentity | None:
    """The file `python` names (a bare name is looked up on PATH); None if there is none."""
    found = python if os.sep in python else shutil.which(python)
    if not found:
        return None
    try:
        real = os.path.realpath(found)
        st = os.stat(real)
    except (OSError, ValueError):
        return None
    return PythonIdentity(real, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _own_interpreter(ident: PythonIdentity) -> bool:
    own = identify(sys.executable)
    return own is not None and own == ident


def _load() -> list[PythonIdentity]:
    try:
        data = json.loads(read_limited(store_path()).decode("utf-8"))
    except (OSError, ValueError):
        return []  # none yet, or unreadable: nothing is trusted (asking again is safe)
    out: list[PythonIdentity] = []
    for entry in data.get("pythons", []) if isinstance(data, dict) else []:
        with contextlib.suppress(TypeError):
            ident = PythonIdentity(**entry)
            if isinstance(ident.realpath, str) and all(
                    type(v) is int for v in (ident.device, ident.inode, ident.size,
                                             ident.mtime_ns)):
                out.append(ident)
    return out


def is_trusted(python: str) -> bool:
    """Whether `python` is satconf's own interpreter or a file the user confirmed as it is now."""
    ident = identify(python)
    if ident is None:
        return False
    return _own_interpreter(ident) or ident in _load()


@contextlib.contextmanager
def _locked() -> Iterator[None]:
    folder = store_path().parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise TrustError(f"the trust store in {folder} cannot be written "
                         f"({exc.strerror})") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _save(entries: list[PythonIdentity]) -> None:
    data = json.dumps({"format": 1, "pythons": [asdict(e) for e in entries]}, indent=1)
    try:
        atomic_write_bytes(store_path(), data.encode("utf-8") + b"\n", mode=0o600)
    except OSError as exc:
        raise TrustError(f"{store_path()} cannot be written ({exc.strerror})") from None


def trust(python: str) -> PythonIdentity:
    """Remember `python`, as the file is now, as confirmed; raises TrustError."""
    ident = identify(python)
    if ident is None:
        raise TrustError(f"{python} does not exist (or is not on PATH)")
    with _locked():
        entries = [e for e in _load() if e.realpath != ident.realpath]
        _save([*entries, ident])
    return ident


def forget(python: str) -> bool:
    """Drop any confirmation of `python`'s real path; whether there was one."""
    ident = identify(python)
    real = ident.realpath if ident else os.path.realpath(python)
    with _locked():
        entries = _load()
        kept = [e for e in entries if e.realpath != real]
        if len(kept) != len(entries):
            _save(kept)
            return True
    return False


def describe(python: str) -> str:
    """What the user is asked to confirm: the path, where it really leads, and the owner."""
    ident = identify(python)
    if ident is None:
        return f"{python} (not found)"
    where = "" if ident.realpath == python else f" (really {ident.realpath})"
    try:
        owner = os.stat(ident.realpath).st_uid
    except OSError:
        owner = -1
    mine = " owned by you" if owner == os.getuid() else f" owned by uid {owner}"
    return f"{python}{where},{mine}"


def confirm_python(python: str | None, ask: Callable[[str], bool] | None = None) -> str | None:
    """None when `python` may run (trusted, or confirmed now through `ask`, which then
    trusts it); otherwise one line saying why it must not run yet.

    `ask` gets the question and returns the user's answer; without it (no
    terminal, a script) an untrusted python is refused, never run.
    """
    if python is None or is_trusted(python):
        return None
    if identify(python) is None:
        return f"the training python {python} does not exist (or is not on PATH)"
    question = (f"The profile's training python is {describe(python)}. satconf has not run it "
                "before. Run it?")
    if ask is not None and ask(question):
        try:
            trust(python)
        except TrustError as exc:
            return str(exc)
        return None
    return (f"not running the training python {python}: it was never confirmed; run "
            "`satconf check` on a terminal to confirm it, or save the profile with your own "
            "--python")


def ask_on_terminal(question: str) -> bool:
    """Ask on the terminal (stderr, stdin) when there is one; no terminal answers no."""
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return False
    sys.stderr.write(f"{question} [y/N] ")
    sys.stderr.flush()
    try:
        answer = input()
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")
