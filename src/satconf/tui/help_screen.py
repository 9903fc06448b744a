"""The help screen (F1, or `?` outside text fields): every key of the screen it was opened on.

The list is read from that screen's active bindings at the moment the help
opens, so it is exactly what the keys do there, including the focused
editor's own keys and the ones the footer had no room for; the wording comes
from `keys.KEYS` where satconf defines the key. esc (or q, F1, ?) closes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static

from satconf.tui.keys import help_text, rank_of

UNRANKED = 1000
KEYS_WIDTH = 12


@dataclass(frozen=True)
class HelpRow:
    keys: str  # "esc / q"
    text: str
    section: str  # "here" or the focused widget's kind
    enabled: bool = True
    order: int = UNRANKED  # keys.KEYS footer rank: the footer's first keys come first here too


def _describe(binding: Binding) -> str:
    return (help_text(binding.id) or binding.tooltip or binding.description
            or binding.action.replace("_", " "))


def help_rows(screen: Screen) -> list[HelpRow]:
    """The keys active on `screen` now: its own and the app's first, then the focused widget's."""
    app = screen.app
    focused = screen.focused
    grouped: dict[tuple[str, str], list[str]] = {}
    meta: dict[tuple[str, str], tuple[Binding, bool, bool]] = {}
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if binding.system:
            continue
        own = focused is not None and active.node is focused
        group = (("field" if own else "here"), binding.action)
        grouped.setdefault(group, [])
        shown = app.get_key_display(Binding(key, binding.action, key_display=None))
        if shown not in grouped[group]:
            grouped[group].append(shown)
        meta.setdefault(group, (binding, active.enabled, own))
    rows: list[HelpRow] = []
    for group, keys in grouped.items():
        binding, enabled, own = meta[group]
        section = f"in the focused {type(focused).__name__}" if own else "here"
        rows.append(HelpRow(" / ".join(keys), _describe(binding), section, enabled,
                            rank_of(binding.id, binding.action) or UNRANKED))
    rows.sort(key=lambda r: (r.section != "here", r.order))  # stable within a rank
    return rows


def render_rows(rows: list[HelpRow]) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 1))
    # A few of an editor's keys are long ("^u / super+⌫"): they fold, the text keeps its room.
    table.add_column("keys", style="bold", max_width=KEYS_WIDTH, overflow="fold")
    table.add_column("what")
    section = None
    for row in rows:
        if row.section != section:
            section = row.section
            if section != "here":
                table.add_row("", "")
                table.add_row("", Text(section, style="dim"))
        text = row.text if row.enabled else f"{row.text} (not available now)"
        table.add_row(row.keys, text)
    return table


class HelpScreen(ModalScreen[None]):
    """Lists the keys of the screen below; any of esc, q, F1 or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,f1,question_mark", "close", "Close", id="help.close"),
    ]

    def __init__(self, rows: list[HelpRow], where: str) -> None:
        super().__init__(id="help-screen")
        self.rows = rows
        self.where = where

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Label(f"Keys: {self.where}", classes="dialog-title")
            with VerticalScroll(id="help-keys"):
                yield Static(render_rows(self.rows), id="help-table")
            yield Static("esc closes · ctrl+p: every command by name", classes="dialog-help",
                         markup=False)

    def action_close(self) -> None:
        self.dismiss(None)


def screen_name(screen: Screen) -> str:
    """What the help's title calls the screen it was opened on."""
    names = {"profiles-screen": "profiles panel", "run-view": "run view",
             "gpu-picker": "GPU picker", "path-picker": "path picker"}
    return names.get(screen.id or "", "the form" if screen is screen.app.screen_stack[0]
                     else type(screen).__name__)


def open_help(screen: Screen) -> None:
    """Push the help for `screen` (no second help on top of a help)."""
    if isinstance(screen, HelpScreen):
        return
    screen.app.push_screen(HelpScreen(help_rows(screen), screen_name(screen)))
