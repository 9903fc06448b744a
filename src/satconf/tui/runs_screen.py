"""The runs screen: every run satconf knows (any engine), k9s-like, live.

One row a run: status, name, epoch/step, latest loss, it/s, elapsed,
engine, GPUs, profile, started. The rows come from the run records and each
run's `metrics.jsonl` (its last line only), read by a worker every
`REFRESH_S`; nothing here parses a log. `/` filters (any column, as typed),
`enter` opens the run view, `s` stops a run after asking, `space` marks runs
and `d` diffs two, `x` deletes a record after asking (never checkpoints).

Relaunching a run and opening its settings in the form need the launch use
case the lead is building; they are not offered yet.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Input, Label, Static

from satconf.tui.footer import KeyFooter
from satconf.tui.keys import bindings
from satconf.tui.runs_actions import RunsActions
from satconf.tui.title_bar import TitleBar

REFRESH_S = 2.0
# What a glance needs first (an 80-column terminal shows these; the table scrolls for the rest).
COLUMNS = ("status", "name", "epoch/step", "loss", "it/s", "elapsed", "engine", "GPUs",
           "profile", "started")
NAME_WIDTH = 20
STATUS_STYLE = {"running": "bold green", "succeeded": "green", "failed": "bold red",
                "stopped": "yellow", "lost": "bold red", "queued": "cyan"}


@dataclass(frozen=True)
class RunRow:
    record: Any
    status: str
    cells: tuple[str, ...]  # one a column, as in COLUMNS

    def matches(self, text: str) -> bool:
        text = text.lower()
        return not text or any(text in c.lower() for c in (self.record.id, *self.cells))


def _elapsed(record: Any) -> str:
    from satconf.runs.records import parse_iso
    from satconf.tui.run_view import format_elapsed

    start, end = parse_iso(record.started_at), parse_iso(record.ended_at)
    if start is None:
        return "-"
    return format_elapsed((end.timestamp() if end else time.time()) - start.timestamp())


def _started(record: Any) -> str:
    from satconf.runs.records import parse_iso

    when = parse_iso(record.started_at)
    return when.astimezone().strftime("%m-%d %H:%M") if when else "-"


def _cut(text: str) -> str:
    return text if len(text) <= NAME_WIDTH else text[:NAME_WIDTH - 1] + "…"


_LATEST: dict[Any, tuple[tuple[int, int], Any]] = {}  # metrics.jsonl -> ((mtime, size), row)


def _latest(folder: Any) -> Any:
    """The run's last metrics row, read again only when its file changed (a list of many
    ended runs costs a stat each, every refresh)."""
    from satconf.runs.metrics import latest_row, metrics_path

    path = metrics_path(folder)
    try:
        st = path.stat()
    except OSError:
        return None
    key = (st.st_mtime_ns, st.st_size)
    cached = _LATEST.get(path)
    if cached is not None and cached[0] == key:
        return cached[1]
    row = latest_row(folder)
    _LATEST[path] = (key, row)
    return row


def read_rows() -> list[RunRow]:
    """Every run, newest first, with its status and latest metrics (blocking: a worker's job)."""
    from satconf.runs import list_runs, run_dir, run_status

    rows = []
    for record in list_runs():
        try:
            status = run_status(record)
        except Exception:  # one engine's trouble is one row's, not the screen's
            status = "unknown"
        latest = _latest(record.source or run_dir(record.id))
        step = f"{latest.epoch}/{latest.step}" if latest is not None else "-"
        loss = latest.metrics.get("train/loss") if latest is not None else None
        rate = latest.rate if latest is not None else None
        gpus = "all" if record.gpus is None else ",".join(map(str, record.gpus)) or "none"
        cells = (status, _cut(record.name or "-"), step, "-" if loss is None else f"{loss:.4g}",
                 "-" if rate is None else f"{rate:.2f}", _elapsed(record), record.engine, gpus,
                 _cut(record.profile or "-"), _started(record))
        rows.append(RunRow(record, status, cells))
    return rows


class DiffScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", id="diff.close"),
    ]

    def __init__(self, title: str, lines: list[str]) -> None:
        super().__init__(classes="dialog")
        self._title, self._lines = title, lines

    def compose(self) -> ComposeResult:
        with Vertical(id="diff-box"):
            yield Label(self._title, classes="dialog-title")
            yield Static("\n".join(self._lines), id="diff-text", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)


class RunsScreen(RunsActions, Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = list(bindings("runs"))  # see tui/keys.py

    def __init__(self) -> None:
        super().__init__(id="runs-screen")
        self.rows: list[RunRow] = []
        self.marked: list[str] = []  # run ids, in the order marked
        self.loaded = 0  # how many times the rows were read (tests wait on it)

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield Input(placeholder="filter: any column (esc clears)", id="runs-filter")
        table: DataTable[Any] = DataTable(id="runs-table", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static("", id="runs-hint")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "runs"
        self.sub_title = "every run satconf started (satconf runs list)"
        self.query_one(DataTable).add_columns(*COLUMNS)
        self.refresh_rows()
        self.set_interval(REFRESH_S, self.refresh_rows)
        self.query_one(DataTable).focus()

    @work(thread=True, exclusive=True, group="runs")
    def refresh_rows(self) -> None:
        try:
            rows = read_rows()
        except Exception as exc:
            self.app.call_from_thread(self.notify, f"Cannot list the runs: {exc}",
                                      severity="error")
            return
        self.app.call_from_thread(self._show, rows)

    def _show(self, rows: list[RunRow]) -> None:
        from rich.text import Text

        if self not in self.app.screen_stack:  # closed while the worker read the records
            return
        self.rows = rows
        self.loaded += 1
        table = self.query_one(DataTable)
        current = self.current_id()
        text = self.query_one("#runs-filter", Input).value
        shown = [r for r in rows if r.matches(text)]
        table.clear()
        for row in shown:
            # A marked run (for a diff) says so before its status: ▶1, ▶2.
            mark = f"▶{self.marked.index(row.record.id) + 1} " if row.record.id in self.marked \
                else ""
            status = Text(mark + row.status, style=STATUS_STYLE.get(row.status, ""))
            table.add_row(status, *row.cells[1:], key=row.record.id)
        ids = [r.record.id for r in shown]
        if current in ids:
            table.move_cursor(row=ids.index(current), animate=False)
        hint = f"{len(shown)} of {len(rows)} run(s)"
        if self.marked:
            hint += f" · marked {len(self.marked)} (d: diff)"
        self.query_one("#runs-hint", Static).update(
            hint + " · enter: open · s: stop · space: mark · x: delete · /: filter")

    def current_id(self) -> str | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        except Exception:
            return None
        return str(key.value) if key.value is not None else None

    def _row(self, run_id: str | None) -> RunRow | None:
        return next((r for r in self.rows if r.record.id == run_id), None)

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:
        row = self._row(str(event.row_key.value))
        if row is not None:
            from satconf.tui.run_view import RunScreen

            self.app.push_screen(RunScreen(row.record))

    # -- filter -------------------------------------------------------------------

    def action_filter(self) -> None:
        box = self.query_one("#runs-filter", Input)
        box.add_class("shown")
        box.focus()

    @on(Input.Changed, "#runs-filter")
    def _filter_changed(self) -> None:
        self._show(self.rows)

    @on(Input.Submitted, "#runs-filter")
    def _filter_done(self) -> None:
        self.query_one(DataTable).focus()

    def action_back(self) -> None:
        box = self.query_one("#runs-filter", Input)
        if box.has_class("shown"):
            box.value = ""
            box.remove_class("shown")
            self.query_one(DataTable).focus()
            return
        self.app.pop_screen()

    # -- acting on runs -----------------------------------------------------------

    def action_refresh(self) -> None:
        self.refresh_rows()

    def action_mark(self) -> None:
        run_id = self.current_id()
        if run_id is None:
            return
        if run_id in self.marked:
            self.marked.remove(run_id)
        else:
            self.marked = [*self.marked[-1:], run_id]  # the last two marked
        self._show(self.rows)

    def action_diff(self) -> None:
        ids = list(self.marked)
        current = self.current_id()
        if len(ids) == 1 and current and current not in ids:
            ids.append(current)
        rows = [self._row(i) for i in ids]
        if len(ids) != 2 or None in rows:
            self.notify("Mark two runs with space (or one, and put the cursor on another)",
                        timeout=3)
            return
        from satconf.runs.compare import diff_runs

        a, b = rows[0].record, rows[1].record  # type: ignore[union-attr]
        self.app.push_screen(DiffScreen(f"{a.name or a.id} ({a.id}) -> {b.name or b.id} "
                                        f"({b.id})", diff_runs(a, b)))

    def action_stop(self) -> None:
        row = self._row(self.current_id())
        if row is None:
            return
        if row.status not in ("running", "queued"):
            self.notify(f"Run {row.record.id} is {row.status}", timeout=2)
            return
        from satconf.tui.dialogs import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                self.notify(f"Stopping run {row.record.id} (SIGINT, then SIGTERM)…", timeout=3)
                self._stop(row.record.id)

        self.app.push_screen(ConfirmScreen(
            f"Stop run {row.record.id} ({row.record.name or '-'})? train.py gets SIGINT "
            "(it may save a checkpoint), then SIGTERM.", title="Stop the run", yes="Stop",
            no="Keep running", danger=True), answered)

    @work(thread=True, group="runs-stop")
    def _stop(self, run_id: str) -> None:
        from satconf.runs import stop_run

        try:
            stop_run(run_id)
        except Exception as exc:
            self.app.call_from_thread(self.notify, f"Could not stop the run: {exc}",
                                      severity="error")
        self.app.call_from_thread(self.refresh_rows)

    def action_delete(self) -> None:
        row = self._row(self.current_id())
        if row is None:
            return
        if row.status in ("running", "queued"):
            self.notify(f"Run {row.record.id} is {row.status}: stop it first", timeout=3)
            return
        from satconf.tui.dialogs import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            from satconf.runs.compare import delete_record

            try:
                message = delete_record(row.record, row.status)
            except Exception as exc:
                self.notify(f"Could not delete it: {exc}", severity="error")
                return
            if row.record.id in self.marked:
                self.marked.remove(row.record.id)
            self.notify(message, timeout=4)
            self.refresh_rows()

        self.app.push_screen(ConfirmScreen(
            f"Delete the record of run {row.record.id} ({row.record.name or '-'})? Its log "
            "and metrics go; its checkpoints stay where train.py saved them.",
            title="Delete the run's record", yes="Delete", no="Keep", danger=True), answered)
