"""Terminal cell widths of text, for aligned columns in plain CLI output.

`len()` counts a CJK character or an emoji as one column where a terminal
draws two, so names with them pushed the next column out of line. This uses
only `unicodedata` (the CLI must stay import-light): wide and full-width
characters take two cells, combining marks and zero-width joiners none.
"""

from __future__ import annotations

import unicodedata

ZERO_WIDTH = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"}


def char_width(ch: str) -> int:
    if ch in ZERO_WIDTH or unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me"):
        return 0
    if "\ufe00" <= ch <= "\ufe0f":  # variation selectors
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def cell_width(text: str) -> int:
    """Columns `text` takes in a terminal."""
    return sum(char_width(ch) for ch in text)


def ljust_cells(text: str, width: int) -> str:
    """`text` padded with spaces to `width` terminal columns."""
    return text + " " * max(0, width - cell_width(text))
