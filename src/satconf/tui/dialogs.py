"""Small modal dialogs: confirm, ask for a profile name, guard unsaved edits, a copy by hand.

Each dialog is a `ModalScreen` that dismisses with a plain result, so callers
push it with a callback and never wait on the UI thread. Styling lives in
`satconf.tcss` (section "profiles: dialogs and panel").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

NameCheck = Callable[[str], "str | None"]  # returns why a name is refused, or None
GuardChoice = Literal["save", "discard", "cancel"]


class ConfirmScreen(ModalScreen[bool]):
    """Ask a yes/no question; dismisses with True only on an explicit yes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n", "answer(False)", "No", id="confirm.no"),
        Binding("escape", "answer(False)", "Cancel", id="confirm.cancel"),
    ]

    def __init__(self, question: str, *, title: str = "Confirm", yes: str = "Yes",
                 no: str = "No", danger: bool = False) -> None:
        super().__init__(classes="dialog")
        self._question = question
        self._title = title
        self._yes = yes
        self._no = no
        self._danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self._title, classes="dialog-title")
            yield Static(self._question, classes="dialog-text", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(self._yes, id="yes", variant="error" if self._danger else "primary")
                yield Button(self._no, id="no")
            yield Static(f"y: {self._yes.lower()} · n or esc: {self._no.lower()}",
                         classes="dialog-keys", markup=False)

    def on_mount(self) -> None:
        # Destructive questions start on "No" so a stray Enter keeps the data.
        self.query_one("#no" if self._danger else "#yes", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class NamePrompt(ModalScreen["str | None"]):
    """Ask for a profile name; refuses a bad one and says which rule it broke.

    `check(name)` returns the reason a name is refused (a broken naming rule,
    a name already taken) or None. Dismisses with the stripped name, or None
    when cancelled.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="name.cancel"),
    ]

    def __init__(self, title: str, check: NameCheck, *, value: str = "",
                 description: str | None = None, ok: str = "Save") -> None:
        super().__init__(classes="dialog")
        self._title = title
        self._check = check
        self._value = value
        self._description = description
        self._ok = ok

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self._title, classes="dialog-title")
            yield Input(self._value, placeholder="profile name", id="name")
            yield Static("", id="name-error", classes="dialog-error", markup=False)
            if self._description is not None:
                yield Input(self._description, placeholder="description (optional)",
                            id="description")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self._ok, id="ok", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()
        if self._value:
            self._show(self._problem(self._value))

    @property
    def description(self) -> str | None:
        """The description typed in the dialog (None when it was not asked)."""
        if self._description is None:
            return None
        return self.query_one("#description", Input).value.strip()

    def _problem(self, text: str) -> str | None:
        name = text.strip()
        if not name:
            return "enter a name"
        return self._check(name)

    def _show(self, problem: str | None) -> None:
        self.query_one("#name-error", Static).update(problem or "")
        self.query_one("#ok", Button).disabled = problem is not None
        self.set_class(problem is not None, "-invalid")

    @on(Input.Changed, "#name")
    def _changed(self, event: Input.Changed) -> None:
        self._show(self._problem(event.value))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._accept()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "ok":
            self._accept()
        else:
            self.dismiss(None)

    def _accept(self) -> None:
        text = self.query_one("#name", Input).value
        problem = self._problem(text)
        self._show(problem)
        if problem is None:
            self.dismiss(text.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


class UnsavedChangesScreen(ModalScreen[GuardChoice]):
    """The form has unsaved edits: save them, throw them away, or go back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "choose('save')", "Save", id="guard.save"),
        Binding("d", "choose('discard')", "Discard", id="guard.discard"),
        Binding("escape,c", "choose('cancel')", "Cancel", id="guard.cancel"),
    ]

    def __init__(self, profile: str | None, doing: str) -> None:
        super().__init__(classes="dialog")
        self._profile = profile
        self._doing = doing

    def compose(self) -> ComposeResult:
        where = f"profile {self._profile!r}" if self._profile else "the form (no profile yet)"
        with Vertical(classes="dialog-box"):
            yield Label("Unsaved changes", classes="dialog-title")
            yield Static(f"There are unsaved edits in {where}.\n"
                         f"Save them before you {self._doing}?",
                         classes="dialog-text", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", id="save", variant="primary")
                yield Button("Discard", id="discard", variant="error")
                yield Button("Cancel", id="cancel")
            yield Static("s: save · d: discard · c or esc: cancel", classes="dialog-keys",
                         markup=False)

    def on_mount(self) -> None:
        self.query_one("#save", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_choose(str(event.button.id))

    def action_choose(self, choice: str) -> None:
        if choice in ("save", "discard", "cancel"):
            self.dismiss(choice)  # type: ignore[arg-type]


class CopyByHandScreen(ModalScreen[None]):
    """The clipboard copy may not have arrived: show the command so it can be selected.

    Most terminals select past the app's mouse handling with shift+drag (option+drag
    in iTerm2); the command is shown whole, wrapped, never cut.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter,q", "close", "Close", id="copy.close"),
    ]

    def __init__(self, why: str, command: str) -> None:
        super().__init__(classes="dialog", id="copy-by-hand")
        self._why = why
        self._command = command

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label("Copy the command by hand", classes="dialog-title")
            yield Static(f"{self._why}. Select the command below with shift+drag "
                         "(option+drag in iTerm2) and copy it with your terminal.",
                         classes="dialog-text", markup=False)
            yield Static(self._command, id="copy-command", classes="dialog-text", markup=False)
            yield Static("esc or enter: close", classes="dialog-keys", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
