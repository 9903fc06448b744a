"""A run's checkpoints, newest step first; enter resumes from the highlighted one in the form.

"Resume" puts the run's settings in the form with `ckpt_path` set to that file
(after the unsaved-edit guard); the launch key then checks and starts it like
any other run, so a checkpoint that is not a Lightning one is still refused.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option


class CheckpointPicker(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", id="ckpt.close"),
    ]

    def __init__(self, record: Any, checkpoints: list[Any], lines: list[str]) -> None:
        super().__init__(classes="dialog")
        self.record = record
        self.checkpoints = checkpoints
        self.lines = lines

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box", id="ckpt-box"):
            yield Label(f"Checkpoints of run {self.record.id}", classes="dialog-title")
            if self.checkpoints:
                yield OptionList(*(Option(line, id=str(i))
                                   for i, line in enumerate(self.lines[:len(self.checkpoints)])),
                                 id="ckpt-list")
                yield Label("enter: resume from it in the form (ckpt_path) · esc: close",
                            classes="dialog-text")
            else:
                yield Label("\n".join(self.lines) or "no checkpoints yet", classes="dialog-text")
                yield Label("esc: close", classes="dialog-text")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        checkpoint = self.checkpoints[int(event.option.id or 0)]
        app: Any = self.app
        from satconf.launch import config_from_record
        from satconf.runconfig import ConfigError, UsageError

        try:
            config = config_from_record(self.record)
        except (ConfigError, UsageError) as exc:
            self.notify(f"Cannot resume run {self.record.id}: {exc}", severity="error")
            return
        # The seed's fields always hold ckpt_path; train.py has the flag only when the INI
        # has the key (before any stop key): else the launch would be refused.
        entry = config.fields["ckpt_path"].ini if "ckpt_path" in config.fields else None
        if entry is None or not entry.registered:
            self.notify("train.py has no --ckpt-path flag (no ckpt_path key it reads in "
                        "defaults.ini), so it cannot resume from a checkpoint", severity="error")
            return
        # An explicit ckpt_path wins over recover, so this is the checkpoint the run resumes.
        resumed = config.evolve(values={**config.values, "ckpt_path": str(checkpoint.path)})
        app.profile_flow.guard(
            f"resume run {self.record.id} from step {checkpoint.step}",
            lambda: app.load_settings(resumed, f"run {self.record.id} at step {checkpoint.step}"))

    def action_close(self) -> None:
        self.dismiss(None)
