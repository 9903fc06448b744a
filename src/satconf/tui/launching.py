"""The app's deeper checks and launch: debounced preflight in a worker, then a guarded start.

A mixin of `SatconfApp`, kept apart so each file stays small. Launch is
refused while the form has errors or the checks found errors; warnings ask
for confirmation; the run starts in a worker through `satconf.runs`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from textual import work
from textual.timer import Timer

from satconf.runconfig import RunConfig
from satconf.tui.findings import level_of
from satconf.tui.messages import ChecksDone, ChoicesProbed, RunLaunched

if TYPE_CHECKING:
    from satconf.tui.app import SatconfApp

CHECK_DELAY = 0.4  # seconds of quiet typing before the deeper checks run


class ChecksAndLaunch:
    """Mixed into `SatconfApp`; `self` is the app."""

    _check_timer: Timer | None
    _launch_waiting: bool

    # -- deeper checks ------------------------------------------------------------------

    def _schedule_checks(self: SatconfApp, delay: float = CHECK_DELAY) -> None:
        if self._check_timer is not None:
            self._check_timer.stop()
        # Textual's timers need a positive delay ("now" is a zero delay in spirit only).
        self._check_timer = self.set_timer(max(delay, 0.01), self._start_checks)

    def _start_checks(self: SatconfApp) -> None:
        snapshot = replace(self.config, values=dict(self.config.values),
                           gpus=None if self.config.gpus is None else list(self.config.gpus))
        self.findings_panel.pending()
        self.run_checks(self.form.generation, snapshot)

    def action_recheck(self: SatconfApp) -> None:
        self._schedule_checks(delay=0)

    @work(thread=True, exclusive=True, group="checks")
    def run_checks(self: SatconfApp, generation: int, config: RunConfig) -> None:
        from satconf.tui.checking import deep_check

        env = self.env_info
        if self.probe_env and (env is None or getattr(env, "python", None) != config.python):
            # The first probe starts the training python (seconds): show the quick checks first.
            quick, _, _ = deep_check(config, None, probe_env=False)
            self.post_message(ChecksDone(generation, quick, "probing the training python…",
                                         partial=True))
        findings, note, choices = deep_check(config, env, probe_env=self.probe_env)
        if choices is not None:
            self.post_message(ChoicesProbed(choices[0]))
            self.env_info = choices[1]
        self.post_message(ChecksDone(generation, findings, note))

    def on_choices_probed(self: SatconfApp, event: ChoicesProbed) -> None:
        for key, names in event.choices.items():
            self.form.set_choices(key, names)

    def on_checks_done(self: SatconfApp, event: ChecksDone) -> None:
        if event.generation != self.form.generation:
            return  # values changed meanwhile; a newer run is scheduled
        self.findings_panel.show(event.findings, event.note)
        if event.partial:
            self.findings_panel.pending()
            return
        self.findings = list(event.findings)
        self.checks_generation = event.generation
        if self._launch_waiting:
            self._launch_waiting = False
            self._launch_after_checks()

    # -- launch -----------------------------------------------------------------------------

    def action_launch(self: SatconfApp) -> None:
        if self.errors:
            key = next(iter(self.errors))
            self.notify(f"Launch refused: {len(self.errors)} field(s) have errors "
                        f"({key}: {self.errors[key][0]})", severity="error", title="Not launched")
            if key in self.config.fields:
                self.form.focus_field(key)
            return
        if self.preview.plan is None:
            self.notify("Launch refused: the command cannot be built", severity="error")
            return
        if self.deep_checks and self.checks_generation != self.form.generation:
            self._launch_waiting = True  # launch as soon as current findings are in
            self.notify("Checking before launch…", timeout=2)
            self._schedule_checks(delay=0)
            return
        self._launch_after_checks()

    def _launch_after_checks(self: SatconfApp) -> None:
        errors = [f for f in self.findings if level_of(f) == "error"]
        if errors:
            self.notify(f"Launch refused: {len(errors)} check(s) failed: {errors[0].message}",
                        severity="error", title="Not launched")
            return
        warnings = [f for f in self.findings if level_of(f) == "warning"]
        if not warnings:
            self._start_run()
            return
        from satconf.tui.dialogs import ConfirmScreen

        question = "\n".join(f"! {w.message}" for w in warnings[:6])
        self.push_screen(ConfirmScreen(f"{question}\n\nLaunch anyway?",
                                       title=f"{len(warnings)} warning(s)", yes="Launch"),
                         lambda yes: self._start_run() if yes else None)

    def _start_run(self: SatconfApp) -> None:
        snapshot = replace(self.config, values=dict(self.config.values))
        self.start_run_worker(snapshot)

    @work(thread=True, exclusive=True, group="launch")
    def start_run_worker(self: SatconfApp, config: RunConfig) -> None:
        from satconf.tui.run_view import start

        record, error = start(config)
        self.post_message(RunLaunched(record, error))

    def on_run_launched(self: SatconfApp, event: RunLaunched) -> None:
        if event.error or event.record is None:
            self.notify(f"Could not start the run: {event.error}", severity="error")
            return
        from satconf.tui.run_view import RunScreen

        self.last_run = event.record
        self.push_screen(RunScreen(event.record))
