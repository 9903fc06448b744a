"""The profile folder: one `<name>.toml` per profile, written atomically.

A save goes to a temporary file beside the target, is flushed and fsynced,
then renamed over it: readers and a crash see the old profile or the new
one. Saves that must not replace anything (copy, rename, import) link the
finished temporary file to the new name, which fails if the name was taken
meanwhile.

Every change of the store (save, rename, copy, delete, import) holds an
exclusive `flock` on the profile folder itself for its whole
read-modify-write, so changes are atomic with respect to each other (a save
racing a rename lands before the rename or after it, never lost in
between); `transaction()` lets a caller hold it across its own load and
save. The lock dies with its holder, so a SIGKILLed writer blocks no one,
and the temporary files such a writer leaves are removed by the next change
(under the lock, no other writer can own one). Readers take no lock.
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import fcntl
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from satconf.atomic import atomic_write_bytes
from satconf.fileerrors import read_limited
from satconf.profiles.codec import render_profile
from satconf.profiles.model import (
    SUFFIX,
    Profile,
    ProfileError,
    ProfileExistsError,
    ProfileNotFoundError,
    now,
    validate_name,
)
from satconf.profiles.reader import parse_profile


class ProfileStore:
    def __init__(self, root: Path | str | None = None) -> None:
        if root is None:
            from satconf.workspace import profiles_dir

            root = profiles_dir()
        self.root = Path(root)
        self._held = 0  # nesting depth of transaction() in this process
        self._mutex = threading.RLock()

    validate_name = staticmethod(validate_name)

    def path_for(self, name: str) -> Path:
        return self.root / f"{validate_name(name)}{SUFFIX}"

    def exists(self, name: str) -> bool:
        return self.path_for(name).is_file()

    def names(self) -> list[str]:
        """Names of the profile files present (their content unchecked)."""
        out: list[str] = []
        if self.root.is_dir():
            for path in self.root.iterdir():
                if path.suffix == SUFFIX and not path.name.startswith("."):
                    with contextlib.suppress(ProfileError):
                        out.append(validate_name(path.stem))
        return sorted(out, key=str.casefold)

    # ------------------------------------------------------------ reading

    def load(self, name: str) -> Profile:
        name = validate_name(name)
        path = self.path_for(name)
        return parse_profile(self._read(path, name), path, name=name)

    def _read(self, path: Path, name: str) -> bytes:
        try:
            return read_limited(path)
        except ValueError as exc:
            raise ProfileError(path, None, str(exc)) from None
        except FileNotFoundError:
            close = difflib.get_close_matches(name, self.names(), n=3)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise ProfileNotFoundError(path, None, f"no profile named {name!r}{hint}") from None
        except IsADirectoryError:
            raise ProfileError(path, None, "is a folder, not a profile file") from None
        except NotADirectoryError:
            raise ProfileError(self.root, None, "the profile folder is a file, "
                                                "not a folder") from None
        except OSError as exc:
            if exc.errno == 40:  # ELOOP
                raise ProfileError(path, None, "is a symbolic link loop") from None
            raise ProfileError(path, None, f"cannot be read ({exc.strerror})") from None

    def list(self) -> tuple[list[Profile], list[ProfileError]]:
        """Every readable profile, and one error per unreadable file (never hiding others)."""
        if not self.root.exists():
            return [], []
        if not self.root.is_dir():
            return [], [ProfileError(self.root, None, "the profile folder is a file, "
                                                      "not a folder")]
        profiles: list[Profile] = []
        errors: list[ProfileError] = []
        try:
            entries = sorted(self.root.iterdir())
        except OSError as exc:
            return [], [ProfileError(self.root, None, f"cannot be listed ({exc.strerror})")]
        for path in entries:
            if path.name.startswith(".") or path.suffix != SUFFIX:
                continue  # temporary files of a save in progress (or cut short)
            try:
                name = validate_name(path.stem)
            except ProfileError as exc:
                errors.append(ProfileError(path, None, f"the file name breaks a naming rule "
                                                       f"({exc.reason}); rename the file"))
                continue
            try:
                profiles.append(parse_profile(self._read(path, name), path, name=name))
            except ProfileError as exc:
                errors.append(exc)
        profiles.sort(key=lambda p: p.name.casefold())
        return profiles, errors

    # ------------------------------------------------------------ writing

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the store's lock (re-entrant): no other change of the store runs meanwhile."""
        with self._mutex:
            if self._held:
                self._held += 1
                try:
                    yield
                finally:
                    self._held -= 1
                return
            self._ensure_root()
            try:
                # The folder itself is the lock (flock works on a directory): no lock file
                # to create, so a read-only folder fails later with its real reason.
                fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            except OSError as exc:
                raise ProfileError(self.root, None, f"cannot be changed ({exc.strerror})") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                self._held = 1
                self._remove_stale_temporaries()
                yield
            finally:
                self._held = 0
                os.close(fd)  # closing releases the lock

    def _remove_stale_temporaries(self) -> None:
        # Only a writer holding the lock makes temporary files, and none other holds it now.
        try:
            names = os.listdir(self.root)
        except OSError:
            return
        for name in names:
            if name.startswith(".") and name.endswith(".tmp") and f"{SUFFIX}." in name:
                with contextlib.suppress(OSError):
                    os.unlink(self.root / name)

    def save(self, profile: Profile, *, touch: bool = True, overwrite: bool = True) -> Path:
        """Write `profile` to its file atomically and return the path.

        With `touch`, `updated` becomes now, unless the file already holds
        exactly this profile (then nothing is written). With `overwrite`
        False, an existing profile of that name is never replaced.
        """
        profile.name = validate_name(profile.name)
        path = self.path_for(profile.name)
        data = render_profile(profile)  # before the lock: a value TOML cannot hold fails here
        with self.transaction():
            return self._save_locked(profile, path, data, touch=touch, overwrite=overwrite)

    def _save_locked(self, profile: Profile, path: Path, data: bytes, *, touch: bool,
                     overwrite: bool) -> Path:
        if touch:
            if overwrite and _read_or_none(path) == data:
                profile.path = path
                return path
            profile.updated = now()
            data = render_profile(profile)
        try:
            if overwrite:
                atomic_write_bytes(path, data)
            else:
                atomic_write_bytes(path, data, exclusive=True)
        except FileExistsError:
            raise ProfileExistsError(path, None, f"profile {profile.name!r} already "
                                                 "exists") from None
        except OSError as exc:
            raise ProfileError(path, None, f"cannot be saved ({exc.strerror}); any earlier "
                                           "version is unchanged") from None
        profile.path = path
        return path

    def _ensure_root(self) -> None:
        if self.root.exists() and not self.root.is_dir():
            raise ProfileError(self.root, None, "the profile folder is a file, not a folder")
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ProfileError(self.root, None, f"the profile folder cannot be created "
                                                f"({exc.strerror})") from None

    def rename(self, old: str, new: str) -> Profile:
        old, new = validate_name(old), validate_name(new)
        with self.transaction():
            return self._rename_locked(old, new)

    def _rename_locked(self, old: str, new: str) -> Profile:
        prof = self.load(old)
        if new == old:
            return prof
        src, dst = self.path_for(old), self.path_for(new)
        prof.name = new
        if dst.exists() and _same_file(src, dst):
            # Only the case differs on a case-insensitive disk: rewrite, then rename.
            self._replace(src, render_profile(prof))
            os.rename(src, dst)
        else:
            if os.path.lexists(dst):
                raise ProfileExistsError(dst, None, f"profile {new!r} already exists")
            data = render_profile(prof)  # a value TOML cannot hold fails before anything moves
            # The file moves first (no other satconf can take `dst` while we hold the lock),
            # so a SIGKILL leaves the profile under one name, never under both or neither;
            # the name inside it follows (the file's name wins in between).
            try:
                os.rename(src, dst)
            except OSError as exc:
                raise ProfileError(src, None, f"cannot be renamed ({exc.strerror})") from None
            self._replace(dst, data)
        prof.path = dst
        return prof

    def copy(self, src: str, dst: str) -> Profile:
        with self.transaction():
            return self._copy_locked(src, dst)

    def _copy_locked(self, src: str, dst: str) -> Profile:
        prof = self.load(src)
        stamp = now()
        twin = Profile(
            name=validate_name(dst), values=copy.deepcopy(prof.values),
            description=prof.description, created=stamp, updated=stamp,
            workspace=prof.workspace, gpus=None if prof.gpus is None else list(prof.gpus),
            python=prof.python, options=copy.deepcopy(prof.options),
            unknown=copy.deepcopy(prof.unknown),
        )
        self.save(twin, touch=False, overwrite=False)
        return twin

    def delete(self, name: str) -> Path:
        path = self.path_for(name)
        with self.transaction():
            if not path.is_file():
                self._read(path, validate_name(name))  # raises the not-found (or other) error
            self._unlink(path)
        return path

    def _replace(self, path: Path, data: bytes) -> None:
        try:
            atomic_write_bytes(path, data)
        except OSError as exc:
            raise ProfileError(path, None, f"cannot be saved ({exc.strerror})") from None

    def _unlink(self, path: Path) -> None:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise ProfileError(path, None, f"cannot be removed ({exc.strerror})") from None


def _read_or_none(path: Path) -> bytes | None:
    try:
        return read_limited(path)
    except (OSError, ValueError):
        return None


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
