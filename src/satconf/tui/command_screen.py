"""The whole previewed command (a batch script can be long), scrollable; esc closes it."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class CommandScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,f4", "close", "Close", id="command.close"),
    ]

    def __init__(self, title: str, text: str) -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="command-full") as box:
            box.border_title = self.title_text
            box.border_subtitle = "esc closes · select with the mouse (shift in most terminals)"
            yield Static(self.text, markup=False, id="command-full-text")

    def on_mount(self) -> None:
        self.query_one("#command-full").focus()

    def action_close(self) -> None:
        self.dismiss(None)
