"""Run records on disk, id lookup, status by engine, and following a log from a thread."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from satconf.runs import (
    RunError,
    RunRecord,
    follow_log,
    list_runs,
    load_run,
    run_status,
    tail_lines,
)
from satconf.runs.records import read_record, update_record, write_record
from satconf.workspace import runs_dir


def store(record: RunRecord) -> Path:
    folder = runs_dir() / record.id
    folder.mkdir(parents=True, exist_ok=True)
    write_record(folder, record)
    return folder


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_unknown_keys_survive_a_read_modify_write() -> None:
    folder = store(RunRecord(id="20260101-000000-aaaa", started_at="2026-01-01T00:00:00+00:00"))
    data = json.loads((folder / "record.json").read_text())
    data["future_field"] = {"nodes": 2}
    (folder / "record.json").write_text(json.dumps(data))
    update_record(folder, lambda r: r.notes.append("touched"))
    data = json.loads((folder / "record.json").read_text())
    assert data["future_field"] == {"nodes": 2} and data["notes"] == ["touched"]
    assert read_record(folder).extra == {"future_field": {"nodes": 2}}


def test_concurrent_updates_lose_nothing() -> None:
    folder = store(RunRecord(id="20260101-000000-bbbb"))

    def add(i: int) -> None:
        for j in range(10):
            update_record(folder, lambda r, n=f"{i}-{j}": r.notes.append(n))

    threads = [threading.Thread(target=add, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(read_record(folder).notes) == sorted(f"{i}-{j}" for i in range(4)
                                                       for j in range(10))


def test_ids_resolve_exactly_by_prefix_and_last() -> None:
    store(RunRecord(id="20260101-000000-aaaa", started_at="2026-01-01T00:00:00+00:00"))
    store(RunRecord(id="20260102-000000-bbbb", started_at="2026-01-02T00:00:00+00:00"))
    assert load_run("20260101").id == "20260101-000000-aaaa"
    assert load_run("last").id == "20260102-000000-bbbb"
    with pytest.raises(RunError, match="matches 2 runs"):
        load_run("2026")
    with pytest.raises(RunError, match="no run 'x'"):
        load_run("x")
    assert [r.id for r in list_runs()] == ["20260102-000000-bbbb", "20260101-000000-aaaa"]


def test_a_broken_record_is_reported_with_its_place_and_skipped_in_lists() -> None:
    store(RunRecord(id="20260101-000000-good"))
    broken = runs_dir() / "20260101-000000-bad0"
    broken.mkdir()
    (broken / "record.json").write_text('{"id": "x",\n  oops}')
    with pytest.raises(RunError, match=r"record.json:2:3: not valid JSON"):
        load_run("20260101-000000-bad0")
    assert [r.id for r in list_runs()] == ["20260101-000000-good"]
    assert (broken / "record.json").exists()  # never deleted


@pytest.mark.parametrize(("exit_code", "stopped", "expected"), [
    (0, False, "succeeded"), (3, False, "failed"), (-9, False, "failed"),
    (0, True, "stopped"), (1, True, "stopped"),
])
def test_status_of_ended_runs(exit_code: int, stopped: bool, expected: str) -> None:
    from satconf.runs import StopStep

    record = RunRecord(id="r", exit_code=exit_code, ended_at="2026-01-01T00:00:00+00:00",
                       stop_steps=[StopStep("SIGINT", "2026-01-01T00:00:00+00:00")] if stopped
                       else [])
    assert run_status(record) == expected


def test_dead_pid_without_exit_code_is_lost() -> None:
    pid = dead_pid()
    record = RunRecord(id="r", pid=pid, pgid=pid, supervisor_pid=dead_pid(),
                       started_at="2026-01-01T00:00:00+00:00")
    assert run_status(record) == "lost"


def test_a_live_pid_with_another_start_time_is_not_our_run() -> None:
    import os

    from satconf.runs.procs import process_start

    me = os.getpid()
    start = process_start(me)
    assert run_status(RunRecord(id="r", pid=me, pid_start=start)) == "running"
    if start is not None:  # /proc is there: a reused pid is told apart
        assert run_status(RunRecord(id="r", pid=me, pid_start=start + 1,
                                    started_at="2026-01-01T00:00:00+00:00")) == "lost"


def test_engines_plug_in_their_own_status(monkeypatch: pytest.MonkeyPatch) -> None:
    """An engine is one module named in the registry: its status is what runs report."""
    import sys
    import types

    from satconf.runs import engines

    class TestEngine:
        name, option_keys = "test-engine", ()

        def status(self, record: RunRecord) -> str:
            return "queued" if record.job_id else "lost"

    module = types.ModuleType("satconf_test_engine")
    module.ENGINE = TestEngine()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "satconf_test_engine", module)
    monkeypatch.setitem(engines.MODULES, "test-engine", "satconf_test_engine")
    assert run_status(RunRecord(id="r", engine="test-engine", job_id="12")) == "queued"
    assert run_status(RunRecord(id="r", engine="no-such-engine")) == "unknown"


def test_follow_log_from_a_thread(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    stop = threading.Event()
    seen: list[str] = []
    got_one, got_three = threading.Event(), threading.Event()

    def reader() -> None:
        for line in follow_log(log, stop, poll=0.01):
            seen.append(line)
            if len(seen) == 1:
                got_one.set()
            if len(seen) == 3:
                got_three.set()

    thread = threading.Thread(target=reader)
    thread.start()  # before the file exists: it is waited for
    with open(log, "ab", buffering=0) as f:
        f.write(b"one\ntw")
        # "one" came out, so "tw" was read with it: a line written in two pieces,
        # the second after the first was read, is still one line.
        assert got_one.wait(30)
        f.write(b"o\r\nthr\xffee\n")
    assert got_three.wait(30)
    stop.set()
    thread.join(30)
    assert not thread.is_alive()
    assert seen == ["one", "two", "thr\ufffdee"]


def test_follow_log_until_drains_the_rest(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    log.write_bytes(b"a\n 10%|#  \r 50%|#####  \r\nno newline at the end")
    assert list(follow_log(log, until=lambda: True)) == ["a", " 50%|#####  ",
                                                         "no newline at the end"]


def test_tail_lines(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    log.write_text("".join(f"{i}\n" for i in range(100)))
    assert tail_lines(log, 3) == ["97", "98", "99"]
    assert tail_lines(tmp_path / "missing.log") == []
