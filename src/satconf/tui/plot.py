"""A small braille line plot of one metric over steps (a bounded `satconf.runs.follow.Series`).

`MetricPlot` draws it with braille dots (2 x 4 a cell) and labels the value
range and the last point; NaN and infinite values are left out of the line
and counted in the label.
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from satconf.runs.follow import Series

_DOTS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))  # [row][col] of a cell


def render_braille(steps: list[int], values: list[float], width: int, height: int) -> list[str]:
    """`height` lines of `width` braille cells with the points joined, x by step."""
    width, height = max(1, width), max(1, height)
    cells = [[0] * width for _ in range(height)]
    if not steps:
        return ["".join(chr(0x2800) for _ in range(width)) for _ in range(height)]
    x0, x1 = steps[0], steps[-1]
    lo, hi = min(values), max(values)
    span_x = max(1, x1 - x0)
    span_y = (hi - lo) or 1.0
    dots_w, dots_h = width * 2, height * 4

    def dot(px: int, py: int) -> None:
        if 0 <= px < dots_w and 0 <= py < dots_h:
            cells[py // 4][px // 2] |= _DOTS[py % 4][px % 2]

    prev: tuple[int, int] | None = None
    for step, value in zip(steps, values, strict=True):
        px = round((step - x0) / span_x * (dots_w - 1))
        py = dots_h - 1 - round((value - lo) / span_y * (dots_h - 1))
        if prev is not None:  # join to the previous point, so gaps read as a line
            (qx, qy), n = prev, max(abs(px - prev[0]), abs(py - prev[1]), 1)
            for i in range(1, n):
                dot(qx + round((px - qx) * i / n), qy + round((py - qy) * i / n))
        dot(px, py)
        prev = (px, py)
    return ["".join(chr(0x2800 + c) for c in row) for row in cells]


class MetricPlot(Widget):
    """Plots `series` of `metric`; call `refresh()` after adding points."""

    metric: reactive[str] = reactive("train/loss")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.series = Series()

    def show(self, metric: str, series: Series) -> None:
        self.series = series
        self.metric = metric  # a changed name refreshes by itself
        self.refresh()

    def render(self) -> Text:
        width = max(1, self.size.width - 10)
        height = max(1, self.size.height - 1)
        s = self.series
        if not s.steps:
            note = f"{self.metric}: no values yet" + (f" ({s.bad} NaN/inf)" if s.bad else "")
            return Text(note, style="dim")
        lines = render_braille(s.steps, s.values, width, height)
        hi, lo = max(s.values), min(s.values)
        out = Text()
        for i, line in enumerate(lines):
            label = " " * 10
            if i == 0 or i == len(lines) - 1:
                label = f"{hi if i == 0 else lo:>9.4g} "
            out.append(label, style="dim")
            out.append(line + "\n", style="bold cyan")
        bad = f" · {s.bad} NaN/inf not drawn" if s.bad else ""
        out.append(f"{self.metric} · steps {s.steps[0]}–{s.steps[-1]} · last "
                   f"{s.values[-1]:.4g}{bad} · m: next metric", style="dim")
        return out
