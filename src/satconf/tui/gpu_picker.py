"""The GPU picker: the machine's GPUs (from `satconf.gpus`, read in a worker) to tick.

The result is the list of chosen indices (which becomes CUDA_VISIBLE_DEVICES),
`None` for "all visible" (the variable left unset), or no change on cancel.
Each row says its state in glyphs, not colour alone (`[x]` ticked, `[ ]` not,
`⚠ busy`), fits the box at 80 columns by shortening the name only, and a
ticked busy GPU is named in a warning line before it is used.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, SelectionList, Static
from textual.widgets.selection_list import Selection

from satconf.tui.keys import bindings
from satconf.tui.messages import GpusListed

UNCHANGED = object()  # dismiss value for cancel


TICKED, UNTICKED, BUSY, FREE = "[x]", "[ ]", "⚠ busy", "  free"
LABEL_MIN_NAME = 8
MEMORY_W, UTIL_W, CC_W = 11, 4, 4  # "20.5/80 GiB", "100%", "10.0"


def _row(tick: str, index: int, name: str, memory: str, util: str, cc: str) -> str:
    """The row's text but its state word: the one layout both the label and its width use."""
    return f"{tick} {index:>2} {name} {memory:>{MEMORY_W}} {util:>{UTIL_W}} cc {cc:<{CC_W}} "


# Cells of a row outside the name (with the widest state word).
LABEL_FIXED = len(_row(TICKED, 0, "", "", "", "")) + len(BUSY)


def gib(mib: int) -> str:
    return f"{mib / 1024:.1f}" if mib < 10 * 1024 else f"{mib / 1024:.0f}"


def gpu_label(gpu: Any, ticked: bool = False, width: int = 72) -> Text:
    """One picker row in at most `width` cells: only the name is shortened to fit."""
    util = "?" if gpu.utilization is None else f"{gpu.utilization}%"
    memory = f"{gib(gpu.memory_used)}/{gib(gpu.memory_total)} GiB"
    room = max(LABEL_MIN_NAME, width - LABEL_FIXED)
    name = gpu.name if len(gpu.name) <= room else gpu.name[: room - 1] + "…"
    text = _row(TICKED if ticked else UNTICKED, gpu.index, f"{name:<{room}}", memory, util,
                gpu.capability_text)
    state = (BUSY, "bold yellow") if gpu.busy else (FREE, "green")
    label = Text.assemble(text, state)
    label.stylize("bold", 0, 3 if ticked else 0)
    label.stylize("bold", 8, 8 + room)
    return label


def busy_warning(gpus: list[Any], ticked: list[int]) -> str:
    """The warning line for ticked GPUs that are busy; "" when none is."""
    busy = [g for g in gpus if g.index in ticked and g.busy]
    if not busy:
        return ""
    what = ", ".join(f"GPU {g.index} ({gib(g.memory_used)} GiB used, "
                     f"{'?' if g.utilization is None else g.utilization}% util)" for g in busy)
    return f"⚠ busy: {what}; the run will share it and may run out of memory"


def ticked_text(indices: list[int]) -> str:
    if not indices:
        return "Ticked: none (enter then hides every GPU; use a for all visible)"
    return "Ticked: GPU " + ", ".join(str(i) for i in indices)


class GpuPicker(ModalScreen[Any]):
    """Tick GPUs; Enter applies, `a` means all visible, Escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings("gpus"))  # see tui.keys

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
                width = self.label_width()
                yield SelectionList[int](
                    *(Selection(gpu_label(g, g.index in chosen, width), g.index,
                                g.index in chosen) for g in gpus),
                    id="gpu-list",
                )
                # SelectionList tells ticks apart by colour alone: say them in words too.
                yield Static(ticked_text(sorted(chosen)), id="gpu-ticked", markup=False)
                yield Static(busy_warning(gpus, sorted(chosen)), id="gpu-warning",
                             markup=False)
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

    def label_width(self) -> int:
        """Cells a row may take: the box (90%, at most 100) less its border and padding, the
        list's border and padding, and SelectionList's own tick box (`▐X▌ `)."""
        box = min(100, self.app.size.width * 9 // 10)
        return max(40, box - 2 - 2 - 4 - 4)

    @on(SelectionList.SelectedChanged, "#gpu-list")
    def _ticked(self, event: SelectionList.SelectedChanged) -> None:
        ticked = sorted(event.selection_list.selected)
        gpus = list(self.listing.gpus)
        width = self.label_width()
        for i, gpu in enumerate(gpus):
            event.selection_list.replace_option_prompt_at_index(
                i, gpu_label(gpu, gpu.index in ticked, width))
        self.query_one("#gpu-ticked", Static).update(ticked_text(ticked))
        self.query_one("#gpu-warning", Static).update(busy_warning(gpus, ticked))

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
