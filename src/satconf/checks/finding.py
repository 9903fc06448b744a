"""One preflight finding, and the order findings are shown in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Literal

Level = Literal["error", "warning", "info"]
LEVELS: tuple[Level, ...] = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding:
    level: Level
    field: str | None  # the INI key it is about; None for the run as a whole
    message: str  # what is wrong (or worth knowing), in plain words
    hint: str = ""  # what to change

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def error(field: str | None, message: str, hint: str = "") -> Finding:
    return Finding("error", field, message, hint)


def warning(field: str | None, message: str, hint: str = "") -> Finding:
    return Finding("warning", field, message, hint)


def info(field: str | None, message: str, hint: str = "") -> Finding:
    return Finding("info", field, message, hint)


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Errors first, then warnings, then infos; the checks' own order within a level."""
    unique = list(dict.fromkeys(findings))
    return sorted(unique, key=lambda f: LEVELS.index(f.level))


def findings_from_errors(errors: dict[str, list[str]]) -> list[Finding]:
    """`RunConfig.errors()` (pydantic and prefigure-flag problems) as error findings."""
    out: list[Finding] = []
    for key, messages in errors.items():
        for message in messages:
            out.append(error(None if key == "__root__" else key, message,
                             "fix the value in the form, the profile or --set"))
    return out
