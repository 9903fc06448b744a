"""Keystroke to updated command preview, measured inside the real app (Pilot).

Each sample types one character into the first integer field of the form
(the full seed form, every row mounted) and stamps the moment the command
preview has been given the new command: the key event, the input's
`Changed`, parsing, whole-config validation, the rows' repaint, `FormChanged`
and the new plan. The median over the presses is reported.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path


def _workspace(root: Path) -> Path:
    from scale import make_scaled_workspace

    return make_scaled_workspace(root, 0)


def keystroke_to_preview_ms(presses: int = 60) -> float:
    """Median milliseconds from a key reaching the focused input to the preview repainted."""
    home = Path(tempfile.mkdtemp(prefix="satconf-keys-"))
    os.environ.setdefault("SATCONF_HOME", str(home))
    ws = _workspace(home / "ws")
    return asyncio.run(_measure(ws, presses))


async def _measure(ws: Path, presses: int) -> float:
    from satconf.tui.app import make_app
    from satconf.tui.form import ConfigForm

    app = make_app(ws, deep_checks=False)
    samples: list[float] = []
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        form = app.query_one(ConfigForm)
        form.focus_field(next(s.key for s in form.fields if s.kind.editor == "integer"))
        preview = app.preview
        show = preview.show
        stamp: list[float] = []

        def timed_show(*args: object, **kw: object) -> None:
            show(*args, **kw)  # type: ignore[arg-type]
            stamp.append(time.perf_counter())

        preview.show = timed_show  # type: ignore[method-assign]
        for i in range(presses):
            stamp.clear()
            t0 = time.perf_counter()
            await pilot.press("backspace" if i % 2 else "7")
            if stamp:
                samples.append(stamp[0] - t0)
    return statistics.median(samples) * 1000 if samples else float("nan")


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    print(f"keystroke to preview: {keystroke_to_preview_ms():.2f} ms (median)")
