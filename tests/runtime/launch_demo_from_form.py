"""Run by the runtime-only python (exactly what `make run` installs), never by pytest.

Opens the real form on a demo workspace, presses f5 as a user would, and
waits for the run view to show the run's end. Prints one JSON line: the final
status and exit code, whether a "Launch anyway?" question or a refusal came
up, and what the form notified. It imports no test package, so it proves the
demo launches where no test extra (prefigure, pytest...) is installed.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

DEADLINE_S = 400.0


async def launch(workspace: Path) -> dict[str, Any]:
    from satconf.tui.app import make_app
    from satconf.tui.dialogs import ConfirmScreen
    from satconf.tui.run_view import RunScreen

    app = make_app(workspace)  # as `satconf` starts it: deep checks, real probe
    notes: list[str] = []
    notify = app.notify

    def record(message: str, **kw: Any) -> None:
        notes.append(str(message))
        notify(message, **kw)

    app.notify = record  # type: ignore[method-assign]
    result: dict[str, Any] = {"status": None, "exit_code": None, "asked": False}
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f5")
        end = time.monotonic() + DEADLINE_S
        while time.monotonic() < end:
            screen = app.screen
            if isinstance(screen, ConfirmScreen):
                result["asked"] = True
                break
            if isinstance(screen, RunScreen) and screen.status != "running":
                result["status"], result["exit_code"] = screen.status, screen.exit_code
                break
            if any(n.startswith("Launch refused") for n in notes):
                break
            await asyncio.sleep(0.1)
        result["notes"] = notes
        result["findings"] = [f"{f.level}: {f.message}" for f in app.findings]
    return result


def main() -> int:
    result = asyncio.run(launch(Path(sys.argv[1])))
    print("RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
