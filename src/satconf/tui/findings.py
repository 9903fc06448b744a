"""The findings panel: preflight results (files, JSON, GPUs, environment), errors first.

Findings come from `satconf.checks.run_checks`, run by the app in a worker;
this widget only shows them. Each finding has `level`, `field`, `message`, `hint`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

LEVEL_ORDER = {"error": 0, "warning": 1, "info": 2}
LEVEL_STYLE = {"error": ("✗", "bold red"), "warning": ("!", "bold yellow"), "info": ("i", "cyan")}


def level_of(finding: Any) -> str:
    level = getattr(finding, "level", "info")
    return str(getattr(level, "value", level))


def ordered(findings: Sequence[Any]) -> list[Any]:
    return sorted(findings, key=lambda f: LEVEL_ORDER.get(level_of(f), 3))


class FindingsPanel(VerticalScroll):
    """A short list that scrolls (f8 jumps here and back); its title counts by level, the
    fields' own errors included."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.findings: list[Any] = []
        self._note: str | None = None

    def compose(self) -> ComposeResult:
        yield Static("Checks  · checking…", id="findings-text")

    @property
    def error_count(self) -> int:
        return sum(1 for f in self.findings if level_of(f) == "error")

    @property
    def warning_count(self) -> int:
        return sum(1 for f in self.findings if level_of(f) == "warning")

    def pending(self) -> None:
        """The shown findings are about to be replaced: say so in the title line."""
        self.set_class(True, "-pending")
        self._paint(pending=True)

    def show(self, findings: Sequence[Any], note: str | None = None) -> None:
        self.findings = ordered(findings)
        self._note = note
        self.set_class(False, "-pending")
        self.set_class(self.error_count > 0, "-errors")
        self._paint(pending=False)

    def _paint(self, *, pending: bool) -> None:
        errors, warnings = self.error_count, self.warning_count
        notes = len(self.findings) - errors - warnings
        title = Text.assemble(("Checks", "bold"),
                              f"  {errors} error(s), {warnings} warning(s), {notes} note(s)")
        if pending:
            title.append("  · checking…", style="italic")
        lines = [title]
        if self._note:
            lines.append(Text(self._note, style="dim"))
        if not self.findings and not self._note and not pending:
            lines.append(Text("✓ nothing to report", style="green"))
        for f in self.findings:
            mark, style = LEVEL_STYLE.get(level_of(f), ("·", ""))
            where = f"{f.field}: " if getattr(f, "field", None) else ""
            line = Text.assemble((f"{mark} ", style), (where, "bold"), str(f.message))
            hint = getattr(f, "hint", "")
            if hint:
                line.append(f" — {hint}", style="dim")
            lines.append(line)
        self.query_one("#findings-text", Static).update(Text("\n").join(lines))
