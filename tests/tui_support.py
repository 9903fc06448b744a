"""Shared by the Pilot tests: running async tests without an async pytest plugin,
a workspace whose train.py records how it was started, fake GPUs, typing helpers.

Loaded as a pytest plugin by conftest, so its fixtures `ws` and `fake_gpus` reach every test.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

from satconf.tui.app import SatconfApp
from satconf.tui.form import FieldInput

from conftest import make_workspace


async def until(cond: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
    """Wait for an event the test cannot await directly (a screen, a row, a run's end),
    letting the app run; fail naming it when it does not come."""
    for _ in range(int(timeout / 0.05)):
        if cond():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


def sync(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async Pilot test in its own event loop."""

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return wrapper


SIZE = (100, 32)


# train.py that records what it was started with, next to itself.
RECORDER = """\
import json, os, sys
here = os.path.dirname(os.path.abspath(__file__))
data = {"argv": sys.argv, "cuda": os.environ.get("CUDA_VISIBLE_DEVICES"), "cwd": os.getcwd()}
with open(os.path.join(here, "launched.json.tmp"), "w") as f:
    json.dump(data, f)
os.replace(os.path.join(here, "launched.json.tmp"), os.path.join(here, "launched.json"))
print("recorded the launch", flush=True)
"""

FAKE_GPUS = [
    {"index": 0, "name": "NVIDIA A100-SXM4-80GB", "memory_used": 1200, "memory_total": 81920,
     "utilization": 35, "capability": "8.0"},
    {"index": 1, "name": "NVIDIA A100-SXM4-80GB", "memory_used": 3, "memory_total": 81920,
     "utilization": 0, "capability": "8.0"},
]


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return make_workspace(tmp_path / "sat", train_py=RECORDER)


def launchable(root: Path, train_py: str = RECORDER) -> Path:
    """A workspace with valid model and dataset configs (launch refuses nothing), running
    `train_py`."""
    from checks_support import good_workspace

    ws = good_workspace(root)
    (ws / "train.py").write_text(train_py, encoding="utf-8")
    return ws


@pytest.fixture
def launch_ws(tmp_path: Path) -> Path:
    """`ws`, but one the checks let launch."""
    return launchable(tmp_path / "sat-ok")


async def checked(app: SatconfApp, pilot, tries: int = 400) -> None:
    """Wait until the full checks of the form's current values are in."""
    for _ in range(tries):
        await settle(app, pilot)
        if app.state.deep is not None:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the checks never finished")


@pytest.fixture
def fake_gpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "gpus.json"
    path.write_text(json.dumps(FAKE_GPUS), encoding="utf-8")
    monkeypatch.setenv("SATCONF_FAKE_GPUS", str(path))
    return path


async def settle(app: SatconfApp, pilot) -> None:
    """Wait until every form row is mounted (the rows below the first screen come just
    after the first frame), then let workers finish and their messages land."""
    for _ in range(50):
        await pilot.pause()
        if getattr(app.form, "complete", True):
            break
    else:
        raise AssertionError("the form never finished mounting")
    await app.workers.wait_for_complete()
    await pilot.pause()


async def retype(pilot, app: SatconfApp, key: str, text: str) -> None:
    """Focus a field, clear it with backspaces and type `text`, as a user would."""
    app.form.focus_field(key)
    await pilot.pause()
    widget = app.form.editor(key)
    assert isinstance(widget, FieldInput)
    await pilot.press("end", *["backspace"] * len(widget.value), *text)
    await pilot.pause()


def error_text(app: SatconfApp, key: str) -> str:
    found = app.form.row(key).query(f"#err-{app.form.ids[key]}")
    if not found or not found.first().display:
        return ""
    return str(found.first().render())


async def choose(pilot, app: SatconfApp, key: str, value: str) -> None:
    """Pick `value` in a field's Select with the keyboard: focus, enter opens the list,
    arrows move to the value, enter takes it."""
    from textual.widgets import Select
    from textual.widgets._select import SelectOverlay

    app.form.focus_field(key)
    await pilot.pause()
    select = app.form.editor(key)
    assert isinstance(select, Select) and app.focused is select, app.focused
    await pilot.press("enter")
    await pilot.pause()
    overlay = select.query_one(SelectOverlay)
    assert select.expanded
    values = [v for _, v in select._options]
    target = values.index(value)
    here = overlay.highlighted if overlay.highlighted is not None else 0
    step = "down" if target > here else "up"
    await pilot.press(*[step] * abs(target - here), "enter")
    await pilot.pause()
    assert select.value == value, (key, select.value)


async def toggle(pilot, app: SatconfApp, key: str) -> None:
    """Flip a field's Switch with the space bar, as a user does."""
    from textual.widgets import Switch

    app.form.focus_field(key)
    await pilot.pause()
    switch = app.form.editor(key)
    assert isinstance(switch, Switch) and app.focused is switch, app.focused
    before = switch.value
    await pilot.press("space")
    await pilot.pause()
    assert switch.value is not before
