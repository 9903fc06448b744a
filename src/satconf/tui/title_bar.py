"""The title line of every screen: Textual's Header drawn by one widget.

Header is four widgets (icon, title, clock space, and itself), a tenth of the
form's first frame. This draws the same line, ≡ at the left (a click opens the
palette) and the screen's title and subtitle centred, from one `render`.
"""

from __future__ import annotations

from textual import events
from textual.app import RenderResult
from textual.content import Content
from textual.widget import Widget

ICON = "≡"
LEFT, RIGHT = 8, 10  # Header's icon and clock-space widths: the title sits where it did


class TitleBar(Widget):
    """≡ and the screen's title — subtitle (the screen's own, else the app's)."""

    def on_mount(self) -> None:
        for owner in (self.app, self.screen):
            self.watch(owner, "title", self.refresh, init=False)
            self.watch(owner, "sub_title", self.refresh, init=False)

    def render(self) -> RenderResult:
        screen, app = self.screen, self.app
        title = screen.title if screen.title is not None else app.title
        sub_title = screen.sub_title if screen.sub_title is not None else app.sub_title
        middle = max(0, self.size.width - LEFT - RIGHT)
        text = app.format_title(title, sub_title).center(middle, ellipsis=True)
        return Content.assemble(Content(f" {ICON}").extend_right(LEFT - 2), text)

    async def on_click(self, event: events.Click) -> None:
        if event.x < LEFT:  # the icon, as in Header
            event.stop()
            await self.run_action("app.command_palette")
