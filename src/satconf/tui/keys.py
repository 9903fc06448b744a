"""Every key of satconf's screens, described once: the app, its screens, the footer and the
help read it. (A dialog's own answer keys, y/n/esc, stay with the dialog: they are its buttons.)

Why one table: the keys were spread over seven `BINDINGS` lists, and three of them
collided with keys Textual's editors own (`ctrl+k` deleted to the end of the
field instead of re-running the checks). Here each key has an id, a short
footer label, a longer help text, a footer rank (1 = shown first, None = only
in the help screen) and the screens it acts on; `bindings(owner)` turns the
rows of one `BINDINGS` list into Textual bindings.

What it guarantees (tests/test_tui_keys.py holds it to that against the
installed Textual):
- no app-wide key is owned by Input, Select, Switch or TextArea
  (`EDITOR_KEYS`), so pressing it with focus in any editor does what it says;
- `?` opens the help only where focus is not a text editor (it is a plain,
  non-priority binding: a focused Input or TextArea types it first).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding

# Screen names used in `KeySpec.screens`.
FORM = "form"
PROFILES = "profiles"
RUN = "run"
GPUS = "gpus"
PICKER = "picker"
RUNS = "runs"
QUEUE = "queue"
EVERY = "every screen"


@dataclass(frozen=True)
class KeySpec:
    """One binding: `key` may list alternatives ("escape,q"), the first is the one shown."""

    id: str
    key: str
    action: str
    label: str  # the footer's word(s): short, 80 columns hold the whole footer
    help: str  # the help screen's sentence
    owner: str  # which BINDINGS list holds it: app, form, profiles, run, gpus, picker
    screens: tuple[str, ...]
    rank: int | None = None  # footer order, 1 first; None: help screen only
    priority: bool = False  # only for keys no focused widget may keep

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(k.strip() for k in self.key.split(","))

    def binding(self) -> Binding:
        return Binding(self.key, self.action, self.label, show=self.rank is not None,
                       id=self.id, priority=self.priority, tooltip=self.help)


KEYS: tuple[KeySpec, ...] = (
    # -- the app: act on the form (see SatconfApp.check_action), help and quit everywhere
    KeySpec("app.launch", "f5", "launch", "Launch", "check the form and start train.py",
            "app", (FORM,), rank=1),
    KeySpec("app.help", "f1", "help", "Help", "list every key of this screen (esc closes)",
            "app", (EVERY,), rank=2, priority=True),
    KeySpec("app.help_q", "question_mark", "help", "Help",
            "the help too, where focus is not in a text field", "app", (EVERY,)),
    KeySpec("app.save", "ctrl+s", "save_profile", "Save", "save the form as the open profile",
            "app", (FORM,), rank=4),
    KeySpec("app.gpus", "ctrl+g", "pick_gpus", "GPUs", "choose the GPUs (CUDA_VISIBLE_DEVICES)",
            "app", (FORM,), rank=5),
    KeySpec("app.recheck", "ctrl+l", "recheck", "Check", "run the preflight checks again now",
            "app", (FORM,), rank=6),
    KeySpec("app.copy", "ctrl+t", "copy_command", "Copy", "copy the command line (OSC 52)",
            "app", (FORM,), rank=7),
    KeySpec("app.profiles", "f2", "open_profiles", "Profiles",
            "open, save, rename, copy or delete profiles", "app", (FORM,), rank=9),
    KeySpec("app.runs", "f3", "open_runs", "Runs",
            "every run: progress, loss, stop, diff, delete", "app", (FORM,)),
    KeySpec("app.filter", "ctrl+f,slash", "filter_fields", "Find",
            "filter the fields by flag, key or help (/ where focus is not in a text field)",
            "app", (FORM,), rank=11),
    KeySpec("app.checks", "f8", "focus_checks", "Checks",
            "jump to the checks panel (again: back to the form)", "app", (FORM,), rank=12),
    KeySpec("app.command", "f4", "show_command", "Command",
            "the whole previewed command or batch script, scrollable", "app", (FORM,),
            rank=13),
    KeySpec("app.clear_filter", "escape", "clear_filter", "Clear filter",
            "show every field again after a filter or modified only", "app", (FORM,)),
    KeySpec("app.modified", "f9", "modified_only", "Modified",
            "show only the fields that differ from defaults.ini (again: all)", "app",
            (FORM,)),
    KeySpec("app.reset_all", "ctrl+n", "reset_all", "Reset all",
            "put every field back to its default (asks first)", "app", (FORM,)),
    KeySpec("app.quit", "ctrl+q", "quit", "Quit", "quit satconf (asks about unsaved edits)",
            "app", (EVERY,), rank=3, priority=True),
    KeySpec("app.palette", "ctrl+p", "command_palette", "Palette",
            "the command palette: every command by name", "textual", (EVERY,)),
    # -- the form (ConfigForm.BINDINGS)
    KeySpec("form.browse", "ctrl+o", "browse_focused", "Browse",
            "pick a file or folder for the focused path field", "form", (FORM,), rank=8),
    KeySpec("form.reset", "ctrl+r", "reset_focused", "Reset",
            "put the focused field back to its default", "form", (FORM,), rank=10),
    # -- the profiles panel (ProfilesScreen.BINDINGS; enter is the table's)
    KeySpec("profiles.open", "enter", "select_cursor", "Open", "open the highlighted profile",
            "profiles-table", (PROFILES,), rank=1),
    KeySpec("profiles.back", "escape,q", "back", "Back", "back to the form",
            "profiles", (PROFILES,), rank=2),
    KeySpec("profiles.save", "ctrl+s", "save", "Save", "save the form as the open profile",
            "profiles", (PROFILES,), rank=4),
    KeySpec("profiles.save_as", "a", "save_as", "Save as", "save the form as a new profile",
            "profiles", (PROFILES,), rank=5),
    KeySpec("profiles.rename", "r", "rename", "Rename", "rename the highlighted profile",
            "profiles", (PROFILES,), rank=6),
    KeySpec("profiles.copy", "c", "copy", "Copy", "copy the highlighted profile",
            "profiles", (PROFILES,), rank=7),
    KeySpec("profiles.delete", "delete,d", "delete", "Delete", "delete the highlighted profile",
            "profiles", (PROFILES,), rank=8),
    # -- the run view (RunView.BINDINGS)
    KeySpec("run.stop", "s", "stop", "Stop", "stop the run (asks first)",
            "run", (RUN,), rank=1),
    KeySpec("run.back", "escape,b", "back", "Back", "back to the form; the run goes on",
            "run", (RUN,), rank=2),
    KeySpec("run.follow", "f", "follow", "Follow", "follow the end of the log",
            "run", (RUN,), rank=4),
    KeySpec("run.metric", "m", "next_metric", "Metric", "plot the next metric of the log",
            "run", (RUN,), rank=5),
    KeySpec("run.wrap", "w", "wrap", "Wrap", "wrap long log lines, or cut them",
            "run", (RUN,), rank=6),
    KeySpec("run.checkpoints", "c", "checkpoints", "Checkpoints",
            "the checkpoints this run wrote, with step and size", "run", (RUN,), rank=7),
    # -- the runs screen (RunsScreen.BINDINGS)
    KeySpec("runs.back", "escape", "back", "Back", "back to the form (or close the filter)",
            "runs", (RUNS,), rank=1),
    KeySpec("runs.filter", "slash", "filter", "Filter", "filter the runs by name, id or state",
            "runs", (RUNS,), rank=2),
    KeySpec("runs.stop", "s", "stop", "Stop", "stop the highlighted run (asks first)",
            "runs", (RUNS,), rank=3),
    KeySpec("runs.mark", "space", "mark", "Mark", "mark a run to diff (two marks)",
            "runs", (RUNS,), rank=4),
    KeySpec("runs.diff", "d", "diff", "Diff", "the settings that differ between two runs",
            "runs", (RUNS,), rank=5),
    KeySpec("runs.delete", "x,delete", "delete", "Delete",
            "delete the highlighted run's record and log (asks first)", "runs", (RUNS,),
            rank=6),
    KeySpec("runs.relaunch", "r", "relaunch", "Relaunch",
            "start the highlighted run again with its recorded settings", "runs", (RUNS,),
            rank=7),
    KeySpec("runs.edit", "e", "edit", "Edit", "open the highlighted run's settings in the form",
            "runs", (RUNS,), rank=8),
    KeySpec("runs.refresh", "ctrl+l", "refresh", "Refresh", "read the run records again now",
            "runs", (RUNS,)),
    # -- the queue screen (QueueScreen.BINDINGS)
    KeySpec("queue.back", "escape", "app.pop_screen", "Back", "back to the form",
            "queue", (QUEUE,), rank=1),
    KeySpec("queue.cancel", "c", "cancel", "Cancel", "cancel the highlighted queued run",
            "queue", (QUEUE,), rank=2),
    KeySpec("queue.up", "u", "move(-1)", "Up", "move the highlighted run one place earlier",
            "queue", (QUEUE,), rank=3),
    KeySpec("queue.down", "n", "move(1)", "Down", "move the highlighted run one place later",
            "queue", (QUEUE,), rank=4),
    KeySpec("queue.pause", "p", "pause", "Pause/resume",
            "pause the queue (running runs go on) or resume it", "queue", (QUEUE,), rank=5),
    # -- the GPU picker (GpuPicker.BINDINGS; space ticks, SelectionList's own key)
    KeySpec("gpus.apply", "enter", "apply", "Use ticked", "use the ticked GPUs",
            "gpus", (GPUS,), rank=1, priority=True),
    KeySpec("gpus.all", "a", "all", "All visible",
            "leave CUDA_VISIBLE_DEVICES unset: every GPU", "gpus", (GPUS,), rank=2),
    KeySpec("gpus.cancel", "escape", "cancel", "Cancel", "keep the GPUs as they were",
            "gpus", (GPUS,), rank=3),
    # -- the path picker (PathPicker.BINDINGS): the tree's keys; the path field keeps its own
    KeySpec("picker.up", "backspace", "parent", "Up", "show the folder above",
            "picker", (PICKER,), rank=1),
    KeySpec("picker.home", "tilde", "home", "Home", "show your home folder",
            "picker", (PICKER,), rank=2),
    KeySpec("picker.workspace", "w", "workspace", "Workspace", "show the workspace again",
            "picker", (PICKER,), rank=3),
    KeySpec("picker.hidden", "full_stop", "toggle_hidden", "Hidden", "show or hide dot files",
            "picker", (PICKER,), rank=4),
    KeySpec("picker.cancel", "escape", "cancel", "Cancel", "choose nothing",
            "picker", (PICKER,), rank=5),
)

BY_ID: dict[str, KeySpec] = {spec.id: spec for spec in KEYS}

# Keys the form's editors own in the installed Textual (read from their BINDINGS by
# tests/test_tui_keys.py, which fails when a Textual upgrade adds one of ours).
EDITOR_CLASSES = ("Input", "Select", "Switch", "TextArea")


def bindings(owner: str) -> list[Binding]:
    """The Textual bindings of one `BINDINGS` list, in the table's order."""
    return [spec.binding() for spec in KEYS if spec.owner == owner]


def rank_of(binding_id: str | None, action: str) -> int | None:
    """Footer rank of a binding (by id, else by action among app keys); None: not in the footer."""
    spec = BY_ID.get(binding_id or "")
    if spec is None:
        spec = next((s for s in KEYS if s.owner == "app" and s.action == action), None)
    return None if spec is None else spec.rank


def help_text(binding_id: str | None) -> str | None:
    spec = BY_ID.get(binding_id or "")
    return None if spec is None else spec.help


def form_only_actions(owner: str = "app") -> frozenset[str]:
    """The actions of `owner`'s keys that act on the form alone (the app disables them on
    every other screen, and the footer then hides them)."""
    return frozenset(k.action for k in KEYS if k.owner == owner and EVERY not in k.screens)
