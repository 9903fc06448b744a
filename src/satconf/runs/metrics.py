"""A run's metrics, kept beside its log: `metrics.jsonl` in the run folder, one step a line.

Rows are appended while the run goes on (by the supervisor's watcher,
`satconf.runs.watch`), so the CLI and the runs screen read the latest values
without parsing the log again. The log stays the source of truth: the file
can be rebuilt from `train.log` at any time, and a run without the file (an
older run, a scheduler's run, a supervisor that could not write it) is read
from its log instead. A torn or foreign line is skipped, never fatal.

Standard library only (the supervisor imports it).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from satconf.runs.progress import MetricRow, ProgressTracker

METRICS = "metrics.jsonl"
LOG = "train.log"
READ_BYTES = 1024 * 1024
TAIL_BYTES = 64 * 1024


def metrics_path(folder: Path) -> Path:
    return folder / METRICS


def append_rows(folder: Path, rows: Iterable[MetricRow]) -> None:
    """Append rows as whole lines (one write, so a reader never sees half a row)."""
    text = "".join(json.dumps(row.to_json(), separators=(",", ":")) + "\n" for row in rows)
    if not text:
        return
    fd = os.open(metrics_path(folder), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, text.encode("utf-8"))
    finally:
        os.close(fd)


def _parse_line(line: bytes) -> MetricRow | None:
    try:
        return MetricRow.from_json(json.loads(line))
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def iter_stored(folder: Path) -> Iterator[MetricRow]:
    """The rows of metrics.jsonl, in order; nothing if the file is missing."""
    try:
        f = open(metrics_path(folder), "rb")  # noqa: SIM115 - closed below, held across yields
    except OSError:
        return
    with f:
        for line in f:
            if line.endswith(b"\n"):  # the last one may be in the middle of being written
                row = _parse_line(line)
                if row is not None:
                    yield row


def iter_from_log(log: Path, *, accumulate: int = 1) -> Iterator[MetricRow]:
    """The rows the log holds, parsed in pieces (constant memory whatever its size)."""
    tracker = ProgressTracker(accumulate=accumulate)
    if not _regular(log):
        return
    try:
        f = open(log, "rb")  # noqa: SIM115
    except OSError:
        return
    with f:
        while chunk := f.read(READ_BYTES):
            yield from tracker.feed(chunk)
    yield from tracker.close()


def _regular(path: Path) -> bool:
    """A FIFO or a device in a log's place would be waited on, or read for ever."""
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


def load_rows(folder: Path, *, accumulate: int = 1) -> Iterator[MetricRow]:
    """metrics.jsonl when it exists, else the rows parsed from the run's log."""
    if metrics_path(folder).is_file():
        return iter_stored(folder)
    return iter_from_log(folder / LOG, accumulate=accumulate)


def latest_row(folder: Path) -> MetricRow | None:
    """The last stored row, read from the end of the file (cheap for a runs list)."""
    try:
        with open(metrics_path(folder), "rb") as f:
            f.seek(0, 2)
            size = f.tell()
            f.seek(max(0, size - TAIL_BYTES))
            tail = f.read()
    except OSError:
        return None
    # The piece after the last newline is a row being written (or nothing).
    for line in reversed(tail.split(b"\n")[:-1]):
        row = _parse_line(line)
        if row is not None:
            return row
    return None


def latest_of(folder: Path, *, accumulate: int = 1) -> MetricRow | None:
    """The latest row, from metrics.jsonl or (without it) from the log."""
    if metrics_path(folder).is_file():
        return latest_row(folder)
    last = None
    for last in iter_from_log(folder / LOG, accumulate=accumulate):  # noqa: B007
        pass
    return last


def rebuild(folder: Path, *, accumulate: int = 1) -> int:
    """Write metrics.jsonl afresh from train.log (atomically); the number of rows."""
    target = metrics_path(folder)
    temp = target.with_name(f".{METRICS}.{os.getpid()}.tmp")
    count = 0
    try:
        with open(temp, "w", encoding="utf-8") as out:
            for row in iter_from_log(folder / LOG, accumulate=accumulate):
                out.write(json.dumps(row.to_json(), separators=(",", ":")) + "\n")
                count += 1
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
    return count


def metric_names(rows: Iterable[MetricRow]) -> list[str]:
    """Every metric name, in the order they first appear."""
    seen: dict[str, None] = {}
    for row in rows:
        for key in row.metrics:
            seen.setdefault(key, None)
    return list(seen)


BASE_COLUMNS = ("step", "epoch", "batch", "total", "it_s", "elapsed_s", "time")


def to_csv(rows: list[MetricRow]) -> str:
    names = metric_names(rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*BASE_COLUMNS, *names])
    for row in rows:
        data = row.to_json()
        writer.writerow([*("" if data[c] is None else data[c] for c in BASE_COLUMNS),
                         *(row.metrics.get(n, "") for n in names)])
    return out.getvalue()
