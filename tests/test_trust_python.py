"""A profile's training python runs only once the user confirmed it: CLI and form alike."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from satconf.profiles import Profile, ProfileStore
from satconf.tui.app import make_app

from tui_support import SIZE, settle


def _tattletale(tmp_path: Path) -> tuple[Path, Path]:
    """A 'python' that leaves a mark whenever something runs it, then acts as python."""
    marker = tmp_path / "it-ran"
    python = tmp_path / "bin" / "python3"
    python.parent.mkdir()
    python.write_text(f"#!/bin/sh\ntouch {marker}\nexec {sys.executable} \"$@\"\n")
    python.chmod(0o755)
    return python, marker


def test_cli_never_runs_an_unconfirmed_profile_python(launchable_workspace: Path, run_satconf,
                                                      tmp_path: Path) -> None:
    python, marker = _tattletale(tmp_path)
    ProfileStore().save(Profile(name="theirs", python=str(python),
                                workspace=str(launchable_workspace)))
    for args in (("profiles", "show", "theirs"), ("profiles", "diff", "theirs"),
                 ("launch", "--dry-run", "--no-probe", "--profile", "theirs")):
        assert run_satconf(*args).returncode in (0, 1)
    assert not marker.exists()
    for args in (("check", "--profile", "theirs"), ("launch", "--profile", "theirs"),
                 ("launch", "--no-probe", "--profile", "theirs")):
        proc = run_satconf(*args)  # no terminal: nobody can confirm it
        assert proc.returncode == 1 and "never confirmed" in proc.stderr, proc.stderr
    assert not marker.exists()
    from satconf import trust

    trust.trust(str(python))
    proc = run_satconf("check", "--profile", "theirs")
    assert "never confirmed" not in proc.stderr and marker.exists()


def test_the_form_asks_before_its_checks_run_a_profile_python(launchable_workspace: Path,
                                                              tmp_path: Path) -> None:
    from satconf.tui.dialogs import ConfirmScreen

    python, marker = _tattletale(tmp_path)
    ProfileStore().save(Profile(name="theirs", python=str(python),
                                workspace=str(launchable_workspace)))

    async def run() -> None:
        app = make_app(launchable_workspace, profile="theirs")
        async with app.run_test(size=SIZE) as pilot:
            for _ in range(100):
                await pilot.pause(0.05)
                if isinstance(app.screen, ConfirmScreen):
                    break
            assert isinstance(app.screen, ConfirmScreen)
            assert str(python) in app.screen._question
            await pilot.press("n")
            await settle(app, pilot)
            for _ in range(100):
                await pilot.pause(0.05)
                if app.state.deep is not None:
                    break
            await pilot.press("f5")
            for _ in range(40):
                await pilot.pause(0.05)
            assert app.last_run is None

    asyncio.run(run())
    assert not marker.exists()
