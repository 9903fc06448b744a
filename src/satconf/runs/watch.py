"""The supervisor's watcher: follows train.log while the run goes on, keeps its metrics, alerts.

The detached supervisor starts one `RunWatcher` after the training process
runs and finishes it after the exit code is recorded. The watcher reads the
log (it never writes it), appends each finished step to `metrics.jsonl`,
appends alerts to `events.jsonl` and delivers them (the `on_event` command,
notify-send), and samples the run's GPUs into `gpus.jsonl` (runs/gpu_use.py).
Any failure of its own is written to the supervisor's log once
and ends the watching: the training, its log and its exit code never depend
on it.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from pathlib import Path
from typing import Any

from satconf.runs import gpu_use
from satconf.runs.alerts import Alert, AlertMonitor, append_event, desktop_notify, run_user_command
from satconf.runs.metrics import LOG, append_rows
from satconf.runs.progress import ProgressTracker
from satconf.settings import AlertSettings, load_alert_settings

POLL_S = 0.25
READ_BYTES = 1024 * 1024


def accumulate_of(values: dict[str, Any]) -> int:
    try:
        return max(1, int(values.get("accum_batches", 1) or 1))
    except (TypeError, ValueError):
        return 1


class RunWatcher:
    def __init__(self, folder: Path, run_id: str, *, name: str | None = None,
                 accumulate: int = 1, settings: AlertSettings | None = None,
                 gpus: list[int] | None = None, sample_gpus: bool = True) -> None:
        self.folder = folder
        self.gpus = gpus
        self._sample_gpus = sample_gpus  # off for good after a machine shows no GPU
        self._sampled = -1e9
        if settings is None:
            settings, problem = load_alert_settings()
            if problem:
                self._complain(f"alert settings ignored: {problem}")
        self.settings = settings
        self.tracker = ProgressTracker(accumulate=accumulate)
        self.monitor = AlertMonitor(run_id, name=name,
                                    stall_after_s=settings.stall_minutes * 60,
                                    started=time.monotonic())
        self._stop = threading.Event()
        self._lock = threading.Lock()  # the thread and finish() share the tracker and the file
        self._offset = 0
        self._broken = False
        self._thread = threading.Thread(target=self._run, name="satconf-watch", daemon=True)

    def start(self) -> RunWatcher:
        self._thread.start()
        return self

    def close(self, exit_code: int | None) -> None:
        """After the end is recorded: `finish`, told by the record whether a user stopped it."""
        stopped = False
        with contextlib.suppress(Exception):
            from satconf.runs.records import read_record

            stopped = read_record(self.folder).stop_requested
        with contextlib.suppress(Exception):
            self.finish(exit_code, stopped=stopped)

    def finish(self, exit_code: int | None, *, stopped: bool = False) -> None:
        """Read the rest of the log, write the last step, send the end's alert."""
        self._stop.set()
        self._thread.join(timeout=10)
        with self._lock:
            self._guard(self._read_all)
            rows = self.tracker.close() if not self._broken else []
            self._guard(lambda: self._rows(rows))
            self._guard(lambda: self._deliver(
                self.monitor.observe(self.tracker.state, time.monotonic(), rows)))
            self._guard(lambda: self._deliver(
                self.monitor.exited(self.tracker.state, exit_code, stopped=stopped)))

    def _run(self) -> None:
        while not self._stop.is_set() and not self._broken:
            with self._lock:
                self._guard(self._read_all)
                self._guard(lambda: self._deliver(
                    self.monitor.tick(self.tracker.state, time.monotonic())))
            self._gpu_sample()
            self._stop.wait(POLL_S)

    def _gpu_sample(self) -> None:
        now = time.monotonic()
        if not self._sample_gpus or now - self._sampled < gpu_use.EVERY_S:
            return
        self._sampled = now
        try:
            row = gpu_use.sample(self.gpus)
            if row is None:
                self._sample_gpus = False  # no GPU here: nothing to watch
                return
            gpu_use.append_sample(self.folder, row)
        except Exception as exc:  # NVML trouble ends GPU sampling, nothing else
            self._sample_gpus = False
            self._complain(f"GPU sampling stopped: {type(exc).__name__}: {exc}")

    def _read_all(self) -> None:
        try:
            f = open(self.folder / LOG, "rb")  # noqa: SIM115
        except FileNotFoundError:
            return
        with f:
            f.seek(self._offset)
            while chunk := f.read(READ_BYTES):
                self._offset += len(chunk)
                rows = self.tracker.feed(chunk)
                self._rows(rows)
                self._deliver(self.monitor.observe(self.tracker.state, time.monotonic(), rows))

    def _rows(self, rows: list[Any]) -> None:
        if rows:
            append_rows(self.folder, rows)

    def _deliver(self, alerts: list[Alert]) -> None:
        for alert in alerts:
            append_event(self.folder, alert)
            if self.settings.desktop:
                desktop_notify(alert)  # its absence is normal: not worth a line
            if self.settings.on_event:
                problem = run_user_command(alert, self.settings.on_event)
                if problem:
                    self._complain(f"{alert.kind}: {problem}")

    def _guard(self, step: Any) -> None:
        if self._broken:
            return
        try:
            step()
        except Exception as exc:  # never the run's problem
            self._broken = True
            self._complain(f"metrics and alerts stopped: {type(exc).__name__}: {exc}")

    def _complain(self, message: str) -> None:
        with contextlib.suppress(Exception):
            print(f"satconf watcher: {message}", file=sys.stderr, flush=True)


def start_watcher(folder: Path) -> RunWatcher | None:
    """A started watcher for the supervisor, or None (and a line in its log) if it cannot be."""
    try:
        from satconf.runs.records import read_record

        record = read_record(folder)
        return RunWatcher(folder, record.id, name=record.name, gpus=record.gpus,
                          accumulate=accumulate_of(record.values or {})).start()
    except Exception as exc:
        with contextlib.suppress(Exception):
            print(f"satconf watcher: not started: {exc}", file=sys.stderr, flush=True)
        return None
