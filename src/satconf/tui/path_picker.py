"""A small file/folder picker for the path fields: starts in the workspace, can go anywhere.

Checkpoints and datasets usually live outside the checkout, so the tree can
climb (backspace), jump home (~) or back to the workspace (w), and a folder
typed into the path field opens there. Dot files are hidden until `.` shows
them, so `.git` is not the first thing listed. The result is the chosen path,
relative to the workspace when inside it (train.py runs there, so relative
paths mean the same thing), absolute otherwise, or None.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DirectoryTree, Input, Label, Static

from satconf.tui.keys import bindings


def relative_to(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve())) or "."
    except ValueError:
        return str(path)


def typed_path(text: str, root: Path) -> Path:
    """What a typed path means: `~` expanded, relative ones against the workspace."""
    path = Path(text.strip()).expanduser()
    return path if path.is_absolute() else root / path


def start_folder(current: str, root: Path) -> Path:
    """Where the tree opens: the folder of the field's current value when it exists, else root."""
    if current.strip():
        path = typed_path(current, root)
        for folder in (path, path.parent):
            if folder.is_dir():
                return folder.resolve()
    return root


class PathTree(DirectoryTree):
    """A DirectoryTree that hides dot files unless asked to show them."""

    show_hidden = False

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        if self.show_hidden:
            return paths
        return [p for p in paths if not p.name.startswith(".")]


class PathPicker(ModalScreen["str | None"]):
    BINDINGS: ClassVar[list[BindingType]] = list(bindings("picker"))  # see tui.keys

    def __init__(self, root: Path, current: str, *, directory: bool) -> None:
        super().__init__(id="path-picker")
        self.root = root
        self.current = current
        self.directory = directory

    def compose(self) -> ComposeResult:
        what = "folder" if self.directory else "file"
        with Vertical(id="picker-box"):
            yield Label(f"Choose a {what} (inside the workspace it is kept relative)",
                        classes="dialog-title")
            yield Static("", id="picker-where", markup=False)
            yield PathTree(start_folder(self.current, self.root), id="picker-tree")
            yield Input(self.current, placeholder=f"{what} path: type one, ~ works",
                        id="picker-path")
            yield Static("⌫ up · ~ home · w workspace · . dot files · enter on a typed "
                         "folder opens it · esc cancel", classes="dialog-help", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Up", id="picker-up")
                yield Button("Use", id="picker-use", variant="primary")
                yield Button("Cancel", id="picker-cancel")

    @property
    def tree(self) -> PathTree:
        return self.query_one("#picker-tree", PathTree)

    def on_mount(self) -> None:
        self._show_where()
        self.tree.focus()

    def _show_where(self) -> None:
        self.query_one("#picker-where", Static).update(f"in {self.tree.path}")

    def show_folder(self, folder: Path) -> None:
        """Re-root the tree at `folder` (an existing directory)."""
        self.tree.path = folder.resolve()
        self._show_where()

    @on(DirectoryTree.FileSelected)
    def _file(self, event: DirectoryTree.FileSelected) -> None:
        self.query_one("#picker-path", Input).value = relative_to(event.path, self.root)
        if not self.directory:
            self.dismiss(relative_to(event.path, self.root))

    @on(DirectoryTree.DirectorySelected)
    def _dir(self, event: DirectoryTree.DirectorySelected) -> None:
        self.query_one("#picker-path", Input).value = relative_to(event.path, self.root)

    @on(Input.Submitted, "#picker-path")
    def _typed(self) -> None:
        text = self.query_one("#picker-path", Input).value
        path = typed_path(text, self.root) if text.strip() else None
        if path is not None and path.is_dir() and not self.directory:
            self.show_folder(path)  # a folder typed while choosing a file: look inside it
            self.tree.focus()
            return
        self._use()

    @on(Button.Pressed, "#picker-use")
    def _use(self) -> None:
        text = self.query_one("#picker-path", Input).value
        if not text.strip():
            self.dismiss(text)
            return
        self.dismiss(relative_to(typed_path(text, self.root), self.root))

    @on(Button.Pressed, "#picker-up")
    def action_parent(self) -> None:
        self.show_folder(Path(self.tree.path).resolve().parent)

    def action_home(self) -> None:
        self.show_folder(Path.home())

    def action_workspace(self) -> None:
        self.show_folder(self.root)

    def action_toggle_hidden(self) -> None:
        self.tree.show_hidden = not self.tree.show_hidden
        self.tree.reload()

    @on(Button.Pressed, "#picker-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
