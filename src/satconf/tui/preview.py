"""The live command preview: exactly what the launch key will run.

`RunConfig.plan().shell()` is shown as is; when the values cannot become a
command line yet, the preview says why instead.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from satconf.command import LaunchPlan, PlanError
from satconf.runconfig import RunConfig
from satconf.runs.recover import apply_recover, wants_recover


def gpu_text(gpus: list[int] | None) -> str:
    if gpus is None:
        return "all visible GPUs (CUDA_VISIBLE_DEVICES not set)"
    if not gpus:
        return "no GPU (CUDA_VISIBLE_DEVICES empty)"
    return "GPUs " + ",".join(str(g) for g in gpus)


class CommandPreview(Static):
    """Shows the shell line of the current plan, or why there is none."""

    def __init__(self, **kw: object) -> None:
        super().__init__("", **kw)  # type: ignore[arg-type]
        self.plan: LaunchPlan | None = None
        self.command = ""

    def show(self, config: RunConfig, errors: dict[str, list[str]]) -> None:
        head = Text.assemble(("Command", "bold"), "  ", (gpu_text(config.gpus), "dim"))
        if errors:
            self.plan, self.command = None, ""
            first = next(iter(errors))
            body = Text(f"Fix {len(errors)} field(s) first: {first}: {errors[first][0]}",
                        style="bold red")
            self.set_class(True, "-blocked")
        else:
            note = None
            if wants_recover(config.values):
                # The launch applies recover, so the preview shows the checkpoint it picks.
                config, note = apply_recover(config, cached=True)
            try:
                self.plan = config.plan()
            except PlanError as exc:
                self.plan, self.command = None, ""
                body = Text(f"Cannot build the command: {exc}", style="bold red")
                self.set_class(True, "-blocked")
            else:
                self.command = self.plan.shell()
                body = Text(self.command)
                if note:
                    body = Text("\n").join([body, Text(note, style="dim")])
                self.set_class(False, "-blocked")
        self.update(Text("\n").join([head, body]))
