"""The live command preview: exactly what the launch key will start, on the chosen engine.

It shows the form state's `Prepared` (`satconf.launch`): the shell line of a
local run, the batch script of a SLURM job, one command per node for
torchrun; while a row has an error it says which, instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

if TYPE_CHECKING:
    from satconf.command import LaunchPlan
    from satconf.launch import Prepared
    from satconf.tui.state import FormState


def gpu_text(gpus: list[int] | None) -> str:
    if gpus is None:
        return "all visible GPUs (CUDA_VISIBLE_DEVICES not set)"
    if not gpus:
        return "no GPU (CUDA_VISIBLE_DEVICES empty)"
    return "GPUs " + ",".join(str(g) for g in gpus)


class CommandPreview(Static):
    """Shows the plan of the current state, or why there is none."""

    def __init__(self, **kw: object) -> None:
        super().__init__("", **kw)  # type: ignore[arg-type]
        self.prepared: Prepared | None = None
        self._head = Text("")
        self._body: Text | None = None
        self._measured: tuple[str, int] | None = None
        self._lines = 0
        self.command = ""  # the text `ctrl+y` copies: the shell line, script or commands

    @property
    def plan(self) -> LaunchPlan | None:
        """The train.py command of the previewed plan (each SLURM task's and node's too)."""
        plan = self.prepared.plan if self.prepared is not None else None
        return plan.local if plan is not None else None

    def show(self, state: FormState) -> None:
        config = state.config
        prepared = state.prepared
        engine = state.engine
        where = gpu_text(config.gpus) if engine == "local" else f"{engine} engine"
        head = Text.assemble(("Command", "bold"), "  ", (where, "dim"))
        self._head = head
        errors = state.errors
        if errors or prepared is None or prepared.plan is None:
            self.prepared, self.command = None, ""
            if errors:
                first = next(iter(errors))
                body = Text(f"Fix {len(errors)} field(s) first: {first}: {errors[first][0]}",
                            style="bold red")
            else:
                reason = prepared.plan_error if prepared is not None else "unknown"
                body = Text(f"Cannot build the command: {reason}", style="bold red")
            self.set_class(True, "-blocked")
        else:
            self.prepared = prepared
            self.command = prepared.preview().rstrip("\n")
            body = Text(self.command)
            notes = [n for n in prepared.notes]
            if notes:
                body = Text("\n").join([body, *(Text(n, style="dim") for n in notes)])
            self.set_class(False, "-blocked")
        self._body = body
        self.set_class(False, "-cut")
        self.update(Text("\n").join([head, body]))
        self.call_after_refresh(self._mark_cut)

    def on_resize(self) -> None:
        self._mark_cut()

    def _mark_cut(self) -> None:
        """Say so when the command is longer than the panel, and how to see all of it."""
        body = getattr(self, "_body", None)
        width, height = self.content_size.width, self.content_size.height
        if body is None or width <= 0 or height <= 0:
            return
        measured = (body.plain, width)
        if measured == self._measured:
            lines = self._lines  # a keystroke that changed nothing here: no wrapping again
        else:
            lines = len(body.wrap(self.app.console, width))
            self._measured, self._lines = measured, lines
        cut = lines + 1 > height  # +1: the head line
        if cut == self.has_class("-cut"):
            return
        self.set_class(cut, "-cut")
        head = self._head.copy()
        if cut:
            head.append(f"  … {lines} lines, f4 shows all", style="bold yellow")
        self.update(Text("\n").join([head, body]))
