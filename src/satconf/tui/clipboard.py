"""What to tell the user after sending the command to the clipboard with OSC 52.

A terminal answers nothing to OSC 52, so satconf cannot know that the copy
worked; it can only know when it probably did not: tmux drops the sequence
unless `set-clipboard` is `on`, GNU screen drops it, and some terminals
(GNOME Terminal and other VTE ones, Apple Terminal) never implement it.
`copy_verdict` is the pure decision (environment in, sentence out) so it can
be tested without a terminal; `tmux_set_clipboard` asks tmux for the option.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass

# Terminals that ignore OSC 52 (TERM_PROGRAM values, or the env var they set).
NO_OSC52_PROGRAMS = {"Apple_Terminal": "Apple Terminal"}
NO_OSC52_MARKERS = {"VTE_VERSION": "GNOME Terminal (VTE)"}


@dataclass(frozen=True)
class CopyVerdict:
    sure: bool  # False: show the command so it can be selected by hand
    message: str


def copy_verdict(env: Mapping[str, str], tmux_clipboard: str | None = None) -> CopyVerdict:
    """Whether an OSC 52 copy probably reached the clipboard, and the sentence to show.

    `tmux_clipboard` is tmux's `set-clipboard` value when running inside tmux
    (None when it could not be read).
    """
    if env.get("TMUX"):
        if tmux_clipboard == "on":
            return CopyVerdict(True, "Command sent to the clipboard (OSC 52 through tmux)")
        setting = tmux_clipboard or "unknown"
        return CopyVerdict(False, f"Inside tmux with set-clipboard {setting}, the copy may not "
                                  "arrive (`tmux set -g set-clipboard on` lets it through)")
    if env.get("STY"):
        return CopyVerdict(False, "Inside GNU screen, which drops clipboard (OSC 52) requests")
    program = env.get("TERM_PROGRAM", "")
    if program in NO_OSC52_PROGRAMS:
        return CopyVerdict(False, f"{NO_OSC52_PROGRAMS[program]} ignores clipboard (OSC 52) "
                                  "requests")
    for marker, name in NO_OSC52_MARKERS.items():
        if env.get(marker):
            return CopyVerdict(False, f"{name} ignores clipboard (OSC 52) requests")
    return CopyVerdict(True, "Command sent to the terminal's clipboard (OSC 52)")


def tmux_set_clipboard(timeout: float = 1.0) -> str | None:
    """tmux's global `set-clipboard` value (on/external/off), or None when unreadable."""
    tmux = shutil.which("tmux")
    if tmux is None:
        return None
    try:
        done = subprocess.run([tmux, "show-options", "-gv", "set-clipboard"],
                              capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    value = done.stdout.strip()
    return value if done.returncode == 0 and value else None
