"""The floor: a bare Textual app that draws one line of text."""

from textual.app import App, ComposeResult
from textual.widgets import Static


class Bare(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("satconf-bare-frame")


if __name__ == "__main__":
    Bare().run()
