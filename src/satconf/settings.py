"""The user's own settings: `settings.toml` in satconf's config home (alerts, for now).

    [alerts]
    on_event = "curl -s -X POST -d @- https://chat.example/hook"  # gets the event JSON on stdin
    stall_minutes = 10      # no progress this long while running: a "stalled" alert (0: never)
    desktop = true          # notify-send, where it exists
    terminal = "auto"       # auto | osc9 | osc777 | bell | off (the form's terminal)

The file is optional and read when needed; a broken one never stops a run:
`load_settings` returns the defaults and the one-line reason, which callers
show or log.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the 3.10 back-port
    import tomli as tomllib

SETTINGS = "settings.toml"
TERMINAL_MODES = ("auto", "osc9", "osc777", "bell", "off")


@dataclass(frozen=True)
class AlertSettings:
    on_event: str | None = None
    stall_minutes: float = 10.0
    desktop: bool = True
    terminal: str = "auto"


def settings_path() -> Path:
    base = os.environ.get("SATCONF_HOME")
    if base:
        return Path(base).expanduser() / SETTINGS
    import platformdirs

    return Path(platformdirs.user_config_dir("satconf")) / SETTINGS


def load_alert_settings(path: Path | None = None) -> tuple[AlertSettings, str | None]:
    """(settings, None), or (the defaults, why the file could not be used)."""
    path = path or settings_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return AlertSettings(), None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return AlertSettings(), f"{path}: {exc}"
    table = data.get("alerts", {})
    if not isinstance(table, dict):
        return AlertSettings(), f"{path}: [alerts] must be a table"
    defaults = AlertSettings()
    on_event = table.get("on_event", defaults.on_event)
    stall = table.get("stall_minutes", defaults.stall_minutes)
    desktop = table.get("desktop", defaults.desktop)
    terminal = table.get("terminal", defaults.terminal)
    if on_event is not None and not isinstance(on_event, str):
        return defaults, f"{path}: alerts.on_event must be a string (a shell command)"
    if isinstance(stall, bool) or not isinstance(stall, (int, float)) or stall < 0:
        return defaults, f"{path}: alerts.stall_minutes must be a number >= 0"
    if not isinstance(desktop, bool):
        return defaults, f"{path}: alerts.desktop must be true or false"
    if terminal not in TERMINAL_MODES:
        return defaults, f"{path}: alerts.terminal must be one of {', '.join(TERMINAL_MODES)}"
    return AlertSettings(on_event=on_event or None, stall_minutes=float(stall),
                         desktop=desktop, terminal=terminal), None
