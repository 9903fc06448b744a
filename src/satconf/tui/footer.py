"""The key bar: the screen's active keys, most important first, cut to what fits.

Textual's Footer lists keys in binding-chain order (the focused widget's
first) and lets the last ones run off the edge (`^y Copy c▏` at 80 columns).
This one orders them by `keys.KEYS` rank, drops whole entries from the end
until the row fits the screen's width, and never shows the palette key (the
help screen lists it). What does not fit is still in the help screen (F1).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from satconf.tui.keys import rank_of

UNRANKED = 1000  # a shown binding keys.py does not know: after the ranked ones


class Entry(NamedTuple):
    binding: Binding
    key_display: str
    enabled: bool
    tooltip: str


def entry_width(key_display: str, description: str) -> int:
    """Cells a compact FooterKey takes: key, space, description, then its right margin."""
    return cell_len(key_display) + (1 + cell_len(description) if description else 0) + 1


def fit(entries: Iterable[Entry], width: int) -> list[Entry]:
    """The entries in rank order, as many whole ones as fit in `width` cells."""
    ordered = sorted(entries, key=lambda e: rank_of(e.binding.id, e.binding.action) or UNRANKED)
    shown: list[Entry] = []
    used = 0
    for entry in ordered:
        need = entry_width(entry.key_display, entry.binding.description)
        if used + need > width:
            continue  # a shorter, lower-ranked entry may still fit
        shown.append(entry)
        used += need
    return shown


class KeyFooter(Footer):
    """A compact Footer that always fits its width; see the module docstring."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(compact=True, show_command_palette=False, **kwargs)  # type: ignore[arg-type]
        self._fitted_width = 0

    def entries(self) -> list[Entry]:
        """One entry per action among the screen's shown, enabled-or-not active bindings."""
        seen: set[str] = set()
        out: list[Entry] = []
        for _node, binding, enabled, tooltip in self.screen.active_bindings.values():
            if not binding.show or binding.system or binding.action in seen:
                continue
            seen.add(binding.action)
            out.append(Entry(binding, self.app.get_key_display(binding), enabled, tooltip))
        return out

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        width = self.size.width or self.app.size.width
        self._fitted_width = width
        for entry in fit(self.entries(), width):
            yield FooterKey(
                entry.binding.key, entry.key_display, entry.binding.description,
                entry.binding.action, disabled=not entry.enabled,
                tooltip=entry.tooltip or entry.binding.tooltip,
            ).data_bind(compact=Footer.compact)

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._fitted_width:
            self.call_after_refresh(self.recompose)
