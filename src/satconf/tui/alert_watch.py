"""Alerts in the form: any run's new event (ended, failed, stalled, NaN) while satconf is open.

The supervisor appends each alert to its run's `events.jsonl` (satconf.runs.alerts);
this watcher looks at those files' sizes every `POLL_S` from a worker thread,
reads only what was appended since, and shows each event once: a toast in the
app and a terminal notification (OSC 9 / OSC 777 / the bell, as the settings
say). Events from before the app started are history, not news.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

POLL_S = 2.0


class AlertWatch:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.seen: dict[Path, int] = {}  # events.jsonl -> bytes already taken in
        self.shown: list[Any] = []  # every alert shown, oldest first
        self._primed = False

    def start(self) -> None:
        self.app.set_interval(POLL_S, self._poll)
        self._poll()

    def _poll(self) -> None:
        self.app.run_worker(self._scan, thread=True, exclusive=True, group="alert-watch",
                            exit_on_error=False)

    def _scan(self) -> None:
        from satconf.runs.alerts import EVENTS, Alert
        from satconf.workspace import runs_dir

        base = runs_dir()
        if not base.is_dir():
            self._primed = True
            return
        found: list[Any] = []
        for path in base.glob(f"*/{EVENTS}"):
            try:
                size = path.stat().st_size
            except OSError:
                continue
            start = self.seen.get(path, 0 if self._primed else size)
            if size <= start:
                self.seen[path] = size
                continue
            with contextlib.suppress(OSError), open(path, "rb") as f:
                f.seek(start)
                data = f.read(size - start)
                cut = data.rfind(b"\n") + 1
                self.seen[path] = start + cut
                for line in data[:cut].splitlines():
                    with contextlib.suppress(ValueError, KeyError, TypeError):
                        found.append(Alert.from_json(json.loads(line)))
        self._primed = True
        if found:
            self.app.call_from_thread(self._show, found)

    def _show(self, alerts: list[Any]) -> None:
        from satconf.runs.alerts import terminal_mode, terminal_sequence
        from satconf.settings import load_alert_settings

        mode = terminal_mode(load_alert_settings()[0].terminal)
        for alert in alerts:
            self.shown.append(alert)
            severity = {"failed": "error", "nan": "error", "stalled": "warning"}.get(
                alert.kind, "information")
            self.app.notify(alert.message, title=alert.title, severity=severity, timeout=10)
            if mode == "bell":
                self.app.bell()
            elif mode != "off" and not self.app.is_headless:
                driver = getattr(self.app, "_driver", None)  # the terminal; no public writer
                if driver is not None:
                    driver.write(terminal_sequence(alert, mode))


def watch_alerts(app: Any) -> AlertWatch:
    watch = AlertWatch(app)
    watch.start()
    return watch
