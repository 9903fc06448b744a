"""A group of the form: its title line (a click folds it) and its rows.

Textual's Collapsible would be three widgets and a focus stop per group; the
form needs a title that is no stop (Tab and the arrows move between fields)
and folds on a click, so a group is one container and one line of text.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.containers import Vertical
from textual.widgets import Static

from satconf.tui.messages import FoldGroup

EXPANDED, FOLDED = "▼", "▶"


class GroupTitle(Static):
    """The group's name; a click asks the form to fold or unfold the group."""

    def __init__(self, group: str, **kw: Any) -> None:
        super().__init__(f"{EXPANDED} {group}", markup=False, classes="group-title", **kw)
        self.group = group

    def show_folded(self, folded: bool) -> None:
        self.update(f"{FOLDED if folded else EXPANDED} {self.group}")

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.post_message(FoldGroup(self.group))


class FieldGroup(Vertical):
    """A group's title and rows."""

    def __init__(self, group: str, *rows: Any, **kw: Any) -> None:
        super().__init__(GroupTitle(group), *rows, classes="field-group", **kw)
        self.group = group

    @property
    def title(self) -> GroupTitle:
        return self.query_one(GroupTitle)
