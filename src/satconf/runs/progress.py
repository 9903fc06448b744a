"""Training progress from a run's raw log: Lightning's tqdm bar and plain lines, as typed events.

stable-audio-tools' train.py prints nothing per step but Lightning's tqdm bar,
which redraws one line with `\\r` and carries every `train/...` metric in its
postfix (`..., v_num=0, train/loss=3.710, ...]`). A view that only adds whole
lines never sees it, so this module reads the log the way a terminal would:

- `ProgressParser.feed(bytes)` splits the stream on `\\r` and `\\n`, strips ANSI
  codes (nested bars move the cursor with `ESC[A`), and yields `BarUpdate` for
  each redraw and `LogLine` for plain text, including text glued after a bar
  (`...]/path.py:54: Detected KeyboardInterrupt`). A bar that is complete but
  not yet ended by the next `\\r` is reported at once, so a slow step shows live.
- `ProgressTracker` turns the events into the run's state (epoch, step, it/s,
  elapsed/ETA, latest metrics) and into one `MetricRow` per finished training
  step, with the values the bar showed last for that step.

Memory is bounded whatever the log holds: an unterminated piece longer than
`MAX_PENDING` is given up as a plain line. Pure standard library, no I/O: the
detached supervisor, the CLI and the TUI all use it.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from typing import Any

MAX_PENDING = 64 * 1024
_ANSI = re.compile(r"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
_BAR = re.compile(
    r"(?P<desc>[^|\n]*?)\s*(?:(?P<pct>\d{1,3})%)?\|(?P<bar>[^|]*)\|\s*"
    r"(?P<n>\d+)/(?P<total>\d+|\?)\s*"
    r"\[(?P<elapsed>[\d:]+|\?)<(?P<eta>[\d:]+|\?),\s*(?P<rate>[\d.]+|\?)(?P<unit>it/s|s/it)"
    r"(?P<post>(?:,[^\]]*)?)\]"
)
_EPOCH = re.compile(r"Epoch (\d+)")
_ERROR = re.compile(r"^(?:[\w.]+(?:Error|Exception|Interrupt)\b:|Traceback \(most recent call)")
PHASES = ("train", "validation", "sanity", "test", "predict", "other")


@dataclass(frozen=True)
class BarUpdate:
    """One redraw of a tqdm bar."""

    phase: str  # one of PHASES
    desc: str  # the bar's label: "Epoch 3", "Validation DataLoader 0", ""
    epoch: int | None
    n: int  # batches done in this bar (an epoch's, for the training bar)
    total: int | None  # None when the length is unknown (`0/?`)
    elapsed_s: float | None
    eta_s: float | None  # the time left on this bar
    rate: float | None  # iterations per second (`s/it` bars are inverted)
    metrics: dict[str, float] = field(default_factory=dict)  # numeric postfix values
    postfix: dict[str, str] = field(default_factory=dict)  # every postfix value, as printed
    version: int | None = None  # the logger version (`v_num`)


@dataclass(frozen=True)
class LogLine:
    """A line of plain output (a warning, a print, a traceback line)."""

    text: str


Event = BarUpdate | LogLine


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text) if "\x1b" in text else text


def parse_clock(text: str) -> float | None:
    """tqdm's `MM:SS` or `H:MM:SS` in seconds; None for `?`."""
    if not text or text == "?":
        return None
    total = 0
    for part in text.split(":"):
        if not part.isdigit():
            return None
        total = total * 60 + int(part)
    return float(total)


def parse_number(text: str) -> float | None:
    """A postfix value as a number (`3e-7`, `nan`, `inf` included), else None."""
    try:
        return float(text)
    except ValueError:
        return None


def _phase(desc: str) -> tuple[str, int | None]:
    if desc.startswith("Epoch"):
        match = _EPOCH.match(desc)
        return "train", int(match.group(1)) if match else None
    for prefix, phase in (("Training", "train"), ("Validation", "validation"),
                          ("Sanity Checking", "sanity"), ("Testing", "test"),
                          ("Predicting", "predict")):
        if desc.startswith(prefix):
            return phase, None
    return "other", None


def parse_bar(text: str) -> tuple[BarUpdate, str] | None:
    """A bar at the start of `text` (ANSI already stripped): (update, the text after it)."""
    match = _BAR.match(text)
    if match is None:
        return None
    desc = match.group("desc").strip().rstrip(":").strip()
    phase, epoch = _phase(desc)
    rate = None if match.group("rate") == "?" else float(match.group("rate"))
    if rate is not None and match.group("unit") == "s/it":
        rate = 1.0 / rate if rate > 0 else None
    postfix: dict[str, str] = {}
    for item in match.group("post").split(","):
        key, eq, value = item.strip().partition("=")
        if eq and key:
            postfix[key] = value.strip()
    version = postfix.get("v_num")
    metrics = {k: num for k, v in postfix.items()
               if k != "v_num" and (num := parse_number(v)) is not None}
    total = match.group("total")
    update = BarUpdate(
        phase=phase, desc=desc, epoch=epoch, n=int(match.group("n")),
        total=None if total == "?" else int(total),
        elapsed_s=parse_clock(match.group("elapsed")), eta_s=parse_clock(match.group("eta")),
        rate=rate, metrics=metrics, postfix=postfix,
        version=int(version) if version is not None and version.isdigit() else None,
    )
    return update, text[match.end():]


class ProgressParser:
    """Incremental: feed raw log bytes in any pieces, get events in order."""

    def __init__(self) -> None:
        self._pending = ""
        self._decoder_tail = b""
        self._shown = ""  # the unterminated bar already reported (so it is not reported twice)

    def feed(self, data: bytes | str) -> list[Event]:
        if isinstance(data, bytes):
            data = self._decode(data)
        if not data:
            return []
        events: list[Event] = []
        # str.split is where the time goes at 10 MB/s, not a regex over every character.
        lines = (self._pending + data).split("\n")
        pending = lines.pop()
        for line in lines:
            if "\r" in line:
                *redraws, line = line.split("\r")
                for part in redraws:
                    self._segment(part, False, events)
            self._segment(line, True, events)
        if "\r" in pending:
            *redraws, pending = pending.split("\r")
            for part in redraws:
                self._segment(part, False, events)
        self._pending = pending
        if len(self._pending) > MAX_PENDING:  # no terminator in sight: give it up as a line
            self._segment(self._pending, True, events)
            self._pending = ""
        elif self._pending and not (self._shown and self._pending.startswith(self._shown)):
            parsed = parse_bar(strip_ansi(self._pending))
            if parsed is not None and not parsed[1].strip():
                events.append(parsed[0])
                self._shown = self._pending
        return events

    def close(self) -> list[Event]:
        """The last piece, as if a newline ended it."""
        events: list[Event] = []
        if self._decoder_tail:
            self._pending += self._decoder_tail.decode("utf-8", "replace")
            self._decoder_tail = b""
        if self._pending:
            self._segment(self._pending, True, events)
        self._pending = ""
        return events

    def _decode(self, data: bytes) -> str:
        # A multi-byte character (the bar's blocks) may be cut between two reads.
        data = self._decoder_tail + data
        cut = len(data)
        for back in range(1, min(4, len(data)) + 1):
            byte = data[-back]
            if byte & 0xC0 == 0x80:
                continue
            if byte >= 0xC0:
                need = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
                if need > back:
                    cut = len(data) - back
            break
        self._decoder_tail = data[cut:]
        return data[:cut].decode("utf-8", "replace")

    def _segment(self, raw: str, newline: bool, events: list[Event]) -> None:
        shown, self._shown = self._shown, ""
        if "|" not in raw and "\x1b" not in raw:  # the common plain line: no bar in it
            if newline or raw.strip():
                events.append(LogLine(raw.rstrip()))
            return
        text = strip_ansi(raw)
        parsed = parse_bar(text)
        if parsed is not None:
            update, rest = parsed
            if not (shown and raw.startswith(shown)):
                events.append(update)
            rest = rest.strip()
            if rest:
                events.append(LogLine(rest))
            return
        if text.strip() or newline:
            events.append(LogLine(text.rstrip()))


@dataclass(frozen=True)
class MetricRow:
    """The metrics of one finished training step, as kept in metrics.jsonl."""

    step: int  # global step (batches / accumulation), counted from the epoch and its length
    epoch: int | None
    batch: int  # batches done in the epoch
    total: int | None  # batches in the epoch
    rate: float | None
    elapsed_s: float | None  # of the epoch
    metrics: dict[str, float]
    time: float  # when it was seen (Unix time)

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "epoch": self.epoch, "batch": self.batch,
                "total": self.total, "it_s": self.rate, "elapsed_s": self.elapsed_s,
                "time": round(self.time, 3),
                "metrics": {k: _json_float(v) for k, v in self.metrics.items()}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MetricRow:
        metrics = data.get("metrics") or {}
        return cls(step=int(data["step"]), epoch=data.get("epoch"), batch=int(data.get("batch", 0)),
                   total=data.get("total"), rate=data.get("it_s"),
                   elapsed_s=data.get("elapsed_s"), time=float(data.get("time", 0.0)),
                   metrics={str(k): _from_json_float(v) for k, v in metrics.items()})


def _json_float(value: float) -> float | str:
    # JSON has no NaN or infinity; a string keeps the file valid JSON for every reader.
    return value if math.isfinite(value) else str(value)


def _from_json_float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


@dataclass
class ProgressState:
    """Where the training is, as far as the log tells."""

    phase: str = "starting"  # starting | train | validation | sanity | test | predict
    epoch: int | None = None
    batch: int = 0
    total: int | None = None
    step: int | None = None
    rate: float | None = None
    elapsed_s: float | None = None
    eta_s: float | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    version: int | None = None
    bar_updates: int = 0
    lines: int = 0
    last_error: str | None = None  # the last exception line (`RuntimeError: ...`)
    moved_at: float | None = None  # monotonic time the bar last moved
    eval_bar: BarUpdate | None = None  # a validation/sanity bar in progress


class ProgressTracker:
    """The run's progress and its finished steps, from raw log bytes.

    A step's row is written when the bar moves past it (the first redraw at a
    new step still shows the previous step's values; Lightning sets the new
    postfix right after), or by `close()` at the end of the log.
    """

    def __init__(self, *, accumulate: int = 1, clock: Any = time.monotonic) -> None:
        self.parser = ProgressParser()
        self.state = ProgressState()
        self.accumulate = max(1, int(accumulate))
        self._clock = clock
        self._pending: MetricRow | None = None
        self._last_written = 0  # step 0 is no step (the first batch of an accumulation)
        self._epoch_base: int | None = None  # batches before the current epoch
        self._last_epoch: int | None = None
        self._epoch_max = 0  # the furthest the current epoch's bar got
        self._last_key: tuple[str, int | None, int] | None = None

    def feed(self, data: bytes | str) -> list[MetricRow]:
        return self._apply(self.parser.feed(data))

    def close(self) -> list[MetricRow]:
        rows = self._apply(self.parser.close())
        if self._pending is not None:
            rows += self._finish()
        return rows

    def _apply(self, events: list[Event]) -> list[MetricRow]:
        rows: list[MetricRow] = []
        for event in events:
            if isinstance(event, LogLine):
                self.state.lines += 1
                text = event.text
                if ("Error" in text or "Exception" in text or "Interrupt" in text
                        or "Traceback" in text) and _ERROR.match(text):
                    self.state.last_error = event.text
                continue
            rows += self._bar(event)
        return rows

    def _bar(self, bar: BarUpdate) -> list[MetricRow]:
        state = self.state
        state.bar_updates += 1
        key = (bar.phase, bar.epoch, bar.n)
        if key != self._last_key:
            self._last_key = key
            state.moved_at = self._clock()
        if bar.phase in ("validation", "sanity", "test", "predict"):
            state.phase = bar.phase
            state.eval_bar = bar
            return []
        if bar.phase != "train" or bar.epoch is None:
            return []  # "Training: 0/4" before the first epoch, nameless inner bars
        state.phase, state.eval_bar = "train", None
        # Batches are counted epoch by epoch (the last epoch's bar is shorter under max_steps);
        # a run resumed mid-way starts at its epoch times the epoch's length.
        if self._epoch_base is None:
            self._epoch_base = bar.epoch * bar.total if bar.total else 0
        elif bar.epoch != self._last_epoch:
            self._epoch_base += self._epoch_max
            self._epoch_max = 0
        self._last_epoch = bar.epoch
        if bar.n == 0 and self._epoch_max > 0:
            return self._finish()  # the bar's reset at the end of an epoch: no step back
        self._epoch_max = max(self._epoch_max, bar.n)
        batches = self._epoch_base + bar.n
        step = batches // self.accumulate
        state.epoch, state.batch, state.total, state.step = bar.epoch, bar.n, bar.total, step
        state.rate, state.elapsed_s, state.eta_s = bar.rate, bar.elapsed_s, bar.eta_s
        if bar.version is not None:
            state.version = bar.version
        if bar.metrics:
            state.metrics = dict(bar.metrics)
        rows: list[MetricRow] = []
        if self._pending is not None and (self._pending.epoch, self._pending.batch) != (
                bar.epoch, bar.n):
            rows += self._finish()
        if bar.n > 0 and bar.metrics:
            self._pending = MetricRow(step=step, epoch=bar.epoch, batch=bar.n, total=bar.total,
                                      rate=bar.rate, elapsed_s=bar.elapsed_s,
                                      metrics=dict(bar.metrics), time=time.time())
        return rows

    def _finish(self) -> list[MetricRow]:
        row, self._pending = self._pending, None
        if row is None or row.step <= self._last_written:
            return []
        self._last_written = row.step
        return [row]


def is_bad_number(value: float) -> bool:
    return math.isnan(value) or math.isinf(value)


def seconds_to_checkpoint(state: ProgressState, every: int) -> float | None:
    """Seconds until the next `every`-step checkpoint at the current rate, if known."""
    if not every or every <= 0 or state.step is None or not state.rate:
        return None
    left = every - state.step % every
    return left / state.rate


def format_seconds(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "?"
    seconds = max(0, round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02}:{s:02}" if h else f"{m:02}:{s:02}"


def progress_line(state: ProgressState, *, checkpoint_every: int = 0,
                  metric: str = "train/loss") -> str:
    """One line for people: `epoch 3 · step 14 (2/4) · train/loss 3.71 · 3.09 it/s · ...`."""
    if state.phase == "starting":
        return "waiting for the first step…"
    parts: list[str] = []
    if state.eval_bar is not None:
        bar = state.eval_bar
        parts.append(f"{bar.desc or bar.phase} {bar.n}/{bar.total if bar.total else '?'}")
    if state.epoch is not None:
        parts.append(f"epoch {state.epoch}")
    if state.step is not None:
        parts.append(f"step {state.step} ({state.batch}/{state.total or '?'})")
    value = state.metrics.get(metric)
    if value is not None:
        parts.append(f"{metric} {value:.4g}")
    if state.rate is not None:
        parts.append(f"{state.rate:.2f} it/s")
    if state.step is not None:
        parts.append(f"epoch ETA {format_seconds(state.eta_s)}")
    to_ckpt = seconds_to_checkpoint(state, checkpoint_every)
    if to_ckpt is not None:
        parts.append(f"next checkpoint in {format_seconds(to_ckpt)}")
    return " · ".join(parts)
