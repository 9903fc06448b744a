"""The profiles panel: every saved profile, and what can be done with one.

Lists each profile with its description and last update; a profile that
cannot be read is listed too, with the reason, so nothing disappears
silently. The side pane shows the highlighted profile against the form:
only the keys that differ. The operations themselves (open with the
unsaved-edit guard, save, rename, copy, delete) live in `ProfileFlow`; this
screen only picks the profile and refreshes when one changed.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Label, Static
from textual.worker import get_current_worker

from satconf.tui.footer import KeyFooter
from satconf.tui.keys import bindings
from satconf.tui.profile_flow import ProfileFlow, ProfileRow, read_rows
from satconf.tui.title_bar import TitleBar


def workspace_text(profile_ws: str | None, current: Path | None) -> str:
    """The workspace column: "this" for the form's own, else a short path; "" when unknown."""
    if not profile_ws:
        return ""
    path = Path(profile_ws)
    if current is not None and path == current:
        return "this"
    try:
        shown = "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        shown = str(path)
    return shown if len(shown) <= 24 else "…" + shown[-23:]


class ProfileTable(DataTable[str]):
    """The profile list; Enter (select) opens the highlighted profile."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings("profiles-table"))


class ProfilesScreen(Screen[None]):
    """Open, save, rename, copy and delete profiles."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings("profiles"))  # see tui.keys

    def __init__(self, flow: ProfileFlow) -> None:
        super().__init__(id="profiles-screen")
        self.flow = flow
        self.rows: dict[str, ProfileRow] = {}
        self._select: str | None = None
        config = getattr(flow.host, "config", None)
        self._workspace: Path | None = config.workspace.root if config is not None else None

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with Horizontal(id="profiles-body"):
            with Vertical(id="profiles-list"):
                yield Label("Profiles", classes="pane-title")
                yield ProfileTable(id="profile-table", cursor_type="row", zebra_stripes=True)
                yield Static("", id="profiles-empty", markup=False)
            with VerticalScroll(id="profile-detail"):
                yield Label("Against the form", classes="pane-title")
                yield Static("", id="profile-diff", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Name", "Updated", "Workspace", "Description")
        self.refresh_rows(select=self.flow.current_name)
        table.focus()

    # -- the list ----------------------------------------------------------

    def refresh_rows(self, select: str | None = None) -> None:
        """Re-read the store off the UI thread; `select` is highlighted afterwards."""
        self._select = select if select is not None else self.highlighted
        self._load_rows()

    @work(thread=True, exclusive=True, group="profiles-list")
    def _load_rows(self) -> None:
        rows = read_rows(self.flow.store)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_rows, rows)

    def _show_rows(self, rows: list[ProfileRow]) -> None:
        table = self.query_one(DataTable)
        table.clear()
        self.rows = {row.name: row for row in rows}
        for row in rows:
            marker = "● " if row.name == self.flow.current_name else "  "
            if row.error:
                table.add_row(marker + row.name, "", "", "⚠ cannot be read", key=row.name)
            else:
                table.add_row(marker + row.name, row.updated_text,
                              workspace_text(row.workspace, self._workspace), row.description,
                              key=row.name)
        empty = self.query_one("#profiles-empty", Static)
        empty.update("" if rows else "No profiles yet: press a to save the form as one.")
        empty.display = not rows
        if self._select in self.rows:
            table.move_cursor(row=table.get_row_index(self._select))
        self._show_detail(self.highlighted)

    @property
    def highlighted(self) -> str | None:
        table = self.query_one(DataTable)
        if not self.rows or table.row_count == 0:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        except Exception:  # an empty or cleared table has no cell under the cursor
            return None
        return str(key.value) if key.value is not None else None

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail(str(event.row_key.value) if event.row_key.value else None)

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def _show_detail(self, name: str | None) -> None:
        pane = self.query_one("#profile-diff", Static)
        row = self.rows.get(name) if name else None
        if row is None:
            pane.update("")
            return
        if row.error:
            pane.update(f"{row.name}\n\nThis profile cannot be read:\n{row.error}\n\n"
                        "Fix or delete the file; the other profiles are not affected.")
            return
        pane.update(self.flow.describe(row))

    # -- actions -----------------------------------------------------------

    def _need(self, *, readable: bool = True) -> ProfileRow | None:
        row = self.rows.get(self.highlighted or "")
        if row is None:
            self.notify("No profile selected.", severity="warning")
            return None
        if readable and row.error:
            self.notify(f"{row.name} cannot be read: {row.error}", severity="error")
            return None
        return row

    def action_open(self) -> None:
        row = self._need()
        if row is not None:
            self.flow.open(row.name, on_done=self._opened)

    def _opened(self, name: str) -> None:
        if self.is_active:
            self.dismiss(None)

    def action_save(self) -> None:
        self.flow.save(on_done=self._changed)

    def action_save_as(self) -> None:
        self.flow.save_as(on_done=self._changed)

    def action_rename(self) -> None:
        row = self._need(readable=False)
        if row is not None:
            self.flow.rename(row.name, on_done=self._changed)

    def action_copy(self) -> None:
        row = self._need()
        if row is not None:
            self.flow.copy(row.name, on_done=self._changed)

    def action_delete(self) -> None:
        row = self._need(readable=False)
        if row is not None:
            self.flow.delete(row.name, on_done=lambda _name: self.refresh_rows())

    def _changed(self, name: str) -> None:
        self.refresh_rows(select=name)

    def action_back(self) -> None:
        self.dismiss(None)
