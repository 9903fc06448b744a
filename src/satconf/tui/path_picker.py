"""A small file/folder picker for the path fields, rooted at the workspace.

The result is the chosen path, relative to the workspace when inside it
(train.py runs there, so relative paths mean the same thing), or None.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DirectoryTree, Input, Label


def relative_to(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve())) or "."
    except ValueError:
        return str(path)


class PathPicker(ModalScreen["str | None"]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel"),
    ]

    def __init__(self, root: Path, current: str, *, directory: bool) -> None:
        super().__init__(id="path-picker")
        self.root = root
        self.current = current
        self.directory = directory

    def compose(self) -> ComposeResult:
        what = "folder" if self.directory else "file"
        with Vertical(id="picker-box"):
            yield Label(f"Choose a {what} (relative to the workspace)", classes="dialog-title")
            yield DirectoryTree(self.root, id="picker-tree")
            yield Input(self.current, placeholder=f"{what} path", id="picker-path")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Use", id="picker-use", variant="primary")
                yield Button("Cancel", id="picker-cancel")

    def on_mount(self) -> None:
        self.query_one(DirectoryTree).focus()

    @on(DirectoryTree.FileSelected)
    def _file(self, event: DirectoryTree.FileSelected) -> None:
        self.query_one("#picker-path", Input).value = relative_to(event.path, self.root)
        if not self.directory:
            self.dismiss(relative_to(event.path, self.root))

    @on(DirectoryTree.DirectorySelected)
    def _dir(self, event: DirectoryTree.DirectorySelected) -> None:
        self.query_one("#picker-path", Input).value = relative_to(event.path, self.root)

    @on(Input.Submitted, "#picker-path")
    @on(Button.Pressed, "#picker-use")
    def _use(self) -> None:
        self.dismiss(self.query_one("#picker-path", Input).value)

    @on(Button.Pressed, "#picker-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
