"""`satconf runs list|show|logs|stop`, and the local, non-dry-run half of `satconf launch`."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from satconf.cli.common import EXIT_ERRORS, CliError, line_count, print_json, warn

if TYPE_CHECKING:
    from satconf.runs.records import RunRecord

SHOW_TAIL = 20


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("runs", help="runs started by satconf: list, show, logs, stop")
    runs = p.add_subparsers(dest="runs_command", metavar="ACTION")
    ls = runs.add_parser("list", help="every run, newest first")
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    ls.set_defaults(func=run_list)
    show = runs.add_parser("show", help="one run's settings, status and log tail")
    show.add_argument("run_id", metavar="ID", help="run id, a unique prefix of one, or `last`")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.add_argument("--tail", type=line_count, default=SHOW_TAIL, metavar="N",
                      help=f"log lines to show (default {SHOW_TAIL})")
    show.set_defaults(func=run_show)
    logs = runs.add_parser("logs", help="print a run's log")
    logs.add_argument("run_id", metavar="ID", help="run id, a unique prefix of one, or `last`")
    logs.add_argument("--follow", "-f", action="store_true",
                      help="keep printing new lines until the run ends (Ctrl-C stops following)")
    logs.add_argument("--tail", type=line_count, default=None, metavar="N",
                      help="only the last N lines")
    logs.set_defaults(func=run_logs)
    metrics = runs.add_parser("metrics", help="a run's metrics per step (from metrics.jsonl)")
    metrics.add_argument("run_id", metavar="ID", help="run id, a unique prefix of one, or `last`")
    form = metrics.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="a JSON array, one object a step")
    form.add_argument("--csv", action="store_true", help="CSV, one column a metric")
    metrics.add_argument("--rebuild", action="store_true",
                         help="write metrics.jsonl afresh from the run's log first")
    metrics.set_defaults(func=run_metrics)
    stop = runs.add_parser("stop", help="stop a run: SIGINT, then SIGTERM, then SIGKILL")
    stop.add_argument("run_id", metavar="ID", help="run id, a unique prefix of one, or `last`")
    stop.add_argument("--grace", type=float, default=30.0, metavar="SECONDS",
                      help="wait this long after SIGINT before SIGTERM (default 30)")
    stop.add_argument("--json", action="store_true", help="machine-readable output")
    stop.set_defaults(func=run_stop)
    p.set_defaults(func=run_list, json=False)  # no action lists the runs


def _load(run_id: str) -> RunRecord:
    from satconf.runs import RunError, load_run

    try:
        return load_run(run_id)
    except RunError as exc:
        raise CliError(str(exc), EXIT_ERRORS) from None


def _local_time(iso: str | None) -> str:
    from satconf.runs.records import parse_iso

    when = parse_iso(iso)
    return when.astimezone().strftime("%Y-%m-%d %H:%M:%S") if when else "-"


def _duration(record: RunRecord, status: str | None = None) -> str:
    """Elapsed time: to the end, to now while it runs, and for a run that is neither
    (lost) to the last sign of life, so that its clock stops."""
    from satconf.runs.records import last_sign_of_life, parse_iso
    from satconf.runs.status import QUEUED, RUNNING

    start, end = parse_iso(record.started_at), parse_iso(record.ended_at)
    if start is None:
        return "-"
    if end is not None:
        stop = end.timestamp()
    elif status is None or status in (RUNNING, QUEUED):
        stop = time.time()
    else:
        stop = last_sign_of_life(record) or start.timestamp()
    seconds = int(stop - start.timestamp())
    hours, rest = divmod(max(0, seconds), 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def _tolerant_stdout() -> None:
    # A record may hold paths that are not UTF-8 (kept as surrogate escapes): print them
    # escaped rather than fail half-way through the output.
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="backslashreplace")


def record_json(record: RunRecord, *, tail: int = 0) -> dict[str, Any]:
    from satconf.runs import log_path, run_status, tail_lines

    status = run_status(record)  # first: a scheduler engine records a job's result here
    data = record.to_json()
    data["status"] = status
    data["log"] = str(log_path(record.id))
    if tail:
        data["log_tail"] = tail_lines(log_path(record.id), tail)
        latest = _latest(record)  # only with the tail: a list stays cheap
        data["latest"] = latest.to_json() if latest is not None else None
    return data


def _latest(record: RunRecord) -> Any:
    import stat

    from satconf.runs import log_path, run_dir
    from satconf.runs.metrics import latest_of
    from satconf.runs.watch import accumulate_of

    try:  # a FIFO or a device in the log's place would be waited on, or read for ever
        if not stat.S_ISREG(log_path(record.id).stat().st_mode):
            return None
    except OSError:
        pass  # no log yet: the metrics reader says so itself

    return latest_of(run_dir(record.id), accumulate=accumulate_of(record.values))


def _latest_lines(record: RunRecord) -> list[str]:
    """`progress` and `metrics` lines: the last step the log showed."""
    row = _latest(record)
    if row is None:
        return ["progress  no training step yet"]
    from satconf.runs.progress import format_seconds

    rate = f", {row.rate:.2f} it/s" if row.rate is not None else ""
    lines = [f"progress  step {row.step}, epoch {row.epoch} ({row.batch}/{row.total or '?'})"
             f"{rate}, epoch time {format_seconds(row.elapsed_s)}"]
    lines += [f"metric    {k} = {v:g}" for k, v in row.metrics.items()]
    return lines


def run_metrics(args: argparse.Namespace) -> int:
    from satconf.runs import run_dir
    from satconf.runs.metrics import load_rows, metric_names, rebuild, to_csv
    from satconf.runs.watch import accumulate_of

    record = _load(args.run_id)
    folder, accumulate = run_dir(record.id), accumulate_of(record.values)
    if args.rebuild:
        try:
            count = rebuild(folder, accumulate=accumulate)
        except OSError as exc:
            raise CliError(f"cannot rebuild {folder}: {exc}", EXIT_ERRORS) from None
        warn(f"metrics.jsonl rebuilt from the log: {count} step(s)")
    rows = list(load_rows(folder, accumulate=accumulate))
    if args.json:
        print_json([row.to_json() for row in rows])
        return 0
    if args.csv:
        sys.stdout.write(to_csv(rows))
        return 0
    if not rows:
        print(f"run {record.id}: no training step in its log yet")
        return 0
    names = metric_names(rows)
    table = [["step", "epoch", "it/s", *names]]
    for row in rows:
        table.append([str(row.step), str(row.epoch), "-" if row.rate is None else f"{row.rate:.2f}",
                      *(f"{row.metrics[n]:g}" if n in row.metrics else "-" for n in names)])
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    for r in table:
        print("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)))
    return 0


UNREADABLE = "unreadable"


def run_list(args: argparse.Namespace) -> int:
    """Every run; a record that cannot be read is listed as unreadable (exit 1), never
    hidden and never hiding the others."""
    from satconf.runs import run_status
    from satconf.runs.records import scan_runs

    _tolerant_stdout()
    records, bad = scan_runs()
    from satconf.cli.queue import queued_for_runs_list

    queued = queued_for_runs_list()  # waiting runs first, with their place in the queue
    if args.json:
        print_json(queued + [record_json(r) for r in records]
                   + [{"id": name, "status": UNREADABLE, "error": str(exc)} for name, exc in bad])
        return 1 if bad else 0
    if not records and not bad and not queued:
        print("no runs yet (start one with `satconf launch`)")
        return 0
    rows = [("ID", "STATUS", "NAME", "PROFILE", "STARTED", "TIME", "EXIT")]
    rows += [(q["id"], f"queued #{q['position']}" if q["position"] else q["status"],
              q["name"] or "-", q["profile"] or "-", "-", "-", "-") for q in queued]
    for r in records:
        status = run_status(r)
        rows.append((r.id, status, r.name or "-", r.profile or "-",
                     _local_time(r.started_at), _duration(r, status),
                     "-" if r.exit_code is None else str(r.exit_code)))
    rows += [(name, UNREADABLE, "-", "-", "-", "-", "-") for name, _ in bad]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    for _, exc in bad:
        warn(f"satconf: unreadable run record: {exc}")
    return 1 if bad else 0


def run_show(args: argparse.Namespace) -> int:
    from satconf.runs import log_path, run_status, tail_lines

    _tolerant_stdout()
    record = _load(args.run_id)
    if args.json:
        print_json(record_json(record, tail=args.tail))
        return 0
    status = run_status(record)
    code = "" if record.exit_code is None else f" (exit code {record.exit_code}" + (
        f", {record.exit_signal})" if record.exit_signal else ")")
    lines = [
        f"run       {record.id}",
        f"status    {status}{code}",
        f"engine    {record.engine}" + (f" (job {record.job_id})" if record.job_id else ""),
        f"name      {record.name or '-'}",
        f"profile   {record.profile or '-'}",
        f"started   {_local_time(record.started_at)} on {record.host or '?'}",
        f"ended     {_local_time(record.ended_at)} (ran {_duration(record, status)})",
        f"pid       {record.pid if record.pid is not None else '-'} (process group "
        f"{record.pgid if record.pgid is not None else '-'})",
        f"gpus      {'all visible' if record.gpus is None else record.gpus or 'none'}",
        f"python    {record.python}",
        f"cwd       {record.cwd}",
        f"command   {' '.join(record.argv)}",
    ]
    lines += [f"env       {k}={v}" for k, v in record.env.items()]
    lines += [f"note      {note}" for note in record.notes]
    if record.error:
        lines.append(f"error     {record.error}")
    lines += [f"stop      {s.signal} at {_local_time(s.at)}: {s.result}" for s in record.stop_steps]
    lines.append(f"log       {log_path(record.id)}")
    lines += _latest_lines(record)
    print("\n".join(lines))
    tail = tail_lines(log_path(record.id), args.tail)
    if tail:
        print(f"--- last {len(tail)} log lines ---")
        print("\n".join(tail))
    return 0


def run_logs(args: argparse.Namespace) -> int:
    from satconf.runs import RUNNING, follow_chunks, load_run, log_path, run_status, tail_lines
    from satconf.runs.logs import copy_log
    from satconf.runs.status import QUEUED

    record = _load(args.run_id)
    path = log_path(record.id)
    if args.tail is not None:
        for line in tail_lines(path, args.tail):
            print(line)
    if not args.follow:
        if args.tail is None:
            sys.stdout.flush()
            copy_log(path, sys.stdout.buffer)  # in pieces: a log of any size, constant memory
            sys.stdout.buffer.flush()
        return 0
    sys.stdout.flush()
    try:
        # Raw pieces, not lines: a progress bar's `\r` redraws show as they happen.
        for chunk in follow_chunks(path, from_start=args.tail is None,
                                   until=lambda: run_status(load_run(record.id))
                                   not in (RUNNING, QUEUED)):  # a queued SLURM job still comes
            sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
    except KeyboardInterrupt:
        return 0  # only the following stops; the run goes on
    return 0


def run_stop(args: argparse.Namespace) -> int:
    from satconf.runs import RUNNING, RunError, run_status, stop_run

    record = _load(args.run_id)
    before = run_status(record)
    if before in (RUNNING, "queued") and not args.json:
        print(f"stopping run {record.id} (SIGINT, then SIGTERM after {args.grace:g} s)",
              flush=True)
    steps = len(record.stop_steps)
    try:
        record = stop_run(record.id, grace=(max(args.grace, 0.1), 10.0))
    except RunError as exc:
        raise CliError(str(exc), EXIT_ERRORS) from None
    if args.json:
        print_json(record_json(record))
        return 0
    if len(record.stop_steps) == steps:
        print(f"run {record.id} is not running ({run_status(record)})")
        return 0
    for step in record.stop_steps:
        print(f"  {step.signal} at {_local_time(step.at)}: {step.result}")
    print(f"run {record.id}: {run_status(record)}"
          + ("" if record.exit_code is None else f" (exit code {record.exit_code})"))
    return 0


# ---- following a run from `satconf launch --foreground` ----------------------------

def exit_code_of(record: RunRecord) -> int:
    """The shell's convention: the process's code, or 128 + the signal that ended it."""
    if record.exit_code is None:
        return EXIT_ERRORS
    return 128 - record.exit_code if record.exit_code < 0 else record.exit_code


class CtrlC:
    """Counts Ctrl-C presses instead of raising; the follow loop acts on them (a signal
    handler must not take a run record's lock, which the loop may hold)."""

    def __init__(self) -> None:
        self.seen = 0
        self.handled = 0
        self._old: Any = None

    def __enter__(self) -> CtrlC:
        self._old = signal.signal(signal.SIGINT, self._hit)
        return self

    def __exit__(self, *exc: object) -> None:
        signal.signal(signal.SIGINT, self._old)

    def _hit(self, signum: int, frame: object) -> None:
        self.seen += 1


def _log(record: RunRecord) -> Path:
    from satconf.runs import log_path

    return log_path(record.id)


def follow_foreground(run_id: str, ctrl_c: CtrlC, *, json_result: bool = False) -> int:
    """Print the log until the run ends. A first Ctrl-C sends SIGINT to the run (recorded);
    a second stops it with SIGTERM, then SIGKILL. Returns the run's exit code. With
    `json_result` the log goes to stderr and a JSON result to stdout."""
    from satconf.runs import (
        RUNNING,
        follow_chunks,
        load_run,
        log_path,
        request_interrupt,
        run_status,
        stop_run,
    )

    def ended() -> bool:
        while ctrl_c.handled < ctrl_c.seen:
            ctrl_c.handled += 1
            if ctrl_c.handled == 1:
                request_interrupt(run_id)
                warn(f"satconf: sent SIGINT to run {run_id}; Ctrl-C again to stop it harder")
            else:
                warn(f"satconf: stopping run {run_id} (SIGTERM, then SIGKILL)")
                stop_run(run_id, grace=(0.0, 10.0))
        return run_status(load_run(run_id)) != RUNNING

    out = (sys.stderr if json_result else sys.stdout).buffer
    for chunk in follow_chunks(log_path(run_id), until=ended, until_every=0.2):
        out.write(chunk)
        out.flush()
    record = load_run(run_id)
    status = run_status(record)
    if json_result:
        print_json({"run_id": run_id, "log": str(log_path(run_id)), "status": status,
                    "exit_code": record.exit_code})
    else:
        warn(f"run {run_id}: {status}"
             + ("" if record.exit_code is None else f" (exit code {record.exit_code})"))
    return exit_code_of(record)
