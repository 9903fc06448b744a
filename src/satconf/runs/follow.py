"""A bounded live picture of a run's log, for a view that must keep up with any log rate.

`LogFollower.pump()` reads what the log gained since the last call (at most
`READ_MAX` bytes a call) and folds it into a `Snapshot`-able state:

- the last `tail` display lines (a line as a terminal shows it: the last
  `\\r` redraw), and the count of every line so far, equal to the file's;
- the progress (a `ProgressTracker` fed every byte) and one bounded series a
  metric for the plot;
- alerts the supervisor appended to `events.jsonl` since, and its last GPU samples.

A view takes a `snapshot()` on its own clock, so however fast the log grows
the view does a bounded amount of work per frame, and memory is bounded by
`tail` and the series' limit, never by the log's size. A log that is already
big when following starts is not parsed from its start: its lines are
counted (cheap), its last `SKIP_KEEP` bytes parsed, and the plot seeded from
metrics.jsonl.

Thread-safe: one thread pumps, any thread takes snapshots. No Textual here.
"""

from __future__ import annotations

import contextlib
import dataclasses
import stat
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from satconf.runs.alerts import EVENTS, Alert
from satconf.runs.gpu_use import recent_samples
from satconf.runs.metrics import iter_stored
from satconf.runs.progress import ProgressState, ProgressTracker

READ_MAX = 4 * 1024 * 1024
SKIP_OVER = 8 * 1024 * 1024  # a log bigger than this at the start is not parsed from byte 0
SKIP_KEEP = 1024 * 1024
SERIES_LIMIT = 2048


def display_line(raw: bytes) -> str:
    """One log line as a terminal leaves it: the last non-empty `\\r` redraw."""
    text = raw.decode("utf-8", "replace")
    if "\r" in text:
        parts = [p for p in text.split("\r") if p]
        text = parts[-1] if parts else ""
    return text


@dataclass
class Series:
    """(step, value) points of one metric, at most `limit`: when full, every other point goes
    and later points are taken at half the rate, so the whole run stays in view."""

    limit: int = SERIES_LIMIT
    steps: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    bad: int = 0  # NaN / inf values seen (not plotted)
    stride: int = 1
    _skip: int = 0

    def add(self, step: int, value: float) -> None:
        if value != value or value in (float("inf"), float("-inf")):
            self.bad += 1
            return
        if self.steps and step <= self.steps[-1]:
            return  # a resumed log repeats steps: keep the line a function of the step
        self._skip += 1
        if self._skip < self.stride:
            return
        self._skip = 0
        self.steps.append(step)
        self.values.append(value)
        if len(self.steps) > self.limit:
            self.steps, self.values = self.steps[::2], self.values[::2]
            self.stride *= 2


@dataclass
class Snapshot:
    new_lines: list[str]  # lines since the last snapshot (the newest `tail` of them)
    dropped: int  # lines since the last snapshot that were too many to keep
    total_lines: int
    state: ProgressState
    series: dict[str, Series]
    alerts: list[Alert]
    gpu: list[dict]  # the last GPU samples of the run (satconf.runs.gpu_use), oldest first


class LogFollower:
    def __init__(self, log: Path, *, tail: int = 2000, accumulate: int = 1) -> None:
        self.log = log
        self.folder = log.parent
        self.tail = tail
        self.tracker = ProgressTracker(accumulate=accumulate)
        self.series: dict[str, Series] = {}
        self._lock = threading.Lock()
        self._offset = 0
        self._partial = b""
        self._lines: deque[str] = deque(maxlen=tail)
        self._new = 0  # lines added since the last snapshot
        self._total = 0
        self._events_offset = 0
        self._alerts: list[Alert] = []
        self._state = ProgressState()  # the tracker's, as of the last pump (copied under the lock)
        self._gpu: list[dict] = []
        self._gpu_read = -1e9
        self._started = False

    def _start(self) -> None:
        self._started = True
        try:
            size = self.log.stat().st_size
        except OSError:
            return
        with contextlib.suppress(OSError):  # alerts from before the view opened are history
            self._events_offset = (self.folder / EVENTS).stat().st_size
        if size <= SKIP_OVER:
            return
        start = size - SKIP_KEEP
        counted = 0
        with open(self.log, "rb") as f:
            while f.tell() < start:
                counted += f.read(min(READ_MAX, start - f.tell())).count(b"\n")
            rest = f.read(SKIP_KEEP)
        cut = rest.find(b"\n")  # begin at a line's start; that cut line is counted here
        if cut >= 0:
            counted += 1
            start += cut + 1
        self._offset = start
        self._total = counted
        for row in iter_stored(self.folder):
            self._add_row_values(row.step, row.metrics)

    def _add_row_values(self, step: int, metrics: dict[str, float]) -> None:
        for key, value in metrics.items():
            series = self.series.get(key)
            if series is None:
                series = self.series[key] = Series()
            series.add(step, value)

    def pump(self) -> int:
        """Read what the log gained (up to READ_MAX bytes); returns the bytes read."""
        if not self._started:
            self._start()
        try:
            if not stat.S_ISREG(self.log.stat().st_mode):
                return 0  # a FIFO or a device in the log's place is never read
            with open(self.log, "rb") as f:
                f.seek(0, 2)
                if f.tell() < self._offset:  # cut short: read it again from its start
                    self._offset, self._partial = 0, b""
                f.seek(self._offset)
                chunk = f.read(READ_MAX)
        except FileNotFoundError:
            chunk = b""
        if chunk:
            self._take(chunk)
        self._read_alerts()
        now = time.monotonic()
        if now - self._gpu_read >= 1.0:
            self._gpu_read = now
            samples = recent_samples(self.folder)
            with self._lock:
                self._gpu = samples
        return len(chunk)

    def finish(self) -> None:
        """At the run's end: the last line without a newline counts too."""
        while self.pump() >= READ_MAX:
            pass
        with self._lock:
            if self._partial:
                self._lines.append(display_line(self._partial))
                self._new += 1
                self._total += 1
                self._partial = b""
            for row in self.tracker.close():
                self._add_row_values(row.step, row.metrics)
            self._publish()

    def _publish(self) -> None:
        state = self.tracker.state
        self._state = dataclasses.replace(state, metrics=dict(state.metrics))

    def _take(self, chunk: bytes) -> None:
        self._offset += len(chunk)
        data = self._partial + chunk
        count = data.count(b"\n")
        cut = data.rfind(b"\n") + 1
        whole, self._partial = data[:cut], data[cut:]
        if len(self._partial) > 1024 * 1024:  # no newline for a megabyte: show what it is
            whole, self._partial = data + b"\n", b""
            count += 1
        keep = whole.split(b"\n")[:-1][-self.tail:] if count else []
        shown = [display_line(raw) for raw in keep]
        rows = self.tracker.feed(chunk)
        with self._lock:
            self._lines.extend(shown)
            self._new += count
            self._total += count
            for row in rows:
                self._add_row_values(row.step, row.metrics)
            self._publish()

    def _read_alerts(self) -> None:
        path = self.folder / EVENTS
        try:
            with open(path, "rb") as f:
                f.seek(self._events_offset)
                data = f.read()
        except OSError:
            return
        cut = data.rfind(b"\n") + 1
        if not cut:
            return
        self._events_offset += cut
        import json

        found = []
        for line in data[:cut].splitlines():
            try:
                found.append(Alert.from_json(json.loads(line)))
            except (ValueError, KeyError, TypeError):
                continue
        with self._lock:
            self._alerts += found

    def snapshot(self) -> Snapshot:
        with self._lock:
            keep = min(self._new, len(self._lines))
            new = list(self._lines)[len(self._lines) - keep:] if keep else []
            snap = Snapshot(new_lines=new, dropped=self._new - keep, total_lines=self._total,
                            state=self._state,
                            series={k: dataclasses.replace(v, steps=list(v.steps),
                                                           values=list(v.values))
                                    for k, v in self.series.items()},
                            alerts=self._alerts, gpu=self._gpu)
            self._new = 0
            self._alerts = []
        return snap

    def kept_lines(self) -> list[str]:
        with self._lock:
            return list(self._lines)
