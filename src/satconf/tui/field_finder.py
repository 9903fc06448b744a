"""Finding a field: the filter line above the form (`/` or ctrl+f) and "Go to field" in the
command palette. Both match a field's flag, key or help text (`form.matches`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.widgets import Input

from satconf.fields import FieldSpec
from satconf.tui.form import matches

if TYPE_CHECKING:
    from satconf.tui.app import SatconfApp


class FieldFilter(Input):
    """Typing keeps the matching rows; enter goes to the first; esc clears and leaves."""

    def __init__(self) -> None:
        super().__init__(placeholder="filter fields by flag, key or help text "
                                     "(enter: first match, esc: clear)",
                         id="field-filter", compact=True)

    def open(self) -> None:
        self.add_class("-active")
        self.focus()

    def close(self) -> None:
        self.value = ""
        self.remove_class("-active")

    def key_escape(self) -> None:
        self.close()
        form = self.app.query_one("#form")
        form.set_filter("")  # type: ignore[attr-defined]
        form.focus_field(form.visible_keys()[0])  # type: ignore[attr-defined]

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        shown = self.app.query_one("#form").set_filter(event.value)  # type: ignore[attr-defined]
        self.set_class(shown == 0, "-none")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        form = self.app.query_one("#form")
        keys = form.visible_keys()  # type: ignore[attr-defined]
        if keys:
            form.focus_field(keys[0])  # type: ignore[attr-defined]


class FieldCommands(Provider):
    """"Go to field" in the palette: every row by its flag and help."""

    def _specs(self) -> list[FieldSpec]:
        app: SatconfApp = self.app  # type: ignore[assignment]
        return list(app.state.fields)

    async def discover(self) -> Hits:
        for spec in self._specs()[:40]:
            yield DiscoveryHit(f"Go to field {spec.flag}", self._go(spec.key), help=spec.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for spec in self._specs():
            title = f"Go to field {spec.flag}"
            score = matcher.match(title)
            if score <= 0 and query.strip() and matches(spec, query.removeprefix("go to ")):
                score = 0.1  # found in the help text
            if score > 0:
                yield Hit(score, matcher.highlight(title), self._go(spec.key), help=spec.help)

    def _go(self, key: str):
        def go() -> None:
            app: SatconfApp = self.app  # type: ignore[assignment]
            app.go_to_field(key)
        return go
