"""The satconf app: the form, the live preview, checks, GPUs and the one-key launch.

`run_app` is the one factory the CLI and the tests share. The app holds the
`RunConfig`; the form owns the values being typed and reports them with
`FormChanged`; blocking work (GPU list, environment probe, preflight checks,
starting a run) runs in workers that answer with messages.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

from textual import events, on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import BindingType
from textual.containers import Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer

from satconf.fields import Values
from satconf.runconfig import ConfigError, RunConfig, UsageError, load_run_config
from satconf.tui.field_finder import FieldCommands, FieldFilter
from satconf.tui.findings import FindingsPanel
from satconf.tui.footer import KeyFooter
from satconf.tui.form import ConfigForm
from satconf.tui.form_actions import FormActions
from satconf.tui.keys import bindings as app_bindings
from satconf.tui.keys import form_only_actions
from satconf.tui.launching import ChecksAndLaunch
from satconf.tui.messages import (
    BrowsePath,
    FormChanged,
    GpusListed,
)
from satconf.tui.preview import CommandPreview
from satconf.tui.profile_hooks import ProfileHooks
from satconf.tui.state import FormState
from satconf.tui.title_bar import TitleBar

SHORT_HEIGHT = 30  # rows below which the panels under the form shrink
NARROW_WIDTH = 100  # columns below which the flag column narrows
FORM_ACTIONS = form_only_actions()  # the keys table says which keys act on the form alone


class SatconfApp(ChecksAndLaunch, FormActions, ProfileHooks, App[int]):
    """Edit one run's configuration and launch it."""

    CSS_PATH = "satconf.tcss"
    TITLE = "satconf"
    # The keys, their footer order and help text: satconf.tui.keys (one table).
    BINDINGS: ClassVar[list[BindingType]] = list(app_bindings("app"))
    COMMANDS = App.COMMANDS | {FieldCommands}  # "Go to field" in the palette

    dirty: reactive[bool] = reactive(False)  # the form differs from the loaded profile

    def __init__(self, config: RunConfig, *, deep_checks: bool = True,
                 probe_env: bool = True) -> None:
        super().__init__()
        self.state = FormState(config)  # the values and all that derives from them
        self.deep_checks = deep_checks  # the preflight checks, in a worker after edits
        self.probe_env = probe_env  # include the checks that need the training python
        self.profile_name: str | None = config.profile
        self.gpu_listing: Any = None  # satconf.gpus.GpuListing once read
        self._saved = self._snapshot()
        self._check_timer: Timer | None = None
        self._launch_waiting = False
        self._pythons_answered: dict[str, bool] = {}
        self.last_run: Any = None  # the record of the run launched from here
        self.launched: list[str] = []  # the ids of every run launched from here
        self._profile_flow: Any = None  # see profile_flow

    @property
    def config(self) -> RunConfig:
        """The config being edited (immutable; the state replaces it on each change)."""
        return self.state.config

    @property
    def errors(self) -> dict[str, list[str]]:
        return self.state.errors

    @property
    def findings(self) -> list[Any]:
        """The full findings of the current values, once the deeper checks are in."""
        return list(self.state.deep.findings) if self.state.deep is not None else []

    def _snapshot(self) -> tuple[Values, list[int] | None, dict[str, Any]]:
        c = self.state.config
        return dict(c.values), (None if c.gpus is None else list(c.gpus)), dict(c.options)

    # -- layout -------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # The size classes before any widget mounts: set on the first Resize instead, each
        # would restyle every widget of the form once more before the first frame.
        self._size_classes(self.size.width, self.size.height)
        yield TitleBar()
        with Vertical(id="main"):
            yield FieldFilter()
            yield ConfigForm(self.state.fields, self.state.values, id="form")
            yield FindingsPanel(id="findings")
            yield CommandPreview(id="preview")
        yield KeyFooter()

    @property
    def form(self) -> ConfigForm:
        return self._base().query_one("#form", ConfigForm)

    @property
    def preview(self) -> CommandPreview:
        return self._base().query_one("#preview", CommandPreview)

    @property
    def findings_panel(self) -> FindingsPanel:
        return self._base().query_one("#findings", FindingsPanel)

    @property
    def quitting(self) -> bool:
        """The app is closing (Textual's own flag, set by `exit`)."""
        return bool(getattr(self, "_exit", False))

    def _base(self) -> Any:
        """The form's screen (the bottom of the stack), whatever dialog or view is on top:
        a worker's result may land while the run view or a picker is open."""
        return self.screen_stack[0] if self.screen_stack else self

    def on_mount(self) -> None:
        self._update_title()
        self._show_state()
        if "name" in self.config.fields:
            self.form.editor("name").focus()
        if not self.deep_checks:
            self.findings_panel.show([], note="deeper checks are off")
        # After the first frame: nothing blocking stands between start and the form.
        self.call_after_refresh(self._after_first_frame)

    def on_resize(self, event: events.Resize) -> None:
        self._size_classes(event.size.width, event.size.height)

    def _size_classes(self, width: int, height: int) -> None:
        self.set_class(height < SHORT_HEIGHT, "-short")
        self.set_class(width < NARROW_WIDTH, "-narrow")

    def _after_first_frame(self) -> None:
        if self.config.workspace.is_demo and self.size.height >= SHORT_HEIGHT:
            # At 80x24 a toast would cover the checks and the command: the header says it.
            # After the first frame: a toast is a screenful of widgets of its own.
            self.notify(f"Not in a stable-audio-tools checkout: opened the embedded demo "
                        f"workspace at {self.config.workspace.root}", title="Demo workspace",
                        timeout=4)
        self.read_gpus()
        from satconf.tui.alert_watch import watch_alerts

        self.alert_watch = watch_alerts(self)  # any run's ended/failed/stalled/NaN, as a toast
        if self.deep_checks:
            self._schedule_checks(delay=0.05)

    def _update_title(self) -> None:
        ws = self.config.workspace
        self.sub_title = ("embedded demo workspace " + str(ws.root)) if ws.is_demo else str(ws.root)
        profile = self.profile_name or "(no profile)"
        self.title = f"satconf · {profile}" + (" ● modified" if self.dirty else "")

    def watch_dirty(self) -> None:
        self._update_title()

    # -- edits --------------------------------------------------------------------

    @on(FormChanged)
    def _form_changed(self, event: FormChanged) -> None:
        self.state.set_values(event.values, event.parse_errors)
        self._changed()

    def _changed(self) -> None:
        """The state changed: send its verdict down and schedule the deeper checks."""
        self._show_state()
        self._refresh_dirty()
        if self.deep_checks:
            self.findings_panel.pending()
            self._schedule_checks()

    def _show_state(self) -> None:
        if not self.deep_checks:  # the panel still counts the fields' own errors
            from satconf.checks.finding import findings_from_errors

            self.findings_panel.show(findings_from_errors(self.state.errors),
                                     note="deeper checks are off")
        hidden = self.state.hidden
        self.form.show_errors(self.state.errors, hidden if hidden != self.form.hidden else None)
        self.preview.show(self.state)

    def _refresh_dirty(self) -> None:
        self.dirty = self._snapshot() != self._saved

    @property
    def profile_flow(self) -> Any:
        """The profile operations and their dialogs (`tui.profile_flow`), made on first use."""
        if self._profile_flow is None:
            from satconf.tui.profile_flow import ProfileFlow

            self._profile_flow = ProfileFlow(self)
        return self._profile_flow

    def action_open_profiles(self) -> None:
        from satconf.tui.profiles_screen import ProfilesScreen

        if not isinstance(self.screen, ProfilesScreen):
            self.push_screen(ProfilesScreen(self.profile_flow))

    def action_open_runs(self) -> None:
        from satconf.tui.runs_screen import RunsScreen

        if not isinstance(self.screen, RunsScreen):
            self.push_screen(RunsScreen())

    def action_open_queue(self) -> None:
        from satconf.tui.queue_screen import QueueScreen

        if not isinstance(self.screen, QueueScreen):
            self.push_screen(QueueScreen())

    def action_queue_run(self) -> None:
        from satconf.tui.queue_screen import queue_form_run

        config = self.config  # read here; the checks and the queueing run off the UI thread
        self.run_worker(lambda: queue_form_run(self, config), thread=True, group="queue")

    def action_open_sweep(self) -> None:
        from satconf.tui.sweep_dialog import open_sweep

        open_sweep(self)

    def action_save_profile(self) -> None:
        self.profile_flow.save()

    def action_save_profile_as(self) -> None:
        self.profile_flow.save_as()

    async def action_quit(self) -> None:
        """Quit, but never silently drop unsaved edits (the guard asks first)."""
        self.profile_flow.quit()

    # -- GPUs -----------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="gpus")
    def read_gpus(self) -> None:
        from satconf.gpus import list_gpus

        self.post_message(GpusListed(list_gpus()))

    @on(GpusListed)
    def _gpus_listed(self, event: GpusListed) -> None:
        self.gpu_listing = event.listing

    def action_pick_gpus(self) -> None:
        from satconf.tui.gpu_picker import UNCHANGED, GpuPicker

        def chosen(result: Any) -> None:
            if result is UNCHANGED:
                return
            self.set_gpus(result)

        self.push_screen(GpuPicker(self.gpu_listing, self.config.gpus), chosen)

    def set_gpus(self, gpus: list[int] | None) -> None:
        self.state.set_gpus(gpus)
        self._changed()

    # -- small actions --------------------------------------------------------------------------

    def action_copy_command(self) -> None:
        if not self.preview.command:
            self.notify("No command to copy while the form has errors", severity="warning")
            return
        from satconf.tui.clipboard import copy_verdict, tmux_set_clipboard

        self.copy_to_clipboard(self.preview.command)  # OSC 52: the terminal never answers
        env = dict(os.environ)
        verdict = copy_verdict(env, tmux_set_clipboard() if env.get("TMUX") else None)
        if verdict.sure:
            self.notify(verdict.message, timeout=3)
        else:
            from satconf.tui.dialogs import CopyByHandScreen

            self.push_screen(CopyByHandScreen(verdict.message, self.preview.command))

    def action_help(self) -> None:
        from satconf.tui.help_screen import open_help

        open_help(self.screen)

    @on(BrowsePath)
    def _browse(self, event: BrowsePath) -> None:
        from satconf.tui.path_picker import PathPicker

        key = event.key
        current = str(self.config.values.get(key) or "")

        def picked(path: str | None) -> None:
            if path is not None:
                self.form.set_value(key, path)
                self.form.focus_field(key)

        self.push_screen(PathPicker(self.config.workspace.root, current,
                                    directory=event.directory), picked)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # The form's keys act on the form only: not under a dialog, in the profiles
        # panel or in the run view (the form is the bottom of the screen stack).
        if action not in FORM_ACTIONS:
            return True
        return len(self.screen_stack) == 1

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Launch", "Check and start train.py with this configuration",
                            self.action_launch)
        yield SystemCommand("Queue", "Check, then queue this run until its GPUs are free",
                            self.action_queue_run)
        yield SystemCommand("Queue screen", "Waiting and running queued runs: cancel, move, "
                            "pause", self.action_open_queue)
        yield SystemCommand("Sweep", "Value lists for fields: many runs to the queue",
                            self.action_open_sweep)
        yield SystemCommand("Save profile", "Save the form as the current profile",
                            self.action_save_profile)
        yield SystemCommand("Save profile as", "Save the form as a new named profile",
                            self.action_save_profile_as)
        yield SystemCommand("Open profile", "Open, rename, copy or delete profiles",
                            self.action_open_profiles)
        yield SystemCommand("Runs", "Every run: progress, loss, stop, diff, delete",
                            self.action_open_runs)
        yield SystemCommand("Copy command", "Copy the previewed command line",
                            self.action_copy_command)
        yield SystemCommand("Choose GPUs", "Pick the GPUs (CUDA_VISIBLE_DEVICES)",
                            self.action_pick_gpus)
        yield SystemCommand("Find field", "Filter the fields by flag, key or help text",
                            self.action_filter_fields)
        yield SystemCommand("Modified fields only", "Show only what differs from defaults.ini",
                            self.action_modified_only)
        yield SystemCommand("Reset all fields", "Every field back to its default (asks first)",
                            self.action_reset_all)
        yield SystemCommand("Show the whole command", "The command or batch script, in full",
                            self.action_show_command)


def make_app(workspace: Path | str | None = None, profile: str | None = None, *,
             deep_checks: bool = True, probe_env: bool = True,
             python: str | None = None) -> SatconfApp:
    """The app the CLI runs (tests pass the same arguments the CLI does, plus switches).

    Raises ConfigError/UsageError on a bad workspace or profile. `python` replaces
    the training interpreter (a profile's own wins only when this is None).
    """
    config = load_run_config(workspace, profile=profile, python=python)
    return SatconfApp(config, deep_checks=deep_checks, probe_env=probe_env)


def run_app(workspace: Path | str | None = None, profile: str | None = None) -> int:
    """`satconf` with no subcommand: open the form; the exit code for the shell."""
    import sys

    try:
        app = make_app(workspace, profile)
    except (ConfigError, UsageError) as exc:
        print(f"satconf: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, UsageError) else 1
    result = app.run()
    for record in app.still_running():
        # The screen is gone: say where the run went, as a shell user expects.
        print(f"satconf: run {record.id} ({record.name or 'unnamed'}) goes on in the "
              f"background: `satconf runs logs {record.id} -f` follows it, "
              f"`satconf runs stop {record.id}` stops it", file=sys.stderr)
    return int(result or 0)
