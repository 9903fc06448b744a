"""The form: one row per field of the FieldSet, grouped, checked as the user types.

The form owns the values being edited. Every edit parses the row's text with
`FieldSet.parse_text`, re-validates the whole config (`runconfig.validate`,
pydantic plus prefigure's limits), repaints only the rows whose message or
"modified" marker changed and posts `FormChanged` up to the app.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult, RenderResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.markup import escape
from textual.widget import Widget
from textual.widgets import Collapsible, Input, Select, Static, Switch

from satconf.fields import Errors, FieldSpec, Values
from satconf.tui.messages import BrowsePath, FormChanged, ResetField
from satconf.tui.state import FormFields

_ID_BAD = re.compile(r"[^A-Za-z0-9_-]")
FIRST_ROWS = 7  # rows built before the first frame: about one screenful at 100x32


def field_ids(fields: FormFields) -> dict[str, str]:
    """A stable DOM id fragment per key: the key, sanitised, made unique in FieldSet order."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for spec in fields:
        base = _ID_BAD.sub("_", spec.key) or "_"
        sid, n = base, 1
        while sid in taken:
            n += 1
            sid = f"{base}-{n}"
        taken.add(sid)
        out[spec.key] = sid
    return out


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


class FieldSelect(Select[str]):
    def __init__(self, key: str, options: list[tuple[str, str]], **kw: Any) -> None:
        super().__init__(options, **kw)
        self.field_key = key


def choice_options(choices: tuple[str, ...], current: Any) -> list[tuple[str, str]]:
    names = list(choices)
    if isinstance(current, str) and current not in names:
        names.append(current)  # an INI value outside the list stays visible (and flagged)
    return [(c if c else "(none)", c) for c in names]


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
    """A grid: flag name and editor on one line; help and default below; the message under that."""

    def __init__(self, spec: FieldSpec, value: Any, sid: str, choices: tuple[str, ...]) -> None:
        super().__init__(id=f"row-{sid}", classes="field-row")
        self.spec = spec
        self.sid = sid
        self._value = value
        self._choices = choices

    def compose(self) -> ComposeResult:
        spec = self.spec
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
                          valid_empty=True, select_on_focus=False)

    def _note(self, modified: bool) -> str:
        spec = self.spec
        default = value_text(spec, spec.default)
        parts = [escape(spec.help) if spec.help else "", f"default: {escape(default or '–')}"]
        text = " · ".join(p for p in parts if p)
        if spec.kind.path:
            text += f" · [@click=browse({spec.kind.path == 'dir'})]browse…[/]"
        if modified:
            text += " · [b]modified[/] [@click=reset]reset[/]"
        return text

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
        elif errors:  # made on first need: most rows never show a message
            self.mount(Static(text, id=f"err-{self.sid}", classes="field-error", markup=False))


class ConfigForm(VerticalScroll):
    """The generated form. `values` holds what the user typed, parsed; never lost on errors."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "reset_focused", "Reset field", id="form.reset"),
        Binding("ctrl+o", "browse_focused", "Browse", id="form.browse", show=False),
    ]

    def __init__(self, fields: FormFields, values: Values, **kw: Any) -> None:
        super().__init__(**kw)
        self.fields = fields
        self.ids = field_ids(fields)
        self.values: Values = {s.key: values.get(s.key, s.default) for s in fields}
        self.errors: Errors = {}
        self.choices: dict[str, tuple[str, ...]] = {s.key: s.choices for s in fields}
        self._texts: dict[str, str] = {}
        self._parse_errors: dict[str, str] = {}
        self._shown: dict[str, tuple[bool, tuple[str, ...]]] = {}
        self._mounted: set[str] = set()  # keys whose row exists
        self._later: list[tuple[str, list[FieldSpec]]] = []
        self.generation = 0  # bumped on every edit
        self.hidden: frozenset[str] = frozenset()  # rows the chosen engine does not read
        self._hidden_shown: dict[str, bool] = {}

    def compose(self) -> ComposeResult:
        # The first screenful is built before the first frame, the rest right after it:
        # start-up time then no longer grows with the number of keys in defaults.ini.
        budget = FIRST_ROWS
        for group, specs in self.fields.groups():
            if budget <= 0:
                self._later.append((group, specs))
                continue
            yield self._group(group, specs)
            self._mounted.update(s.key for s in specs)  # composed rows exist by on_mount
            budget -= len(specs)

    def _group(self, group: str, specs: list[FieldSpec]) -> Collapsible:
        rows = [FieldRow(s, self.values[s.key], self.ids[s.key], self.choices[s.key])
                for s in specs]
        for spec in specs:  # as composed: unmodified, no message; refresh_state fixes the rest
            self._shown[spec.key] = (False, ())
        return Collapsible(*rows, title=group, collapsed=False, id=f"group-{_group_id(group)}")

    def on_mount(self) -> None:
        for spec in self.fields:
            if spec.kind.editor not in ("switch", "select"):
                self._texts[spec.key] = value_text(spec, self.values[spec.key])
        self.refresh_state(None, post=False)
        if self._later:
            self.call_after_refresh(self._mount_rest)

    async def _mount_rest(self) -> None:
        later, self._later = self._later, []
        await self.mount_all([self._group(group, specs) for group, specs in later])
        # Only now can these rows be queried: an edit or a quit may come in between.
        self._mounted.update(s.key for _, specs in later for s in specs)
        self.refresh_state(None, post=False)

    @property
    def complete(self) -> bool:
        """Every row is mounted."""
        return len(self._mounted) == len(self.fields) and not self._later

    # -- reading and writing -------------------------------------------------

    def editor(self, key: str) -> Widget:
        return self.query_one(f"#f-{self.ids[key]}")

    def row(self, key: str) -> FieldRow:
        return self.query_one(f"#row-{self.ids[key]}", FieldRow)

    def is_modified(self, key: str) -> bool:
        spec = self.fields[key]
        return key in self._parse_errors or not same_value(self.values[key], spec.default)

    def load(self, values: Values) -> None:
        """Show `values` (a profile's, say) in every row; unknown keys are ignored."""
        for spec in self.fields:
            self._put(spec, values.get(spec.key, spec.default))
        self.refresh_state(None)

    def set_value(self, key: str, value: Any) -> None:
        self._put(self.fields[key], value)
        self.refresh_state(key)

    def set_choices(self, key: str, choices: tuple[str, ...]) -> None:
        """Offer the names the training environment accepts (from the probe)."""
        if key not in self.fields or not choices:
            return
        self.choices[key] = choices
        if key not in self._mounted:
            return  # the row is built with these choices
        select = self.editor(key)
        if isinstance(select, FieldSelect):
            current = self.values[key]
            with select.prevent(Select.Changed):
                select.set_options(choice_options(choices, current))
                if isinstance(current, str):
                    select.value = current

    def _put(self, spec: FieldSpec, value: Any) -> None:
        key = spec.key
        self.values[key] = value
        self._parse_errors.pop(key, None)
        if spec.kind.editor not in ("switch", "select"):
            self._texts[key] = value_text(spec, value)
        if key not in self._mounted:
            return  # the row is built from self.values
        widget = self.editor(key)
        if isinstance(widget, Switch):
            with widget.prevent(Switch.Changed):
                widget.value = bool(value)
        elif isinstance(widget, Select):
            with widget.prevent(Select.Changed):
                widget.set_options(choice_options(self.choices[key], value))
                widget.value = value
        elif isinstance(widget, Input):
            with widget.prevent(Input.Changed):
                widget.value = self._texts[key]

    # -- edits ----------------------------------------------------------------

    @on(Input.Changed, ".editor")
    def _input_changed(self, event: Input.Changed) -> None:
        event.stop()
        widget = event.input
        if not isinstance(widget, FieldInput) or self._texts.get(widget.field_key) == event.value:
            return
        key = widget.field_key
        self._texts[key] = event.value
        spec = self.fields[key]
        try:
            if spec.nullable and event.value.strip() == "":
                value: Any = None
            else:
                value = self.fields.parse_text(key, event.value)
        except ValueError as exc:
            self.values[key] = event.value  # kept as typed, so nothing is lost
            self._parse_errors[key] = str(exc)
        else:
            self.values[key] = value
            self._parse_errors.pop(key, None)
        self.refresh_state(key)

    @on(Switch.Changed, ".editor")
    def _switch_changed(self, event: Switch.Changed) -> None:
        event.stop()
        if isinstance(event.switch, FieldSwitch):
            self.values[event.switch.field_key] = event.value
            self.refresh_state(event.switch.field_key)

    @on(Select.Changed, ".editor")
    def _select_changed(self, event: Select.Changed) -> None:
        event.stop()
        select = event.select
        if isinstance(select, FieldSelect) and isinstance(event.value, str):
            if same_value(self.values.get(select.field_key), event.value):
                return
            self.values[select.field_key] = event.value
            self.refresh_state(select.field_key)

    def refresh_state(self, key: str | None, *, post: bool = True) -> None:
        """Tell the app (which validates, once) and repaint what is known to have changed."""
        self.generation += 1
        if post:
            self.post_message(FormChanged(key, dict(self.values), dict(self._parse_errors)))
        self.show_errors(self.errors)

    def show_errors(self, errors: Errors, hidden: frozenset[str] | None = None) -> None:
        """The app's verdict on the values (attributes down): repaint only changed rows."""
        self.errors = {k: list(v) for k, v in errors.items()}
        if hidden is not None:
            self.hidden = hidden
        for spec in self.fields:
            if spec.key not in self._mounted:
                continue
            state = (self.is_modified(spec.key), tuple(self.errors.get(spec.key, ())))
            if self._shown.get(spec.key) != state:
                self._shown[spec.key] = state
                self.row(spec.key).show_state(state[0], list(state[1]))
            row_hidden = spec.key in self.hidden
            if self._hidden_shown.get(spec.key, False) != row_hidden:
                self._hidden_shown[spec.key] = row_hidden
                self.row(spec.key).display = not row_hidden

    # -- row actions ------------------------------------------------------------

    def focused_key(self) -> str | None:
        node = self.screen.focused
        while node is not None and node is not self:
            if isinstance(node, FieldRow):
                return node.spec.key
            node = node.parent  # type: ignore[assignment]
        return None

    def action_reset_focused(self) -> None:
        key = self.focused_key()
        if key is not None:
            self.reset(key)

    def action_browse_focused(self) -> None:
        key = self.focused_key()
        if key is not None and self.fields[key].kind.path:
            self.post_message(BrowsePath(key, self.fields[key].kind.path == "dir"))

    @on(ResetField)
    def _reset_clicked(self, event: ResetField) -> None:
        event.stop()
        self.reset(event.key)

    def reset(self, key: str) -> None:
        self.set_value(key, self.fields[key].default)

    def focus_field(self, key: str) -> None:
        if key not in self._mounted:
            return
        widget = self.editor(key)
        widget.focus()
        self.row(key).scroll_visible(animate=False)


def _group_id(group: str) -> str:
    return _ID_BAD.sub("-", group.lower())
