"""The bare Textual app with a screenful of labelled inputs (8 flags, 8 Inputs) and no CSS.

The floor of the widgets a form's first screenful needs, without satconf: next to
the bare app (bench/tui_startup.py) it says what Textual itself charges for them.
"""

from textual.app import App, ComposeResult
from textual.widgets import Input, Static

ROWS = 8


class Bare(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("satconf-bare-frame")
        for i in range(ROWS):
            yield Static(f"--flag-{i}")
            yield Input(f"value {i}", compact=True)


if __name__ == "__main__":
    Bare().run()
