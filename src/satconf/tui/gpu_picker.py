"""The GPU picker: the machine's GPUs (from `satconf.gpus`, read in a worker) to tick.

The result is the list of chosen indices (which becomes CUDA_VISIBLE_DEVICES),
`None` for "all visible" (the variable left unset), or no change on cancel.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, SelectionList, Static
from textual.widgets.selection_list import Selection

from satconf.tui.messages import GpusListed

UNCHANGED = object()  # dismiss value for cancel


def gpu_label(gpu: Any) -> Text:
    util = "?" if gpu.utilization is None else f"{gpu.utilization:>3}%"
    state = ("busy", "bold yellow") if gpu.busy else ("free", "green")
    return Text.assemble(
        f"{gpu.index}  ", (f"{gpu.name:<24.24}", "bold"),
        f"  {gpu.memory_used:>6}/{gpu.memory_total:<6} MiB  util {util}",
        f"  cc {gpu.capability_text}  ",
        state,
    )


def ticked_text(indices: list[int]) -> str:
    if not indices:
        return "Ticked: none (enter then hides every GPU; use a for all visible)"
    return "Ticked: GPU " + ", ".join(str(i) for i in indices)


class GpuPicker(ModalScreen[Any]):
    """Tick GPUs; Enter applies, `a` means all visible, Escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "apply", "Use ticked", id="gpus.apply", priority=True),
        Binding("a", "all", "All visible", id="gpus.all"),
        Binding("escape", "cancel", "Cancel", id="gpus.cancel"),
    ]

    def __init__(self, listing: Any, selected: list[int] | None) -> None:
        super().__init__(id="gpu-picker")
        self.listing = listing
        self.selected = selected

    def compose(self) -> ComposeResult:
        gpus = list(self.listing.gpus) if self.listing is not None else []
        with Vertical(id="gpu-box"):
            yield Label("GPUs for this run", classes="dialog-title")
            if self.listing is None:
                yield Static("Reading the GPU list…", id="gpu-note", markup=False)
            elif not gpus:
                yield Static(
                    f"{self.listing.error or 'No GPUs found'}. Training runs without "
                    "CUDA_VISIBLE_DEVICES (train.py decides); launching still works.",
                    id="gpu-note", markup=False,
                )
            else:
                if self.listing.error:
                    yield Static(self.listing.error, id="gpu-note", markup=False)
                chosen = set(self.selected or [])
                yield SelectionList[int](
                    *(Selection(gpu_label(g), g.index, g.index in chosen) for g in gpus),
                    id="gpu-list",
                )
                # The ticks are told apart by colour alone: say them in words too (NO_COLOR).
                yield Static(ticked_text(sorted(chosen)), id="gpu-ticked", markup=False)
            yield Static("space: tick · enter: use ticked · a: all visible · esc: cancel",
                         classes="dialog-help", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Use ticked", id="gpu-apply", variant="primary",
                             disabled=not gpus)
                yield Button("All visible", id="gpu-all")
                yield Button("Cancel", id="gpu-cancel")

    def on_mount(self) -> None:
        if self.listing is None:  # opened before the app's own read finished
            self.read_listing()

    @work(thread=True, exclusive=True)
    def read_listing(self) -> None:
        from satconf.gpus import list_gpus

        self.post_message(GpusListed(list_gpus()))

    async def on_gpus_listed(self, event: GpusListed) -> None:
        event.stop()
        self.listing = event.listing
        await self.recompose()

    @on(SelectionList.SelectedChanged, "#gpu-list")
    def _ticked(self, event: SelectionList.SelectedChanged) -> None:
        ticked = sorted(event.selection_list.selected)
        self.query_one("#gpu-ticked", Static).update(ticked_text(ticked))

    def action_apply(self) -> None:
        if isinstance(self.focused, Button):  # Enter on a button means that button
            self.focused.press()
            return
        lists = self.query(SelectionList)
        if not lists:
            self.dismiss(None)
            return
        self.dismiss(sorted(lists.first(SelectionList).selected))

    def action_all(self) -> None:
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(UNCHANGED)

    @on(Button.Pressed, "#gpu-apply")
    def _apply(self) -> None:
        self.action_apply()

    @on(Button.Pressed, "#gpu-all")
    def _all(self) -> None:
        self.action_all()

    @on(Button.Pressed, "#gpu-cancel")
    def _cancel(self) -> None:
        self.action_cancel()
