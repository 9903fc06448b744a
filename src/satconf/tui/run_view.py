"""The run view: a run's progress, a live plot of a metric, and a bounded tail of its log.

The run is started detached by `satconf.runs` (it goes on if the TUI quits);
this screen only follows its log file and record from a worker thread, and
can ask `satconf.runs` to stop it. The worker folds the log into a
`satconf.runs.follow.LogFollower`; the screen takes a snapshot of it on a
clock (`FRAME_S`), so a log written at any rate costs a bounded amount of
work per frame and bounded memory (the last `TAIL` lines, a bounded series a
metric). The line count still counts every line of the file.

Alerts the supervisor records (ended, failed, stalled, NaN) are kept in
`alerts`; the app's alert watch (satconf.tui.alert_watch) shows them, for
every run, on whatever screen is open.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import RichLog, Static
from textual.worker import get_current_worker

from satconf.tui.footer import KeyFooter
from satconf.tui.keys import bindings
from satconf.tui.messages import RunEnded
from satconf.tui.plot import MetricPlot
from satconf.tui.title_bar import TitleBar

POLL_S = 0.2
FRAME_S = 0.1  # how often the screen takes in what the worker read
TAIL = 2000  # log lines kept on screen (the whole log: `satconf runs logs ID`)
FRAME_LINES = 200  # at most this many new lines drawn a frame: a flood shows its newest
STATUS_EVERY_S = 1.0
UNREADABLE_GIVE_UP_S = 10.0  # a record unreadable this long (deleted?) ends the following
STATUS_STYLE = {"running": "bold green", "succeeded": "bold green", "failed": "bold red",
                "stopped": "bold yellow", "lost": "bold red"}


def _log_file(record: Any) -> Path:
    from satconf.runs import log_path

    return log_path(record.id)


def _fresh(record: Any) -> tuple[Any, str]:
    from satconf.runs import load_run, run_status

    rec = load_run(record.id)
    return rec, run_status(rec)


def _started(record: Any) -> float:
    """When the run started, on the wall clock (the record's, else now)."""
    from satconf.runs.records import parse_iso

    when = parse_iso(getattr(record, "started_at", None))
    return when.timestamp() if when is not None else time.time()


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def format_elapsed(seconds: float) -> str:
    seconds = max(0, int(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02}:{s:02}" if h else f"{m:02}:{s:02}"


class RunScreen(Screen[None]):
    """Follows one run; `s` stops it, Escape goes back to the form (the run keeps going)."""

    # The keys, their footer order and help: satconf.tui.keys (one table).
    BINDINGS: ClassVar[list[BindingType]] = list(bindings("run"))

    status: reactive[str] = reactive("running")
    following: reactive[bool] = reactive(True)

    def __init__(self, record: Any) -> None:
        super().__init__(id="run-screen")
        self.record = record
        self.exit_code: int | None = None
        self.unseen = 0  # lines that arrived while not following the tail
        self.lines_seen = 0
        self._started = _started(record)
        self._ended_at: float | None = None
        from satconf.runs.follow import LogFollower
        from satconf.runs.watch import accumulate_of

        values = getattr(record, "values", None) or {}
        self.follower = LogFollower(_log_file(record), tail=TAIL,
                                    accumulate=accumulate_of(values))
        self.checkpoint_every = _int(values.get("checkpoint_every"))
        self.metric = "train/loss"
        self.progress: Any = None  # the last ProgressState shown
        self.series: dict[str, Any] = {}
        self.gpu: list[dict[str, Any]] = []  # the run's last GPU samples
        self.alerts: list[Any] = []  # every alert shown here

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield Static("", id="run-status")
        yield Static("", id="run-progress", markup=False)
        yield MetricPlot(id="run-plot")
        yield RichLog(id="run-log", max_lines=TAIL, wrap=False, markup=False,
                      highlight=False, auto_scroll=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = f"run {self.record.id}"
        # The real command for the whole log (this view keeps only its tail).
        self.sub_title = f"{self.record.name or ''}  (satconf runs logs {self.record.id})"
        self._render_status()
        self._render_progress()
        self.set_interval(1.0, self._render_status)
        self.set_interval(FRAME_S, self._take_in)
        self.follow_log()
        self.query_one(RichLog).focus()

    @work(thread=True, exclusive=True, group="follow")
    def follow_log(self) -> None:
        worker = get_current_worker()
        last_status = 0.0
        unreadable_since: float | None = None
        while not worker.is_cancelled:
            read = self.follower.pump()
            now = time.monotonic()
            if now - last_status >= STATUS_EVERY_S or not read:
                last_status = now
                try:
                    record, status = _fresh(self.record)
                    unreadable_since = None
                except Exception as exc:  # a moment's trouble reading is retried, not an end
                    unreadable_since = unreadable_since or now
                    if now - unreadable_since < UNREADABLE_GIVE_UP_S:
                        time.sleep(POLL_S)
                        continue
                    self.app.call_from_thread(
                        self.notify, f"Cannot read the run's record: {exc}", severity="error")
                    record, status = self.record, "unknown"
                if status == "queued" and self.status != "queued":
                    self.app.call_from_thread(setattr, self, "status", "queued")
                elif status == "running" and self.status == "queued":
                    self.app.call_from_thread(setattr, self, "status", "running")
                if status not in ("running", "queued"):  # a SLURM job waits its turn
                    self.record = record
                    self.follower.finish()
                    self.app.call_from_thread(self._take_in)
                    self.post_message(RunEnded(record.exit_code, status))
                    return
            if not read:
                time.sleep(POLL_S)

    def _take_in(self) -> None:
        """What the worker read since the last frame: lines, progress, plot, alerts."""
        snap = self.follower.snapshot()
        log = self.query_one(RichLog)
        at_end = self.following
        for line in snap.new_lines[-FRAME_LINES:]:
            log.write(Text(line), scroll_end=at_end)
        added = len(snap.new_lines) + snap.dropped
        self.lines_seen = snap.total_lines
        if added and not at_end:
            self.unseen += added
            self._render_status()
        if snap.state is not self.progress or snap.gpu is not self.gpu:
            self.progress = snap.state
            self.series = snap.series
            self.gpu = snap.gpu
            if self.metric not in self.series and self.series:
                self.metric = next(iter(self.series))
            self._render_progress()
        self.alerts += snap.alerts  # the app's alert watch shows them (satconf.tui.alert_watch)

    def _render_progress(self) -> None:
        from satconf.runs.follow import Series
        from satconf.runs.gpu_use import describe, starved_hint
        from satconf.runs.progress import progress_line

        if self.progress is None:
            text = "waiting for the log…"
        else:
            text = progress_line(self.progress, checkpoint_every=self.checkpoint_every,
                                 metric=self.metric)
        if self.gpu:
            text += "\n" + describe(self.gpu[-1])
            training = self.progress is not None and self.progress.phase == "train" and \
                self.status == "running"
            hint = starved_hint(self.gpu, training)
            if hint:
                text += "\n" + hint
        self.query_one("#run-progress", Static).update(text)
        self.query_one(MetricPlot).show(self.metric, self.series.get(self.metric, Series()))

    def action_next_metric(self) -> None:
        names = sorted(self.series)
        if not names:
            self.notify("No metrics in the log yet", timeout=2)
            return
        at = names.index(self.metric) if self.metric in names else -1
        self.metric = names[(at + 1) % len(names)]
        self._render_progress()

    def action_checkpoints(self) -> None:
        self.list_checkpoints()

    @work(thread=True, exclusive=True, group="checkpoints")
    def list_checkpoints(self) -> None:
        from satconf.runs.run_checkpoints import describe, run_checkpoints
        from satconf.tui.checkpoint_picker import CheckpointPicker

        try:
            found = run_checkpoints(self.record)
            lines = describe(found)
        except Exception as exc:  # a folder that cannot be listed: say so, never crash
            found, lines = [], [f"cannot list the checkpoints: {exc}"]
        self.app.call_from_thread(self.app.push_screen,
                                  CheckpointPicker(self.record, found, lines))

    def action_wrap(self) -> None:
        log = self.query_one(RichLog)
        log.wrap = not log.wrap
        log.clear()  # RichLog wraps as it writes: the kept tail is written again
        for line in self.follower.kept_lines():
            log.write(Text(line), scroll_end=self.following)
        self.notify("Long lines wrap" if log.wrap else "Long lines are cut", timeout=2)

    @on(RunEnded)
    def _ended(self, event: RunEnded) -> None:
        self.exit_code = event.exit_code
        self.status = event.status
        from satconf.runs.records import parse_iso

        ended = parse_iso(getattr(self.record, "ended_at", None))
        self._ended_at = ended.timestamp() if ended is not None else time.time()
        self._render_status()

    def on_mouse_scroll_up(self) -> None:
        self.following = False

    def on_key(self, event: events.Key) -> None:
        # Scrolling back pauses the tail, going to the end resumes it (as `less +F` users expect).
        if event.key in ("up", "pageup", "home", "ctrl+home"):
            self.following = False
            self._render_status()
        elif event.key in ("end", "ctrl+end"):
            self.call_after_refresh(self.action_follow)

    def on_mouse_scroll_down(self) -> None:
        if self.query_one(RichLog).is_vertical_scroll_end:
            self.action_follow()

    def action_follow(self) -> None:
        self.following = True
        self.unseen = 0
        self.query_one(RichLog).scroll_end(animate=False)
        self._render_status()

    def _render_status(self) -> None:
        end = self._ended_at if self._ended_at is not None else time.time()
        parts: list[Any] = [(f" {self.status} ", STATUS_STYLE.get(self.status, "bold")),
                            f"  elapsed {format_elapsed(end - self._started)}"]
        job = getattr(self.record, "job_id", None)
        if job:
            parts.append(f"  SLURM job {job}")
        if self.exit_code is not None:
            parts.append(f"  exit code {self.exit_code}")
        parts.append(f"  · {self.lines_seen} log line(s)")
        if not self.following:
            parts.append((f"  paused · {self.unseen} new line(s) · f: follow", "yellow"))
        found = self.query("#run-status")
        if found:  # not while the screen is being torn down (the app quitting)
            found.first(Static).update(Text.assemble(*parts))

    def action_stop(self) -> None:
        if self.status != "running":
            self.notify("The run is not running", timeout=2)
            return
        from satconf.tui.dialogs import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes and self.status == "running":
                self.notify("Stopping the run (SIGINT, then SIGTERM)…", timeout=3)
                self.stop_worker()

        # A run may have trained for days: one stray `s` must not end it.
        self.app.push_screen(ConfirmScreen(
            f"Stop run {self.record.id}? train.py gets SIGINT (it may save a checkpoint), "
            "then SIGTERM.", title="Stop the run", yes="Stop", no="Keep running", danger=True),
            answered)

    @work(thread=True, exclusive=True, group="stop")
    def stop_worker(self) -> None:
        from satconf.runs import stop_run

        try:
            stop_run(self.record.id)
        except Exception as exc:
            self.app.call_from_thread(self.notify, f"Could not stop the run: {exc}",
                                      severity="error")

    def action_back(self) -> None:
        self.app.pop_screen()
