"""What the profile keys do: save, save as, open, rename, copy, delete, guard.

`ProfileFlow` sits between the app and the `ProfileStore`. Every operation
that could lose work asks first (the unsaved-changes guard, delete
confirmation) and reports the outcome through a callback, so neither the app
nor the profiles panel waits on a dialog. Store calls are single small TOML
files (a few kB), fast enough for the UI thread; listing every profile runs
in a worker in the panel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from satconf.profiles import MISSING, Profile, ProfileError, ProfileStore, diff_values
from satconf.tui.dialogs import ConfirmScreen, GuardChoice, NamePrompt, UnsavedChangesScreen
from satconf.workspace import default_python

if TYPE_CHECKING:
    from textual.app import App

    from satconf.runconfig import RunConfig

Done = Callable[[str], None]


class ProfileHost(Protocol):
    """What the app offers the flow (see `SatconfApp`)."""

    dirty: bool
    profile_name: str | None
    config: RunConfig

    def current_profile_values(self) -> tuple[dict[str, Any], list[int] | None]: ...

    def load_profile(self, profile: Profile) -> None: ...

    def mark_saved(self, name: str | None) -> None: ...

    def retarget_profile(self, name: str | None) -> None: ...


@dataclass(frozen=True)
class ProfileRow:
    """One line of the profiles panel: a readable profile, or why it is not."""

    name: str
    description: str = ""
    updated: datetime | None = None
    error: str | None = None
    values: dict[str, Any] | None = None
    gpus: list[int] | None = None
    workspace: str | None = None

    @property
    def updated_text(self) -> str:
        if self.updated is None:
            return ""
        return self.updated.astimezone().strftime("%Y-%m-%d %H:%M")


def read_rows(store: ProfileStore) -> list[ProfileRow]:
    """Every profile in the store by name; unreadable files are listed with their error."""
    profiles, errors = store.list()
    rows = [ProfileRow(name=p.name, description=p.description or "", updated=p.updated,
                       values=dict(p.values), gpus=p.gpus, workspace=p.workspace)
            for p in profiles]
    for err in errors:
        name = err.path.stem if err.path is not None and err.path.suffix else str(err.path)
        rows.append(ProfileRow(name=name, error=str(err)))
    return sorted(rows, key=lambda r: r.name.casefold())


def describe_diff(row: ProfileRow, form: dict[str, Any], defaults: dict[str, Any],
                  gpus: list[int] | None = None, workspace: str | None = None) -> str:
    """The highlighted profile against the form, one line per differing key.

    The profile side is what opening it would put in the form: its values
    over this INI's defaults. Keys this INI does not have are listed apart,
    since opening the profile ignores them.
    """
    head = [row.name]
    if row.description:
        head.append(row.description)
    if row.updated:
        head.append(f"updated {row.updated_text}")
    values = row.values or {}
    opened = {**defaults, **{k: v for k, v in values.items() if k in defaults}}
    changes = diff_values(opened, form)
    foreign = sorted(k for k in values if k not in defaults)
    lines = [*head, ""]
    if row.workspace and workspace and row.workspace != workspace:
        lines += [f"made for another workspace: {row.workspace}", ""]
    if row.gpus != gpus:
        lines.append(f"GPUs: {_gpus(row.gpus)} → {_gpus(gpus)}")
    if changes:
        lines.append(f"{len(changes)} key(s) differ (profile → form):")
        lines.extend(f"  {key}: {_shown(ours)} → {_shown(theirs)}" for key, ours, theirs in changes)
    else:
        lines.append("Same values as the form.")
    if foreign:
        lines += ["", "Not in this workspace's defaults.ini (ignored when opened):",
                  *(f"  {key} = {values[key]!r}" for key in foreign)]
    return "\n".join(lines)


def _gpus(gpus: list[int] | None) -> str:
    if gpus is None:
        return "all visible"
    return ",".join(map(str, gpus)) if gpus else "none (CPU)"


def _shown(value: Any) -> str:
    return "(not set)" if value is MISSING else repr(value)


class ProfileFlow:
    """Profile operations with their dialogs, bound to one app."""

    def __init__(self, app: App[Any], store: ProfileStore | None = None) -> None:
        self.app = app
        self.store = store if store is not None else ProfileStore()

    @property
    def host(self) -> ProfileHost:
        return self.app  # type: ignore[return-value]

    @property
    def current_name(self) -> str | None:
        return self.host.profile_name

    def form_values(self) -> dict[str, Any]:
        return dict(self.host.current_profile_values()[0])

    def form_defaults(self) -> dict[str, Any]:
        return self.host.config.fields.defaults()

    def describe(self, row: ProfileRow) -> str:
        """`row` against the form as it is now (values, GPUs, workspace)."""
        values, gpus = self.host.current_profile_values()
        return describe_diff(row, dict(values), self.form_defaults(), gpus,
                             str(self.host.config.workspace.root))

    # -- naming ------------------------------------------------------------

    def name_problem(self, name: str, *, allow: str | None = None) -> str | None:
        """Why `name` cannot be used for a new profile (rule broken, or taken)."""
        try:
            self.store.validate_name(name)
        except ProfileError as exc:
            return str(exc)
        if name != allow and self.store.exists(name):
            return f"a profile named {name!r} already exists"
        return None

    def _ask_name(self, title: str, then: Callable[[str, str | None], None], *,
                  value: str = "", allow: str | None = None, ok: str = "Save",
                  description: str | None = None) -> None:
        prompt = NamePrompt(title, lambda n: self.name_problem(n, allow=allow), value=value,
                            description=description, ok=ok)

        def answered(name: str | None) -> None:
            if name is not None:
                then(name, prompt.description)

        self.app.push_screen(prompt, answered)

    # -- guard -------------------------------------------------------------

    def guard(self, doing: str, then: Callable[[], None]) -> None:
        """Run `then` once unsaved edits are saved or knowingly discarded."""
        if not self.host.dirty:
            then()
            return
        if isinstance(self.app.screen, UnsavedChangesScreen):
            return  # already asking (a second ctrl+q while the guard is open)

        def chosen(choice: GuardChoice | None) -> None:
            if choice == "save":
                self.save(on_done=lambda _name: then())
            elif choice == "discard":
                then()

        self.app.push_screen(UnsavedChangesScreen(self.current_name, doing), chosen)

    def quit(self) -> None:
        self.guard("quit", self.app.exit)

    # -- save --------------------------------------------------------------

    def save(self, on_done: Done | None = None) -> None:
        """Save the form into the current profile; with none yet, ask for a name."""
        if isinstance(self.app.screen, NamePrompt):
            return  # ctrl+s while a name is being asked for: that save is under way
        name = self.current_name
        if name is None:
            self.save_as(on_done)
            return
        try:
            prof = self.store.load(name) if self.store.exists(name) else Profile(name=name)
        except ProfileError as exc:
            # Never overwrite a file we cannot read: it may be a hand edit worth keeping.
            self.app.notify(f"{exc}\nUse Save as to keep the form under another name.",
                            title="Profile not saved", severity="error")
            return
        self._write(prof, on_done)

    def save_as(self, on_done: Done | None = None) -> None:
        if isinstance(self.app.screen, NamePrompt):
            return
        def go(name: str, description: str | None) -> None:
            self._write(Profile(name=name, description=description or ""), on_done)

        self._ask_name("Save the form as a new profile", go, description="")

    def _write(self, prof: Profile, on_done: Done | None) -> None:
        """Put the form (values, GPUs, launch settings) into `prof` and save it."""
        values, gpus = self.host.current_profile_values()
        config = self.host.config
        # Keys this workspace's INI lacks (a profile made for a fork) stay in the file.
        foreign = {k: v for k, v in prof.values.items() if k not in config.fields}
        prof.values = {**foreign, **values}
        prof.gpus = gpus
        prof.workspace = str(config.workspace.root)
        prof.python = config.python if config.python != default_python() else None
        prof.options = dict(config.options)
        try:
            self.store.save(prof)
        except ProfileError as exc:
            self.app.notify(str(exc), title="Profile not saved", severity="error")
            return
        self.host.mark_saved(prof.name)
        self.app.notify(f"Saved profile {prof.name!r}.", title="Profiles")
        if on_done is not None:
            on_done(prof.name)

    # -- open --------------------------------------------------------------

    def open(self, name: str, on_done: Done | None = None) -> None:
        def load() -> None:
            try:
                prof = self.store.load(name)
            except ProfileError as exc:
                self.app.notify(str(exc), title="Profile not opened", severity="error")
                return
            self.host.load_profile(prof)
            notes = list(prof.warnings)
            here = str(self.host.config.workspace.root)
            if prof.workspace and prof.workspace != here:
                notes.append(f"it was made for another workspace: {prof.workspace}")
            ignored = [k for k in prof.values if k not in self.host.config.fields]
            if ignored:
                notes.append("keys this defaults.ini lacks are kept in the file but not "
                             f"shown: {', '.join(ignored)}")
            self.app.notify("\n".join([f"Opened profile {name!r}.", *notes]), title="Profiles",
                            severity="warning" if notes else "information")
            if on_done is not None:
                on_done(name)

        if name == self.current_name and not self.host.dirty:
            load()
            return
        self.guard(f"open profile {name!r}", load)

    # -- rename, copy, delete ----------------------------------------------

    def rename(self, old: str, on_done: Done | None = None) -> None:
        def go(new: str, _desc: str | None) -> None:
            if new == old:
                return
            try:
                self.store.rename(old, new)
            except ProfileError as exc:
                self.app.notify(str(exc), title="Not renamed", severity="error")
                return
            if self.current_name == old:
                self.host.retarget_profile(new)
            self.app.notify(f"Renamed {old!r} to {new!r}.", title="Profiles")
            if on_done is not None:
                on_done(new)

        self._ask_name(f"Rename profile {old!r}", go, value=old, allow=old, ok="Rename")

    def copy(self, source: str, on_done: Done | None = None) -> None:
        def go(new: str, _desc: str | None) -> None:
            try:
                self.store.copy(source, new)
            except ProfileError as exc:
                self.app.notify(str(exc), title="Not copied", severity="error")
                return
            self.app.notify(f"Copied {source!r} to {new!r}.", title="Profiles")
            if on_done is not None:
                on_done(new)

        self._ask_name(f"Copy profile {source!r} as", go, value=f"{source} copy", ok="Copy")

    def delete(self, name: str, on_done: Done | None = None) -> None:
        def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                self.store.delete(name)
            except ProfileError as exc:
                self.app.notify(str(exc), title="Not deleted", severity="error")
                return
            if self.current_name == name:
                self.host.retarget_profile(None)  # the form keeps its values, unsaved
            self.app.notify(f"Deleted profile {name!r}.", title="Profiles")
            if on_done is not None:
                on_done(name)

        self.app.push_screen(
            ConfirmScreen(f"Delete profile {name!r}? Its file is removed; this cannot be undone.",
                          title="Delete profile", yes="Delete", no="Keep", danger=True),
            answered)
