"""What a profile is, its errors, and the rules for its name."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from satconf.fileerrors import FileProblem

FORMAT_VERSION = 1
SUFFIX = ".toml"
MAX_NAME_CHARS = 64
# A file name may hold 255 bytes; the atomic writer's temporary file adds about 20.
MAX_NAME_BYTES = 200
NAME_PUNCTUATION = "-_. "


class ProfileError(FileProblem):
    """A profile that cannot be read, written or named, with where and why."""


class ProfileNameError(ProfileError):
    """A name that breaks one of the naming rules (a usage error)."""

    def __init__(self, reason: str) -> None:
        super().__init__(None, None, reason)


class ProfileExistsError(ProfileError):
    """Refused because the target profile already exists."""


class ProfileNotFoundError(ProfileError):
    """No profile of that name."""


def now() -> datetime:
    # Whole seconds in UTC: readable in the file and exact through TOML.
    return datetime.now(timezone.utc).replace(microsecond=0)


@dataclass
class Profile:
    name: str
    values: dict[str, Any] = field(default_factory=dict)  # by INI key, extra keys too
    description: str = ""
    created: datetime = field(default_factory=now)
    updated: datetime = field(default_factory=now)
    workspace: str | None = None  # the workspace folder it was made for
    gpus: list[int] | None = None  # None: every visible GPU
    python: str | None = None  # the training interpreter; None: satconf's default
    options: dict[str, Any] = field(default_factory=dict)  # launch options (e.g. "cluster")
    # Keys this satconf does not know, kept as read and written back on save,
    # nested like the file (top-level keys, or {"launch": {...}} for a known table).
    unknown: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list, compare=False)
    path: Path | None = field(default=None, compare=False)  # the file it was read from

    def summary(self) -> dict[str, Any]:
        """Metadata for listings (stable JSON)."""
        return {
            "name": self.name,
            "description": self.description,
            "created": self.created.isoformat(),
            "updated": self.updated.isoformat(),
            "workspace": self.workspace,
            "path": str(self.path) if self.path else None,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            **self.summary(),
            "gpus": self.gpus,
            "python": self.python,
            "options": self.options,
            "values": self.values,
            "unknown": self.unknown,
            "warnings": list(self.warnings),
        }


def validate_name(name: str) -> str:
    """The name in NFC form; raises ProfileNameError naming the broken rule."""
    if not isinstance(name, str):
        raise ProfileNameError(f"a profile name must be text, not {type(name).__name__}")
    norm = unicodedata.normalize("NFC", name)
    shown = repr(name)
    if not norm.strip():
        raise ProfileNameError("a profile name cannot be empty")
    if "/" in norm or "\\" in norm:
        raise ProfileNameError(f"profile name {shown} contains a path separator (/ or \\)")
    if ".." in norm:
        raise ProfileNameError(f"profile name {shown} contains `..`")
    if norm.startswith("."):
        raise ProfileNameError(f"profile name {shown} starts with a dot (hidden files are "
                               "satconf's temporary files)")
    if norm != norm.strip():
        raise ProfileNameError(f"profile name {shown} starts or ends with a space")
    if norm.endswith("."):
        raise ProfileNameError(f"profile name {shown} ends with a dot")
    bad = sorted({ch for ch in norm if not (ch.isalnum() or ch in NAME_PUNCTUATION)})
    if bad:
        listed = " ".join(repr(ch) for ch in bad)
        raise ProfileNameError(f"profile name {shown} contains {listed}; use letters, digits, "
                               "spaces and - _ .")
    if len(norm) > MAX_NAME_CHARS:
        raise ProfileNameError(f"profile name {shown} is {len(norm)} characters long; the "
                               f"limit is {MAX_NAME_CHARS}")
    if len(norm.encode("utf-8")) > MAX_NAME_BYTES:
        raise ProfileNameError(f"profile name {shown} takes more than {MAX_NAME_BYTES} bytes "
                               "as a file name")
    return norm
