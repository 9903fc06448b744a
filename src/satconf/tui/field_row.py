"""One row of the form: the flag, its editor (chosen by the field's kind), help and messages.

The row shows what it is told (`show_state`); it never validates. Its message
sits right under the value, above the help text, so a red field always says why
where the eye already is.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult, RenderResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.markup import escape
from textual.widget import Widget
from textual.widgets import Input, Select, Static, Switch

from satconf.fields import FieldSpec
from satconf.tui.messages import BrowsePath, ResetField


def value_text(spec: FieldSpec, value: Any) -> str:
    """How a value is written in its input (the inverse of `parse_text`)."""
    return spec.kind.format(value)


def same_value(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


class FieldInput(Input):
    def __init__(self, key: str, **kw: Any) -> None:
        super().__init__(**kw)
        self.field_key = key


class FieldSwitch(Switch):
    """A switch that says its state in words, so it reads the same with NO_COLOR."""

    def __init__(self, key: str, **kw: Any) -> None:
        super().__init__(**kw)
        self.field_key = key

    def render(self) -> RenderResult:
        return Text.assemble(("[", "dim"), ("■ on " if self.value else "□ off"),
                             ("]", "dim"), style="bold" if self.value else "")


class FieldSelect(Select[str], inherit_bindings=False):
    """A select that leaves Up/Down to the form (they move between fields); enter or space
    opens its list."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,space", "show_overlay", "Show menu", show=False),
    ]

    def __init__(self, key: str, options: list[tuple[str, str]], **kw: Any) -> None:
        super().__init__(options, **kw)
        self.field_key = key


def choice_options(choices: tuple[str, ...], current: Any) -> list[tuple[str, str]]:
    names = list(choices)
    if isinstance(current, str) and current not in names:
        names.append(current)  # an INI value outside the list stays visible (and flagged)
    return [(c if c else "(none)", c) for c in names]


def note_markup(spec: FieldSpec, modified: bool) -> str:
    """A row's note: help, default, and the browse / reset links (Textual markup)."""
    default = value_text(spec, spec.default)
    parts = [escape(spec.help) if spec.help else "", f"default: {escape(default or '–')}"]
    text = " · ".join(p for p in parts if p)
    if spec.kind.path:
        text += f" · [@click=browse({spec.kind.path == 'dir'})]browse…[/]"
    if modified:
        text += " · [b]modified[/] [@click=reset]reset[/]"
    return text


# The narrowest flag column (satconf.tcss, .-narrow) and the form's padding and scrollbar:
# with them, `least_lines` never counts more lines than a row takes.
NARROWEST_LABEL, FORM_EDGES = 27, 4


def least_lines(spec: FieldSpec, width: int) -> int:
    """The fewest lines a row takes in a `width`-column terminal: its first line and its
    note, wrapped (word wrap only adds lines)."""
    note = Content.from_markup(note_markup(spec, False)).cell_length
    room = max(1, width - NARROWEST_LABEL - FORM_EDGES)
    return 1 + max(1, -(-note // room))


class RowNote(Static):
    """Help, default, and (when modified) a clickable reset / browse link."""

    def __init__(self, key: str, text: str, **kw: Any) -> None:
        super().__init__(text, **kw)
        self.field_key = key

    def action_reset(self) -> None:
        self.post_message(ResetField(self.field_key))

    def action_browse(self, directory: bool) -> None:
        self.post_message(BrowsePath(self.field_key, directory))


class FieldRow(Widget):
    """Flag name and editor on one line; the message right under them; help and default below."""

    def __init__(self, spec: FieldSpec, value: Any, sid: str, choices: tuple[str, ...]) -> None:
        super().__init__(id=f"row-{sid}", classes="field-row")
        self.spec = spec
        self.sid = sid
        self._value = value
        self._choices = choices

    def compose(self) -> ComposeResult:
        spec = self.spec
        # A grid (satconf.tcss): the flag and its editor on the first line, then (when there
        # is one) the message, then the help, each as tall as its text. No container for the
        # first line: a widget less per row is a shorter start-up.
        yield Static(spec.flag, id=f"label-{self.sid}", classes="field-label", markup=False)
        yield self._editor()
        yield RowNote(spec.key, self._note(False), id=f"note-{self.sid}", classes="field-note")

    def _editor(self) -> Widget:
        spec, value, eid = self.spec, self._value, f"f-{self.sid}"
        editor = spec.kind.editor
        if editor == "switch":
            return FieldSwitch(spec.key, value=bool(value), id=eid, classes="editor")
        if editor == "select":
            return FieldSelect(spec.key, choice_options(self._choices, value), value=value,
                               allow_blank=False, compact=True, id=eid, classes="editor")
        kind = editor if editor in ("integer", "number") else "text"
        placeholder = "None" if spec.nullable else ""
        return FieldInput(spec.key, value=value_text(spec, value), type=kind,  # type: ignore[arg-type]
                          placeholder=placeholder, compact=True, id=eid, classes="editor",
                          select_on_focus=False, validate_on=())  # the form parses, not Input

    def _note(self, modified: bool) -> str:
        return note_markup(self.spec, modified)

    def show_state(self, modified: bool, errors: list[str]) -> None:
        self.set_class(modified, "-modified")
        self.set_class(bool(errors), "-invalid")
        label = self.query_one(f"#label-{self.sid}", Static)
        label.update(("● " if modified else "") + self.spec.flag)
        self.query_one(f"#note-{self.sid}", RowNote).update(self._note(modified))
        text = "\n".join(f"✗ {m}" for m in errors)
        found = self.query(f"#err-{self.sid}")
        if found:
            err = found.first(Static)
            err.update(text)
            err.display = bool(errors)
        elif errors:  # made on first need, right under the value: most rows never need one
            note = self.query_one(f"#note-{self.sid}", RowNote)
            self.mount(Static(text, id=f"err-{self.sid}", classes="field-error", markup=False),
                       before=note)
        if errors and self.has_focus_within:
            self.call_after_refresh(self.scroll_visible, animate=False)


