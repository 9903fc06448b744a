"""The queue screen: runs waiting for GPUs (in start order), then the starting and running.

One row an entry: place, state, name, what it asks for, what it got, its run.
`c` cancels a waiting run, `u`/`n` move it up/down, `p` pauses or resumes the
queue. The rows are read from the queue database by a worker every REFRESH_S
(a read of one SQLite file; the scheduler itself is event-driven).

`queue_form_run` is the form's Queue action (in a worker thread): the form's
config queued through `satconf.queue.submit`, on the GPUs the form picked (none
picked: any one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Static

from satconf.tui.footer import KeyFooter
from satconf.tui.keys import bindings
from satconf.tui.title_bar import TitleBar

if TYPE_CHECKING:
    from satconf.runconfig import RunConfig
    from satconf.tui.app import SatconfApp

REFRESH_S = 1.0
COLUMNS = ("id", "state", "name", "wants", "got", "run")


def entry_cells(entries: list[Any], positions: dict[int, int]) -> list[tuple[str, ...]]:
    rows = []
    for e in entries:
        state = f"queued #{positions[e.id]}" if e.id in positions else e.state
        got = "-" if not e.assigned else (f"slot {e.assigned[0]}" if e.request.cpu
                                          else ",".join(map(str, e.assigned)))
        rows.append((str(e.id), state, e.name or "-", e.request.describe(), got,
                     e.run_id or "-"))
    return rows


class QueueScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = list(bindings("queue"))  # see tui/keys.py

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield Static("", id="queue-head")
        table: DataTable[str] = DataTable(id="queue-table", cursor_type="row")
        table.add_columns(*COLUMNS)
        yield table
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "Queue"
        self.refresh_rows()
        self.set_interval(REFRESH_S, self.refresh_rows)

    @work(thread=True, exclusive=True, group="queue")
    def refresh_rows(self) -> None:
        from satconf.queue.scheduler import scheduler_running
        from satconf.queue.store import ACTIVE, QUEUED, QueueError, QueueStore

        try:
            store = QueueStore()
            entries = store.entries((QUEUED, *ACTIVE))
            rows = entry_cells(entries, store.positions())
            head = (f"queue {'paused' if store.paused else 'active'}, scheduler "
                    + ("running" if scheduler_running() else "not running")
                    + f", {sum(1 for e in entries if e.state == QUEUED)} waiting")
            store.close()
        except QueueError as exc:
            rows, head = [], str(exc)
        self.app.call_from_thread(self._show, rows, head)

    def _show(self, rows: list[tuple[str, ...]], head: str) -> None:
        self.query_one("#queue-head", Static).update(head)
        table = self.query_one("#queue-table", DataTable)
        selected = self._selected()
        table.clear()
        for row in rows:
            table.add_row(*row, key=row[0])
        if selected is not None and selected in {r[0] for r in rows}:
            table.move_cursor(row=table.get_row_index(selected))

    def _selected(self) -> str | None:
        table = self.query_one("#queue-table", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return str(key.value) if key.value is not None else None

    def _store(self) -> Any:
        from satconf.queue.store import QueueStore

        return QueueStore()

    def action_cancel(self) -> None:
        from satconf.queue.store import QueueError

        selected = self._selected()
        if selected is None:
            return
        try:
            self._store().cancel(int(selected))
            self.notify(f"queue entry {selected} cancelled")
        except QueueError as exc:
            self.notify(str(exc), severity="error")
        self.refresh_rows()

    def action_move(self, by: int) -> None:
        from satconf.queue.scheduler import wake
        from satconf.queue.store import QueueError

        selected = self._selected()
        if selected is None:
            return
        store = self._store()
        place = store.positions().get(int(selected))
        if place is None:
            self.notify("only a waiting run can be moved", severity="warning")
            return
        try:
            store.move(int(selected), max(1, place + by))
        except QueueError as exc:
            self.notify(str(exc), severity="error")
        wake()
        self.refresh_rows()

    def action_pause(self) -> None:
        from satconf.queue.scheduler import ensure_scheduler

        store = self._store()
        paused = not store.paused
        store.set_setting("paused", "1" if paused else "0")
        if not paused:
            ensure_scheduler(store)
        self.notify("queue paused" if paused else "queue resumed")
        self.refresh_rows()


def queue_form_run(app: SatconfApp, config: RunConfig) -> None:
    """The form's Queue action, in a worker thread: queue `config` (checked first), and
    say where it went."""
    from satconf.queue.request import GpuRequest
    from satconf.queue.store import QueueError
    from satconf.queue.submit import QueueRefused, queue_run

    def say(message: str, severity: str = "information") -> None:
        app.call_from_thread(app.notify, message, severity=severity, title="Queue")

    request = (GpuRequest(count=1) if not config.gpus
               else GpuRequest(count=len(config.gpus), ids=tuple(config.gpus)))
    try:
        queued = queue_run(config, request)
    except QueueRefused as exc:
        first = exc.prepared.errors[0] if exc.prepared is not None and exc.prepared.errors \
            else None
        detail = f" ({first.field}: {first.message})" if first is not None else ""
        say(f"Not queued: {exc}{detail}", "error")
        return
    except QueueError as exc:
        say(f"Not queued: {exc}", "error")
        return
    say(f"Queued as {queued.entry_id} (position {queued.position or '-'}, "
        f"{request.describe()})")
