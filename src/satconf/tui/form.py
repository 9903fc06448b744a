"""The form: one row per field, grouped; the rows the user is not looking for hidden.

The form owns the text being edited. Every edit parses the row's text with the
field's kind and posts `FormChanged`; the app validates (once, in the form
state) and sends the errors back down with `show_errors`, which repaints only
the rows whose message or "modified" marker changed. Up/Down move between
fields; a filter (by flag, key or help text), "modified only" and the chosen
engine decide which rows show.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Input, Select, Switch

from satconf.fields import Errors, FieldSpec, Values
from satconf.tui.field_group import FieldGroup
from satconf.tui.field_row import (
    FieldInput,
    FieldRow,
    FieldSelect,
    FieldSwitch,
    choice_options,
    least_lines,
    same_value,
    value_text,
)
from satconf.tui.keys import bindings
from satconf.tui.messages import BrowsePath, FoldGroup, FormChanged, ResetField
from satconf.tui.state import FormFields

__all__ = ["ConfigForm", "FieldInput", "FieldSelect", "FieldSwitch", "field_ids", "matches"]

_ID_BAD = re.compile(r"[^A-Za-z0-9_-]")
PANEL_LINES = 6  # the fewest lines the title, checks, command and key bar leave the form


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


class ConfigForm(VerticalScroll):
    """The generated form. `values` holds what the user typed, parsed; never lost on errors."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *bindings("form"),
        # Not in the footer: the arrows do what every form does.
        Binding("down", "next_field", "Next field", show=False),
        Binding("up", "previous_field", "Previous field", show=False),
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
        self.filter_text = ""  # rows whose flag, key or help holds it (any case)
        self.modified_only = False
        self._hidden_shown: dict[str, bool] = {}
        self._groups_shown: dict[str, bool] = {}
        self.folded: set[str] = set()  # groups whose title was clicked shut
        self.first_frame_keys: list[str] = []  # the rows built before the first frame

    def compose(self) -> ComposeResult:
        # The first screenful is built before the first frame, the rest right after it:
        # start-up time then no longer grows with the number of keys in defaults.ini.
        # Enough rows to fill the form at this size, counted in lines, so the first frame is
        # the whole first screenful; a group cut there gets its other rows with the rest.
        width, lines = self.app.size.width, self.app.size.height - PANEL_LINES
        for group, specs in self.fields.groups():
            if lines <= 0:
                self._later.append((group, specs))
                continue
            lines -= 1  # the group's title
            now = 0
            while now < len(specs) and lines > 0:
                lines -= least_lines(specs[now], width)
                now += 1
            yield self._group(group, specs[:now])
            if now < len(specs):
                self._later.append((group, specs[now:]))
            self._mounted.update(s.key for s in specs[:now])  # composed rows exist by on_mount
            self.first_frame_keys.extend(s.key for s in specs[:now])

    def _group(self, group: str, specs: list[FieldSpec]) -> FieldGroup:
        return FieldGroup(group, *self._rows(specs), id=f"group-{_group_id(group)}")

    def _rows(self, specs: list[FieldSpec]) -> list[FieldRow]:
        for spec in specs:  # as composed: unmodified, no message; refresh_state fixes the rest
            self._shown[spec.key] = (False, ())
        return [FieldRow(s, self.values[s.key], self.ids[s.key], self.choices[s.key])
                for s in specs]

    def on_mount(self) -> None:
        for spec in self.fields:
            if spec.kind.editor not in ("switch", "select"):
                self._texts[spec.key] = value_text(spec, self.values[spec.key])
        self.refresh_state(None, post=False)
        if self._later:
            self.call_after_refresh(self._mount_rest)

    async def _mount_rest(self) -> None:
        later, self._later = self._later, []
        new: list[FieldGroup] = []
        for group, specs in later:
            found = self.query(f"#group-{_group_id(group)}")
            if found:  # the group cut at the end of the first frame: its other rows
                await found.first(FieldGroup).mount_all(self._rows(specs))
            else:
                new.append(self._group(group, specs))
        await self.mount_all(new)
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
        if post:  # the app answers with show_errors: one repaint of the rows, not two
            self.post_message(FormChanged(key, dict(self.values), dict(self._parse_errors)))
        else:
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
        if hidden is not None or self.modified_only or self.filter_text:
            self.apply_visibility()  # what shows changes only with these (a keystroke: rarely)

    # -- which rows show ----------------------------------------------------------

    def visible(self, spec: FieldSpec) -> bool:
        if spec.key in self.hidden:
            return False
        if self.modified_only and not self.is_modified(spec.key):
            return False
        return matches(spec, self.filter_text)

    def apply_visibility(self) -> None:
        """Show the rows the engine, the filter and "modified only" leave (groups with none
        are hidden too; a folded group shows its title alone)."""
        for group, specs in self.fields.groups():
            shown_any = False
            for spec in specs:
                if spec.key not in self._mounted:
                    continue
                show = self.visible(spec)
                shown_any |= show
                show = show and group not in self.folded
                if self._hidden_shown.get(spec.key, True) != show:
                    self._hidden_shown[spec.key] = show
                    self.row(spec.key).display = show
            gid = f"group-{_group_id(group)}"
            if self._groups_shown.get(gid, True) != shown_any and self.query(f"#{gid}"):
                self._groups_shown[gid] = shown_any
                self.query_one(f"#{gid}").display = shown_any

    def set_filter(self, text: str) -> int:
        """Keep the rows matching `text`; the number of them."""
        self.filter_text = text
        self.apply_visibility()
        return sum(1 for s in self.fields if s.key in self._mounted and self.visible(s))

    def toggle_modified_only(self) -> bool:
        self.modified_only = not self.modified_only
        self.apply_visibility()
        return self.modified_only

    def visible_keys(self) -> list[str]:
        """The rows shown, in order: where the arrows go."""
        return [s.key for group, specs in self.fields.groups() for s in specs
                if s.key in self._mounted and group not in self.folded and self.visible(s)]

    @on(FoldGroup)
    def _fold_clicked(self, event: FoldGroup) -> None:
        event.stop()
        self.fold(event.group, event.group not in self.folded)

    def fold(self, group: str, folded: bool) -> None:
        """Fold a group to its title line, or open it again."""
        if folded:
            self.folded.add(group)
        else:
            self.folded.discard(group)
        found = self.query(f"#group-{_group_id(group)}")
        if found:
            found.first(FieldGroup).title.show_folded(folded)
        self.apply_visibility()

    # -- moving between fields ------------------------------------------------------

    def action_next_field(self) -> None:
        self._move(1)

    def action_previous_field(self) -> None:
        self._move(-1)

    def _move(self, step: int) -> None:
        keys = self.visible_keys()
        if not keys:
            return
        current = self.focused_key()
        if current not in keys:
            self.focus_field(keys[0 if step > 0 else -1])
            return
        index = keys.index(current) + step
        if 0 <= index < len(keys):
            self.focus_field(keys[index])

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
        if self.fields[key].group in self.folded:  # "Go to field" into a folded group
            self.fold(self.fields[key].group, False)
        widget = self.editor(key)
        widget.focus()
        self.row(key).scroll_visible(animate=False)


def _group_id(group: str) -> str:
    return _ID_BAD.sub("-", group.lower())


def matches(spec: FieldSpec, text: str) -> bool:
    """Whether a row answers a filter: its flag, key or help text holds it, in any case."""
    needle = text.strip().lower()
    if not needle:
        return True
    return any(needle in hay.lower() for hay in (spec.flag, spec.key, spec.help))
