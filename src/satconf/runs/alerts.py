"""Alerts about a run: it ended, failed, stalled, or its loss became NaN or infinite.

`AlertMonitor` decides (pure: fed the tracker's state, the clock and the exit),
and fires each kind once (a stall again only after progress resumed). The
delivery functions never raise, and none of them can touch the run:

- `run_user_command`: the `on_event` setting, run through `/bin/sh -c` with
  the event as JSON on stdin (for a chat message); bounded by a timeout.
- `desktop_notify`: `notify-send`, where it exists.
- `terminal_sequence`: OSC 9 / OSC 777 / the bell, for the form to write to
  its terminal.

The detached supervisor delivers the user command and the desktop
notification (so they come with no satconf open) and appends every event to
`events.jsonl` in the run folder; the form shows them and rings the terminal.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from satconf.runs.progress import MetricRow, ProgressState

EVENTS = "events.jsonl"
KINDS = ("ended", "failed", "stalled", "nan")
COMMAND_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Alert:
    kind: str  # one of KINDS
    run_id: str
    message: str
    at: float  # Unix time
    name: str | None = None
    step: int | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return f"satconf: run {self.name or self.run_id} {self.kind}"

    def to_json(self) -> dict[str, Any]:
        return {"event": self.kind, **{k: v for k, v in asdict(self).items() if k != "kind"}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Alert:
        return cls(kind=str(data["event"]), run_id=str(data["run_id"]),
                   message=str(data.get("message", "")), at=float(data.get("at", 0.0)),
                   name=data.get("name"), step=data.get("step"),
                   details=dict(data.get("details") or {}))


class AlertMonitor:
    """Which alerts a run's progress calls for; each `observe`/`tick`/`exited` returns new ones."""

    def __init__(self, run_id: str, *, name: str | None = None, stall_after_s: float = 600.0,
                 started: float = 0.0) -> None:
        self.run_id, self.name = run_id, name
        self.stall_after_s = stall_after_s
        self._moved = started  # monotonic: the start counts as progress
        self._stalled = False
        self._bad = False  # one NaN alert a run: the metrics that follow it are NaN too
        self._ended = False

    def _alert(self, kind: str, message: str, state: ProgressState | None,
               **details: Any) -> Alert:
        return Alert(kind=kind, run_id=self.run_id, name=self.name, message=message,
                     at=time.time(), step=state.step if state else None, details=details)

    def observe(self, state: ProgressState, now: float,
                rows: Sequence[MetricRow] = ()) -> list[Alert]:
        """After the tracker was fed (`rows`: the steps it finished): a NaN/inf metric, and
        the clock of progress. Finished rows come first, so the alert names the first bad step."""
        out: list[Alert] = []
        if state.moved_at is not None and state.moved_at > self._moved:
            self._moved = state.moved_at  # the bar moved: a later stall is a new one
            self._stalled = False
        seen = [(row.step, row.metrics) for row in rows] + [(state.step, state.metrics)]
        for step, metrics in seen:
            for key, value in metrics.items():
                if not self._bad and (math.isnan(value) or math.isinf(value)):
                    self._bad = True
                    out.append(Alert(kind="nan", run_id=self.run_id, name=self.name,
                                     message=f"{key} is {value} at step {step}",
                                     at=time.time(), step=step,
                                     details={"metric": key, "value": str(value)}))
        return out + self.tick(state, now)

    def tick(self, state: ProgressState, now: float) -> list[Alert]:
        """A stall: no bar movement for `stall_after_s` (once, until it moves again)."""
        if self._ended or self._stalled or self.stall_after_s <= 0:
            return []
        idle = now - self._moved
        if idle < self.stall_after_s:
            return []
        self._stalled = True
        where = f"step {state.step}" if state.step is not None else "before the first step"
        return [self._alert("stalled", f"no progress for {idle / 60:.1f} min ({where})",
                            state, idle_s=round(idle, 1))]

    def exited(self, state: ProgressState, exit_code: int | None, *,
               stopped: bool = False) -> list[Alert]:
        if self._ended:
            return []
        self._ended = True
        where = f" at step {state.step}" if state.step is not None else ""
        if exit_code == 0 or stopped:
            how = "was stopped" if stopped else "finished"
            return [self._alert("ended", f"{how}{where} (exit code {exit_code})", state,
                                exit_code=exit_code, stopped=stopped)]
        error = f": {state.last_error}" if state.last_error else ""
        return [self._alert("failed", f"exit code {exit_code}{where}{error}", state,
                            exit_code=exit_code, error=state.last_error)]


def append_event(folder: Path, alert: Alert) -> None:
    fd = os.open(folder / EVENTS, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(alert.to_json(), default=str) + "\n").encode("utf-8"))
    finally:
        os.close(fd)


def read_events(folder: Path) -> list[Alert]:
    try:
        lines = (folder / EVENTS).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    out = []
    for line in lines:
        try:
            out.append(Alert.from_json(json.loads(line)))
        except (ValueError, KeyError, TypeError):
            continue
    return out


def run_user_command(alert: Alert, command: str, *,
                     timeout: float = COMMAND_TIMEOUT_S) -> str | None:
    """Run `command` with the event as JSON on stdin; None, or a one-line reason it failed."""
    payload = json.dumps(alert.to_json(), default=str)
    env = {**os.environ, "SATCONF_EVENT": alert.kind, "SATCONF_RUN_ID": alert.run_id}
    try:
        done = subprocess.run(["/bin/sh", "-c", command], input=payload.encode("utf-8"),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              timeout=timeout, env=env, start_new_session=True, check=False)
    except subprocess.TimeoutExpired:
        return f"on_event command timed out after {timeout:g} s"
    except OSError as exc:
        return f"on_event command could not run: {exc}"
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip().splitlines()
        return f"on_event command exited {done.returncode}" + (f": {err[-1]}" if err else "")
    return None


def desktop_notify(alert: Alert) -> str | None:
    """notify-send where it exists (and a session bus is likely); None, or why not sent."""
    exe = shutil.which("notify-send")
    if exe is None:
        return "notify-send not found"
    urgency = "critical" if alert.kind in ("failed", "nan") else "normal"
    try:
        subprocess.run([exe, "-a", "satconf", "-u", urgency, alert.title, alert.message],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"notify-send failed: {exc}"
    return None


def terminal_mode(setting: str = "auto", env: dict[str, str] | None = None) -> str:
    """The notification a terminal understands: osc9 (iTerm2, WezTerm, Windows Terminal,
    kitty), osc777 (VTE terminals, foot, urxvt), else the bell."""
    if setting != "auto":
        return setting
    env = os.environ if env is None else env
    program = env.get("TERM_PROGRAM", "")
    term = env.get("TERM", "")
    if program in ("iTerm.app", "WezTerm", "ghostty") or "WT_SESSION" in env or "kitty" in term:
        return "osc9"
    if "VTE_VERSION" in env or term.startswith(("foot", "rxvt")):
        return "osc777"
    return "bell"


def _clean(text: str) -> str:
    # No control characters inside an OSC string: one would end it early.
    return "".join(c for c in text if c.isprintable()).replace(";", ",")


def terminal_sequence(alert: Alert, mode: str) -> str:
    if mode == "osc9":
        return f"\x1b]9;{_clean(alert.title)}: {_clean(alert.message)}\x07"
    if mode == "osc777":
        return f"\x1b]777;notify;{_clean(alert.title)};{_clean(alert.message)}\x07"
    if mode == "bell":
        return "\a"
    return ""
