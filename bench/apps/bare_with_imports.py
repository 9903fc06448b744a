"""The bare Textual app after importing what satconf's form imports before its first frame.

Next to `bare_textual.py` and the real form (bench/tui_startup.py) it splits the form's
start into Textual's own, satconf's imports (pydantic and the schema among them), and
building the form's widgets.
"""

from textual.app import App, ComposeResult
from textual.widgets import Static

import satconf.runconfig
import satconf.tui.app  # noqa: F401


class Bare(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("satconf-bare-frame")


if __name__ == "__main__":
    Bare().run()
