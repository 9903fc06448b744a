"""The bare Textual app after importing pydantic and validating the seed's schema once.

The floor of a form generated from the pydantic schema: every satconf start pays this
before its first frame (bench/tui_startup.py shows it next to the bare app).
"""

from textual.app import App, ComposeResult
from textual.widgets import Static

from satconf.schema import DefaultsConfig

DefaultsConfig.model_validate({})


class Bare(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("satconf-bare-frame")


if __name__ == "__main__":
    Bare().run()
