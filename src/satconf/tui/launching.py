"""The app's deeper checks and launch: the launch use case in a worker, then a guarded start.

A mixin of `SatconfApp`, kept apart so each file stays small. The worker
computes `satconf.launch.prepare` for a snapshot of the form state and posts
it; it never writes app state. Launch is refused while a row or a check has
an error; warnings ask for confirmation; the key starts the very `Prepared`
the preview and the checks panel show, in a worker, through `launch.start`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import work
from textual.timer import Timer

from satconf.runconfig import RunConfig
from satconf.tui.messages import ChecksDone, ChoicesProbed, RunLaunched

if TYPE_CHECKING:
    from satconf.tui.app import SatconfApp

CHECK_DELAY = 0.4  # seconds of quiet typing before the deeper checks run


class ChecksAndLaunch:
    """Mixed into `SatconfApp`; `self` is the app."""

    _check_timer: Timer | None
    _launch_waiting: bool
    _pythons_answered: dict[str, bool]  # the user's word on each profile python asked about

    # -- deeper checks ------------------------------------------------------------------

    def _schedule_checks(self: SatconfApp, delay: float = CHECK_DELAY) -> None:
        if self._check_timer is not None:
            self._check_timer.stop()
        # Textual's timers need a positive delay ("now" is a zero delay in spirit only).
        self._check_timer = self.set_timer(max(delay, 0.01), self._start_checks)

    def _start_checks(self: SatconfApp) -> None:
        state = self.state
        if state.errors:
            # Nothing more to check or launch while a row is wrong: the panel counts those.
            from satconf.checks import findings_from_errors

            self.findings_panel.show(findings_from_errors(state.errors),
                                     note="fix the fields marked ✗ first")
            return
        probe = self.probe_env and self._python_cleared()
        if probe is None:
            return  # asking the user first; the answer starts the checks
        self.findings_panel.pending()
        self.run_checks(state.generation, state.config, state.env, probe)

    def _python_cleared(self: SatconfApp) -> bool | None:
        """Whether the checks may start the training python: a profile's python is shown and
        confirmed once first (None: the question is on screen now)."""
        from satconf.pythons import FROM_PROFILE

        python = self.state.config.python
        if self.state.config.python_reason != FROM_PROFILE or python in self._pythons_answered:
            return self._pythons_answered.get(python, True)
        from satconf import trust

        if trust.is_trusted(python):
            return True
        from satconf.tui.dialogs import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                try:
                    trust.trust(python)
                except trust.TrustError as exc:
                    self.notify(str(exc), severity="error")
            self._pythons_answered[python] = bool(yes)
            self._schedule_checks(delay=0)

        self.push_screen(ConfirmScreen(
            f"The profile's training python is {trust.describe(python)}.\n"
            "satconf has not run it before; the checks would start it now. Run it?",
            title="Training python", yes="Run it"), answered)
        return None

    def action_recheck(self: SatconfApp) -> None:
        self._schedule_checks(delay=0)

    @work(thread=True, exclusive=True, group="checks")
    def run_checks(self: SatconfApp, generation: int, config: RunConfig, env: Any,
                   probe: bool = True) -> None:
        from satconf.tui.checking import deep_check

        if probe and (env is None or getattr(env, "python", None) != config.python):
            # The first probe starts the training python (seconds): show the quick checks first.
            quick, _, _ = deep_check(config, None, probe_env=False)
            self.post_message(ChecksDone(generation, quick, "probing the training python…",
                                         partial=True))
        prepared, note, probed = deep_check(config, env, probe_env=probe)
        if not probe and self.probe_env:
            note = "the profile's training python was not confirmed, so it was not run"
        if probed is not None:
            self.post_message(ChoicesProbed(probed[0]))
        self.post_message(ChecksDone(generation, prepared, note,
                                     env=probed[1] if probed is not None else None))

    def on_choices_probed(self: SatconfApp, event: ChoicesProbed) -> None:
        if self.quitting:
            return
        for key, names in event.choices.items():
            self.form.set_choices(key, names)

    def on_checks_done(self: SatconfApp, event: ChecksDone) -> None:
        if self.quitting:
            return  # a worker's late answer while the app closes: nothing left to show it in
        if event.env is not None:
            self.state.set_env(event.env)
        if event.generation != self.state.generation:
            return  # values changed meanwhile; a newer run is scheduled
        findings = list(event.prepared.findings) if event.prepared is not None else []
        self.findings_panel.show(findings, event.note)
        if event.partial:
            self.findings_panel.pending()
            return
        if event.prepared is not None:
            self.state.deep_done(event.generation, event.prepared)
            self.preview.show(self.state)  # the plan the launch key will start
        if self._launch_waiting:
            self._launch_waiting = False
            self._launch_after_checks()

    # -- launch -----------------------------------------------------------------------------

    def action_launch(self: SatconfApp) -> None:
        errors = self.state.errors
        if errors:
            key = next(iter(errors))
            self.notify(f"Launch refused: {len(errors)} field(s) have errors "
                        f"({key}: {errors[key][0]})", severity="error", title="Not launched")
            if key in self.state.fields:
                self.form.focus_field(key)
            return
        if self.state.quick is None or self.state.quick.plan is None:
            self.notify("Launch refused: the command cannot be built", severity="error")
            return
        if self.state.deep is None:
            self._launch_waiting = True  # launch as soon as current findings are in
            self.notify("Checking before launch…", timeout=2)
            self._schedule_checks(delay=0)
            return
        self._launch_after_checks()

    def _launch_after_checks(self: SatconfApp) -> None:
        prepared = self.state.deep
        if prepared is None:
            return
        if self._pythons_answered.get(prepared.config.python) is False:
            self.notify("Launch refused: the profile's training python was not confirmed",
                        severity="error", title="Not launched")
            return
        if prepared.errors:
            first = prepared.errors[0]
            self.notify(f"Launch refused: {len(prepared.errors)} check(s) failed: "
                        f"{first.message}", severity="error", title="Not launched")
            return
        if not prepared.warnings:
            self.start_run_worker(prepared)
            return
        from satconf.tui.dialogs import ConfirmScreen

        question = "\n".join(f"! {w.message}" for w in prepared.warnings[:6])
        self.push_screen(ConfirmScreen(f"{question}\n\nLaunch anyway?",
                                       title=f"{len(prepared.warnings)} warning(s)",
                                       yes="Launch"),
                         lambda yes: self.start_run_worker(prepared) if yes else None)

    @work(thread=True, exclusive=True, group="launch")
    def start_run_worker(self: SatconfApp, prepared: Any) -> None:
        from satconf.launch import start

        try:
            record = start(prepared)
        except Exception as exc:  # RunError, OSError...: said in the form, never a crash
            self.post_message(RunLaunched(None, str(exc) or type(exc).__name__))
            return
        self.post_message(RunLaunched(record, None))

    def on_run_launched(self: SatconfApp, event: RunLaunched) -> None:
        if self.quitting:
            return
        if event.error or event.record is None:
            self.notify(f"Could not start the run: {event.error}", severity="error")
            return
        from satconf.tui.run_view import RunScreen

        self.last_run = event.record
        self.launched.append(event.record.id)
        self.push_screen(RunScreen(event.record))

    def still_running(self: SatconfApp) -> list[Any]:
        """The records of the runs started from this form that have not ended (they are
        detached: quitting the form leaves them going)."""
        from satconf.runs.records import load_run
        from satconf.runs.status import run_status

        out = []
        for run_id in dict.fromkeys(self.launched):
            try:
                record = load_run(run_id)
            except Exception:  # a deleted or unreadable record: nothing to say about it
                continue
            if run_status(record) in ("running", "queued"):
                out.append(record)
        return out
