"""The progress parser on the real train.py logs (tests/fixtures/train-logs) and on edge cases."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from satconf.runs.progress import (
    BarUpdate,
    LogLine,
    ProgressParser,
    ProgressTracker,
    parse_bar,
    progress_line,
    seconds_to_checkpoint,
    strip_ansi,
)

LOGS = Path(__file__).parent / "fixtures" / "train-logs"
REAL_LOGS = sorted(p.name for p in LOGS.glob("*.log"))


def events_of(data: bytes, piece: int | None = None) -> list:
    parser = ProgressParser()
    out: list = []
    step = piece or len(data) or 1
    for i in range(0, len(data), step):
        out += parser.feed(data[i:i + step])
    return out + parser.close()


def raw_bars(data: bytes) -> list[str]:
    """Every bar redraw in the file, found independently of the parser: a `\\r` then `|`...`]`."""
    text = data.decode("utf-8")
    found = []
    for segment in re.split(r"[\r\n]", text):
        segment = strip_ansi(segment)
        if re.match(r"[^|]*\|[^|]*\|\s*\d+/", segment):
            found.append(segment[:segment.index("]") + 1])
    return found


@pytest.mark.parametrize("name", REAL_LOGS)
def test_every_metric_of_every_bar_line(name: str) -> None:
    data = (LOGS / name).read_bytes()
    bars = [e for e in events_of(data) if isinstance(e, BarUpdate)]
    expected = raw_bars(data)
    assert len(bars) == len(expected) == data.count(b"\r")
    for bar, text in zip(bars, expected, strict=True):
        n, total = re.search(r"\| *(\d+)/(\d+|\?) \[", text).groups()
        assert bar.n == int(n) and bar.total == (None if total == "?" else int(total))
        pairs = dict(re.findall(r"([\w/]+)=([^,\]]+)", text))
        assert bar.postfix == pairs, text
        for key, value in pairs.items():
            if key != "v_num":
                assert bar.metrics[key] == float(value), (key, text)
        assert set(bar.metrics) == set(pairs) - {"v_num"}
        rate = re.search(r"([\d.]+)it/s", text)
        assert bar.rate == (float(rate.group(1)) if rate else None)


@pytest.mark.parametrize("name", REAL_LOGS)
def test_pieces_of_any_size_give_the_same_events(name: str) -> None:
    data = (LOGS / name).read_bytes()
    whole = events_of(data)
    # 7 bytes cut the bar's 3-byte block characters; 4096 is a read's size.
    assert events_of(data, 7) == whole
    assert events_of(data, 4096) == whole


def test_stopped_autoencoder_final_step_and_rows() -> None:
    tracker = ProgressTracker()
    data = (LOGS / "autoencoder-stopped.log").read_bytes()
    rows = tracker.feed(data) + tracker.close()
    state = tracker.state
    assert (state.epoch, state.batch, state.total, state.step) == (6, 3, 4, 27)
    assert state.metrics["train/loss"] == 4.11
    assert state.metrics["train/gen_lr"] == 2.23e-6
    assert state.version == 0
    assert state.rate == 0.19 and state.elapsed_s == 15 and state.eta_s == 5
    assert state.last_error == "KeyboardInterrupt:"
    assert [r.step for r in rows] == list(range(1, 28))  # one row per step, in order
    # A step's row holds what the bar showed last for it (the new postfix, not the stale one).
    by_step = {r.step: r for r in rows}
    assert by_step[3].metrics["train/loss"] == 4.65
    assert by_step[5].metrics["train/loss"] == 3.71
    assert by_step[27].metrics["train/loss"] == 4.11
    assert by_step[2].metrics["train/discriminator_loss"] == 2.0
    assert by_step[1].epoch == 0 and by_step[5].epoch == 1 and by_step[5].batch == 1


def test_resumed_run_counts_steps_from_the_checkpoint() -> None:
    # Restored from epoch=1-step=6.ckpt: the bar starts at Epoch 1, 2/4.
    tracker = ProgressTracker()
    rows = tracker.feed((LOGS / "autoencoder-recover.log").read_bytes()) + tracker.close()
    assert rows[0].step == 6 and rows[0].metrics["train/loss"] == 4.48
    assert rows[-1].step == 12 and rows[-1].metrics["train/loss"] == 3.92
    assert (tracker.state.epoch, tracker.state.step) == (3, 12)


def test_latent_model_with_an_inner_bar() -> None:
    data = (LOGS / "latent-autoencoder-stopped.log").read_bytes()
    events = events_of(data)
    inner = [e for e in events if isinstance(e, BarUpdate) and e.phase == "other"]
    assert [(e.n, e.total, e.rate) for e in inner] == [(0, 5, None), (5, 5, 61.33)]
    tracker = ProgressTracker()
    rows = tracker.feed(data) + tracker.close()
    assert len(rows) == 104 and rows[-1].metrics == {
        "train/loss": 0.738, "train/std_data": 0.693, "train/mse_loss": 0.738}
    assert tracker.state.epoch == 26 and tracker.state.version == 3


def test_failure_at_the_first_step() -> None:
    tracker = ProgressTracker()
    rows = tracker.feed((LOGS / "latent-bad-sample-size-failed.log").read_bytes())
    rows += tracker.close()
    assert rows == []
    state = tracker.state
    assert (state.phase, state.epoch, state.step, state.metrics) == ("train", 0, 0, {})
    assert state.last_error == ("RuntimeError: The size of tensor a (1024) must match the size "
                                "of tensor b (1023) at non-singleton dimension 2")
    assert "epoch 0" in progress_line(state)


def test_text_glued_after_a_bar_is_a_line() -> None:
    events = events_of(b"\rEpoch 0:   0%|          | 0/4 [00:00<?, ?it/s] /x.py:1: Warn\n"
                       b"plain line\n\n\x1b[31mred\x1b[0m\n")
    assert isinstance(events[0], BarUpdate) and events[0].epoch == 0 and events[0].rate is None
    assert events[1:] == [LogLine("/x.py:1: Warn"), LogLine("plain line"), LogLine(""),
                          LogLine("red")]


def test_a_complete_bar_is_reported_before_the_next_redraw() -> None:
    parser = ProgressParser()
    bar = "\rEpoch 2:  50%|█████     | 2/4 [01:02:03<1:00:00,  3.52s/it, v_num=1, train/loss=nan]"
    events = parser.feed(bar.encode())
    assert len(events) == 1 and events[0].epoch == 2
    assert events[0].elapsed_s == 3723 and events[0].eta_s == 3600
    assert events[0].rate == pytest.approx(1 / 3.52)
    assert math.isnan(events[0].metrics["train/loss"])
    assert parser.feed(b"") == []
    assert parser.feed(b"\r") == []  # not reported twice
    assert parser.close() == []


def test_validation_bars_and_eta_to_checkpoint() -> None:
    tracker = ProgressTracker()
    tracker.feed("\rEpoch 0:  50%|█████     | 5/10 [00:01<00:01,  5.00it/s, train/loss=1.5]"
                 "\n\rValidation DataLoader 0:  40%|████      | 2/5 [00:00<00:00, 9.1it/s]\x1b[A")
    state = tracker.state
    assert state.phase == "validation" and state.eval_bar is not None
    assert (state.eval_bar.n, state.eval_bar.total) == (2, 5)
    assert state.step == 5 and seconds_to_checkpoint(state, 8) == pytest.approx(0.6)
    line = progress_line(state, checkpoint_every=8)
    assert "Validation DataLoader 0 2/5" in line and "next checkpoint in 00:01" in line
    assert parse_bar("no bar here") is None


def test_a_shorter_last_epoch_keeps_counting() -> None:
    # max_steps=200 with 64 batches an epoch: Lightning's last bar is 8 long.
    tracker = ProgressTracker()
    rows = []
    for epoch, total in ((0, 64), (1, 64), (2, 64), (3, 8)):
        for n in range(1, total + 1):
            rows += tracker.feed(f"\rEpoch {epoch}: |#| {n}/{total} [00:01<00:01, 9.0it/s, "
                                 f"train/loss={epoch + n / 100}]")
        rows += tracker.feed(f"\rEpoch {epoch}:   0%| | 0/{total} [00:00<?, ?it/s]")
    rows += tracker.close()
    assert [r.step for r in rows] == list(range(1, 201)) and tracker.state.step == 200


def test_accumulation_and_unknown_epoch_length() -> None:
    tracker = ProgressTracker(accumulate=2)
    rows = tracker.feed("\rEpoch 0: |  | 4/? [00:01<?, 2.0it/s, train/loss=1.0]"
                        "\rEpoch 0: |  | 6/? [00:01<?, 2.0it/s, train/loss=0.5]"
                        "\rEpoch 1: |  | 2/? [00:01<?, 2.0it/s, train/loss=0.25]\n")
    rows += tracker.close()
    assert [(r.step, r.metrics["train/loss"]) for r in rows] == [(2, 1.0), (3, 0.5), (4, 0.25)]


def test_memory_is_bounded_without_line_ends() -> None:
    parser = ProgressParser()
    events = []
    for _ in range(100):
        events += parser.feed(b"x" * 10_000)
    assert all(isinstance(e, LogLine) for e in events) and len(events) >= 10
    assert len(parser._pending) <= 64 * 1024
