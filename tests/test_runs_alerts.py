"""Alerts from the real supervisor: a NaN loss, a failed run, a stalled run, each with the
user's `on_event` command receiving the event as JSON on stdin."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from satconf.command import LaunchPlan
from satconf.runs import list_runs, load_run, run_dir, run_status, start_plan, stop_run
from satconf.runs.alerts import (
    Alert,
    AlertMonitor,
    read_events,
    run_user_command,
    terminal_mode,
    terminal_sequence,
)
from satconf.runs.progress import ProgressTracker
from satconf.settings import load_alert_settings

from conftest import wait_for

TRAINERS = Path(__file__).parent / "fixtures" / "trainers"


@pytest.fixture(autouse=True)
def no_leftover_runs(satconf_home: Path) -> Iterator[None]:
    yield
    for record in list_runs():
        if run_status(record) == "running":
            stop_run(record.id, grace=(0.5, 0.5))


@pytest.fixture
def received(satconf_home: Path, tmp_path: Path) -> Path:
    """Settings whose on_event command appends each event it is given to a file."""
    out = tmp_path / "received.jsonl"
    (satconf_home / "settings.toml").write_text(
        "[alerts]\n"
        f"on_event = \"cat >> '{out}'; echo >> '{out}'\"\n"
        "stall_minutes = 0.02\n"  # 1.2 s: the stalled trainer never moves again
        "desktop = false\n", encoding="utf-8")
    return out


def events_in(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def start(trainer: str, tmp_path: Path) -> str:
    plan = LaunchPlan(argv=(sys.executable, str(TRAINERS / trainer)), cwd=str(tmp_path))
    return start_plan(plan, values={"name": trainer.removesuffix(".py")}).id


def ended(run_id: str) -> Callable[[], bool]:
    return lambda: run_status(load_run(run_id)) != "running"


def test_nan_loss_fires_once_then_the_end(tmp_path: Path, received: Path) -> None:
    run_id = start("nan_loss.py", tmp_path)
    wait_for(lambda: len(events_in(received)) >= 2, "the nan and end events")
    kinds = [e["event"] for e in events_in(received)]
    assert kinds == ["nan", "ended"]  # once, though two steps were NaN
    nan = events_in(received)[0]
    assert nan["run_id"] == run_id and nan["name"] == "nan_loss"
    assert nan["details"] == {"metric": "train/loss", "value": "nan"} and nan["step"] == 3
    assert [a.kind for a in read_events(run_dir(run_id))] == ["nan", "ended"]


def test_failed_run_names_the_error(tmp_path: Path, received: Path) -> None:
    run_id = start("failing.py", tmp_path)
    wait_for(lambda: events_in(received), "the failed event")
    (event,) = events_in(received)
    assert event["event"] == "failed" and event["details"]["exit_code"] == 1
    assert event["details"]["error"].startswith("RuntimeError: The size of tensor a (1024)")
    assert "at step 0" in event["message"]
    assert run_status(load_run(run_id)) == "failed"


def test_stalled_run_then_stopped(tmp_path: Path, received: Path) -> None:
    run_id = start("stalled.py", tmp_path)
    wait_for(lambda: events_in(received), "the stalled event")
    (event,) = events_in(received)
    assert event["event"] == "stalled" and event["step"] == 1
    assert "no progress for" in event["message"]
    stop_run(run_id, grace=(5.0, 2.0))
    wait_for(lambda: len(events_in(received)) == 2, "the end event")
    end = events_in(received)[1]
    assert end["event"] == "ended" and end["details"]["stopped"] is True


def test_monitor_stall_rearms_after_progress() -> None:
    clock = [0.0]
    tracker = ProgressTracker(clock=lambda: clock[0])
    monitor = AlertMonitor("r1", stall_after_s=10, started=0.0)
    tracker.feed("\rEpoch 0:  25%|██▌       | 1/4 [00:01<00:03,  1.00it/s, train/loss=1.0]")
    assert monitor.observe(tracker.state, 5.0) == []
    assert [a.kind for a in monitor.tick(tracker.state, 11.0)] == ["stalled"]
    assert monitor.tick(tracker.state, 50.0) == []  # once per stall
    clock[0] = 52.0  # the same step drawn again (a new postfix) is no progress
    tracker.feed("\rEpoch 0:  25%|██▌       | 1/4 [00:01<00:03,  1.00it/s, train/loss=0.9]")
    assert monitor.observe(tracker.state, 52.0) == []
    assert monitor.tick(tracker.state, 59.0) == []
    clock[0] = 60.0
    tracker.feed("\rEpoch 0:  50%|█████     | 2/4 [00:02<00:02,  1.00it/s, train/loss=inf]")
    assert [a.kind for a in monitor.observe(tracker.state, 60.0)] == ["nan"]
    assert [a.kind for a in monitor.tick(tracker.state, 71.0)] == ["stalled"]
    assert [a.kind for a in monitor.exited(tracker.state, -9)] == ["failed"]
    assert monitor.exited(tracker.state, 0) == [] and monitor.tick(tracker.state, 999) == []


def test_user_command_failure_is_a_message_not_an_exception(tmp_path: Path) -> None:
    alert = Alert(kind="ended", run_id="r1", message="finished", at=0.0)
    assert run_user_command(alert, "exit 0") is None
    assert run_user_command(alert, "echo nope >&2; exit 4") == "on_event command exited 4: nope"
    assert run_user_command(alert, "sleep 5", timeout=0.2) == (
        "on_event command timed out after 0.2 s")


def test_terminal_sequences_and_settings(satconf_home: Path) -> None:
    alert = Alert(kind="failed", run_id="r1", name="demo", message="exit\x07 1; boom", at=0.0)
    assert terminal_sequence(alert, "osc9") == "\x1b]9;satconf: run demo failed: exit 1, boom\x07"
    assert terminal_sequence(alert, "osc777") == (
        "\x1b]777;notify;satconf: run demo failed;exit 1, boom\x07")
    assert terminal_sequence(alert, "bell") == "\a" and terminal_sequence(alert, "off") == ""
    assert terminal_mode("auto", {"TERM_PROGRAM": "WezTerm"}) == "osc9"
    assert terminal_mode("auto", {"VTE_VERSION": "7600"}) == "osc777"
    assert terminal_mode("auto", {"TERM": "xterm"}) == "bell"
    (satconf_home / "settings.toml").write_text("[alerts]\nstall_minutes = -1\n")
    settings, problem = load_alert_settings()
    assert settings.stall_minutes == 10 and "stall_minutes must be a number >= 0" in problem
    (satconf_home / "settings.toml").write_text("[alerts\n")
    assert load_alert_settings()[1] is not None
