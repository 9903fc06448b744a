"""Issue 14 item 15: a profile's python runs only after the user confirmed it once."""

from __future__ import annotations

import os
import shutil
import stat
import sys
from pathlib import Path

from satconf import trust


def _fake_python(path: Path, marker: Path) -> Path:
    path.write_text(f"#!/bin/sh\ntouch {marker}\n")
    path.chmod(0o755)
    return path


def test_satconf_own_interpreter_is_trusted() -> None:
    assert trust.is_trusted(sys.executable)
    assert trust.confirm_python(sys.executable) is None
    assert trust.confirm_python(None) is None


def test_an_unknown_python_is_refused_without_an_answer(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    python = _fake_python(tmp_path / "python", marker)
    message = trust.confirm_python(str(python))
    assert message is not None and "never confirmed" in message
    assert not marker.exists()  # refusing never runs it
    asked: list[str] = []
    assert trust.confirm_python(str(python), ask=lambda q: asked.append(q) or False) is not None
    assert str(python) in asked[0] and not trust.is_trusted(str(python))


def test_confirmed_once_then_trusted_in_another_process(tmp_path: Path, satconf_home: Path,
                                                        run_satconf) -> None:
    python = _fake_python(tmp_path / "python", tmp_path / "ran")
    assert trust.confirm_python(str(python), ask=lambda q: True) is None
    assert trust.is_trusted(str(python))
    store = trust.store_path()
    assert store.is_relative_to(satconf_home)
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    import subprocess

    out = subprocess.run([sys.executable, "-c", "import sys; from satconf import trust; "
                          "print(trust.is_trusted(sys.argv[1]))", str(python)],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_a_changed_or_swapped_file_is_asked_about_again(tmp_path: Path) -> None:
    python = _fake_python(tmp_path / "python", tmp_path / "ran")
    trust.trust(str(python))
    with open(python, "a") as f:
        f.write("echo changed\n")
    assert not trust.is_trusted(str(python))
    trust.trust(str(python))
    swapped = tmp_path / "other"
    shutil.copy2(python, swapped)
    os.replace(swapped, python)  # same name and content, another file
    assert not trust.is_trusted(str(python))


def test_a_symlink_is_judged_by_its_target(tmp_path: Path) -> None:
    real = _fake_python(tmp_path / "real-python", tmp_path / "ran")
    link = tmp_path / "python"
    link.symlink_to(real)
    trust.trust(str(link))
    assert trust.is_trusted(str(real))
    link.unlink()
    link.symlink_to(_fake_python(tmp_path / "evil", tmp_path / "ran2"))
    assert not trust.is_trusted(str(link))
    assert trust.forget(str(real)) and not trust.is_trusted(str(real))


def test_a_missing_python_is_a_clear_message(tmp_path: Path) -> None:
    message = trust.confirm_python(str(tmp_path / "nope"), ask=lambda q: True)
    assert message is not None and "does not exist" in message


def test_a_corrupt_store_trusts_nothing(tmp_path: Path) -> None:
    python = _fake_python(tmp_path / "python", tmp_path / "ran")
    trust.trust(str(python))
    trust.store_path().write_text('{"pythons": [{"realpath": 5}]')
    assert not trust.is_trusted(str(python))
    trust.trust(str(python))  # and the store heals on the next confirmation
    assert trust.is_trusted(str(python))
