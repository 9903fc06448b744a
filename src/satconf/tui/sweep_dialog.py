"""The sweep dialog: value lists for the form's fields, the number of runs, then the queue.

Each field gets an optional comma-separated list (empty: the form's value);
the lists are crossed (every combination) or, with "pair the lists", zipped.
The number of runs is shown as the lists are typed. Submitting resolves and
checks every run off the UI thread (`satconf.queue.sweep_submit`), refuses the
sweep whole while any run has an error (the dialog says which), and otherwise
queues it on the form's engine (the local queue, or one SLURM job array).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Static

if TYPE_CHECKING:
    from satconf.queue.expand import SweepAxes
    from satconf.runconfig import RunConfig


class SweepDialog(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Cancel", id="sweep.cancel"),
    ]

    def __init__(self, config: RunConfig) -> None:
        super().__init__(classes="dialog")
        self.config = config

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box", id="sweep-box"):
            yield Label("Sweep", classes="dialog-title")
            yield Static("Values separated by commas; an empty field keeps the form's value.",
                         classes="dialog-text", markup=False)
            with VerticalScroll(id="sweep-fields"):
                for spec in self.config.fields:
                    if spec.key == "name":
                        continue  # each run is named <name>-<k>
                    with Horizontal(classes="sweep-row"):
                        yield Label(spec.key, classes="sweep-key")
                        yield Input(placeholder=str(self.config.values.get(spec.key, "")),
                                    id=f"sweep-{spec.key}")
            yield Checkbox("pair the lists (zip) instead of every combination", id="sweep-zip")
            with Horizontal(classes="sweep-row"):
                yield Label("GPUs per run (0: a CPU slot)", classes="sweep-key")
                yield Input("1", id="sweep-gpus")
            yield Static("1 run", id="sweep-count", markup=False)
            yield Static("", id="sweep-error", classes="dialog-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Queue", id="sweep-submit", variant="primary")
                yield Button("Cancel", id="sweep-cancel")

    def lists(self) -> dict[str, str]:
        out = {}
        for spec in self.config.fields:
            if spec.key == "name":
                continue
            text = self.query_one(f"#sweep-{spec.key}", Input).value.strip()
            if text:
                out[spec.key] = text
        return out

    def axes(self) -> SweepAxes:
        """The sweep the dialog describes; SweepSpecError while it cannot be read."""
        from satconf.queue.expand import parse_axes

        items = [f"{k}={v}" for k, v in self.lists().items()]
        zipped = self.query_one("#sweep-zip", Checkbox).value
        return parse_axes([] if zipped else items, items if zipped else [], [])

    @on(Input.Changed)
    @on(Checkbox.Changed)
    def _count(self) -> None:
        from satconf.queue.expand import SweepSpecError, expand

        count = self.query_one("#sweep-count", Static)
        try:
            n = len(expand(self.axes()))
        except SweepSpecError as exc:
            count.update(str(exc) if self.lists() else "1 run (give some value lists)")
            self.query_one("#sweep-submit", Button).disabled = True
            return
        count.update(f"{n} run{'s' if n != 1 else ''}")
        self.query_one("#sweep-submit", Button).disabled = False
        self.query_one("#sweep-submit", Button).label = f"Queue {n} runs"

    def on_mount(self) -> None:
        self._count()

    @on(Button.Pressed, "#sweep-cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#sweep-submit")
    def _submit(self) -> None:
        from satconf.queue.expand import SweepSpecError

        gpus = self.query_one("#sweep-gpus", Input).value.strip() or "1"
        if not gpus.isdigit():
            self.query_one("#sweep-error", Static).update("GPUs per run: a whole number")
            return
        try:
            axes = self.axes()
        except SweepSpecError as exc:
            self.query_one("#sweep-error", Static).update(str(exc))
            return
        self.query_one("#sweep-submit", Button).disabled = True
        self.query_one("#sweep-error", Static).update("checking every run…")
        self.send(axes, int(gpus))

    @work(thread=True, exclusive=True, group="sweep")
    def send(self, axes: SweepAxes, gpus: int) -> None:
        from satconf.queue.expand import expand
        from satconf.queue.request import GpuRequest
        from satconf.queue.store import QueueError, QueueStore
        from satconf.queue.sweep_submit import SweepRefused, prepare_all, submit, with_values
        from satconf.runs.records import RunError

        try:
            params = expand(axes)
            prepared = prepare_all(with_values(self.config, params))
            request = GpuRequest(cpu=True) if gpus == 0 else GpuRequest(count=gpus)
            done = submit(QueueStore(), prepared, params, axes, request=request)
        except SweepRefused as exc:
            self.app.call_from_thread(self._refused, str(exc), exc.lines)
            return
        except (ValueError, QueueError, RunError) as exc:
            self.app.call_from_thread(self._refused, str(exc), [])
            return
        self.app.call_from_thread(self._done, f"sweep {done.sweep_id}: {done.runs} runs to "
                                  f"{done.where}")

    def _refused(self, message: str, lines: list[str]) -> None:
        self.query_one("#sweep-error", Static).update("\n".join([message, *lines[:4]]))
        self.query_one("#sweep-submit", Button).disabled = False

    def _done(self, message: str) -> None:
        self.app.notify(message, title="Sweep")
        self.dismiss(None)


def open_sweep(app: Any) -> None:
    app.push_screen(SweepDialog(app.config))
