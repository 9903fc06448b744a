"""Relaunch a run, or open its settings in the form: both through the one launch path.

A mixin of `RunsScreen`. The run's settings are resolved again against its
workspace (`launch.config_from_record`), checked by `launch.prepare` in a
worker, refused on errors, asked about on warnings, and started by
`launch.start`, as `f5` in the form would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual import work
from textual.message import Message

if TYPE_CHECKING:
    from satconf.tui.runs_screen import RunsScreen


@dataclass
class RelaunchChecked(Message):
    """The relaunch's `Prepared`, or why there is none."""

    prepared: Any
    error: str | None


@dataclass
class Relaunched(Message):
    record: Any
    error: str | None


class RunsActions:
    """Mixed into `RunsScreen`; `self` is the screen. Handlers go by their names
    (`on_<message>`): Textual's `@on` only registers methods of the widget class itself."""

    def action_relaunch(self: RunsScreen) -> None:
        row = self._row(self.current_id())
        if row is None:
            return
        self.notify(f"Checking run {row.record.id}'s settings again…", timeout=2)
        self.check_relaunch(row.record)

    @work(thread=True, exclusive=True, group="relaunch")
    def check_relaunch(self: RunsScreen, record: Any) -> None:
        from satconf.environment import cached_probe, probe
        from satconf.launch import config_from_record, prepare

        try:
            config = config_from_record(record)
            env = cached_probe(config.python) or probe(config.python)
            self.post_message(RelaunchChecked(prepare(config, env=env, inspect=True), None))
        except Exception as exc:  # a gone workspace, an unreadable INI: said, never a crash
            self.post_message(RelaunchChecked(None, str(exc) or type(exc).__name__))

    def on_relaunch_checked(self: RunsScreen, event: RelaunchChecked) -> None:
        prepared = event.prepared
        if prepared is None:
            self.notify(f"Not relaunched: {event.error}", severity="error")
            return
        if prepared.errors:
            first = prepared.errors[0]
            self.notify(f"Not relaunched: {len(prepared.errors)} check(s) failed: "
                        f"{first.field + ': ' if first.field else ''}{first.message}",
                        severity="error", title="Not launched")
            return
        if not prepared.warnings:
            self.start_relaunch(prepared)
            return
        from satconf.tui.dialogs import ConfirmScreen

        question = "\n".join(f"! {w.message}" for w in prepared.warnings[:6])
        self.app.push_screen(ConfirmScreen(f"{question}\n\nRelaunch anyway?",
                                           title=f"{len(prepared.warnings)} warning(s)",
                                           yes="Relaunch"),
                             lambda yes: self.start_relaunch(prepared) if yes else None)

    @work(thread=True, exclusive=True, group="relaunch-start")
    def start_relaunch(self: RunsScreen, prepared: Any) -> None:
        from satconf.launch import start

        try:
            self.post_message(Relaunched(start(prepared), None))
        except Exception as exc:
            self.post_message(Relaunched(None, str(exc) or type(exc).__name__))

    def on_relaunched(self: RunsScreen, event: Relaunched) -> None:
        if event.record is None:
            self.notify(f"Could not start the run: {event.error}", severity="error")
            return
        self.notify(f"Relaunched as run {event.record.id}", title="Runs")
        self.refresh_rows()

    def action_edit(self: RunsScreen) -> None:
        """The run's settings into the form (asking first about unsaved edits)."""
        row = self._row(self.current_id())
        if row is None:
            return
        from satconf.launch import config_from_record
        from satconf.runconfig import ConfigError, UsageError

        try:
            config = config_from_record(row.record)
        except (ConfigError, UsageError) as exc:
            self.notify(f"Cannot open run {row.record.id}'s settings: {exc}", severity="error")
            return
        app: Any = self.app
        if config.workspace.root != app.config.workspace.root:
            self.notify(f"Run {row.record.id} used another workspace "
                        f"({config.workspace.root}); open satconf there to edit it",
                        severity="warning")
            return
        app.profile_flow.guard(f"open run {row.record.id}'s settings",
                               lambda: app.load_settings(config, f"run {row.record.id}"))
