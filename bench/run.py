"""satconf against the status quo, one command: `python bench/run.py [--quick] [--no-trogon]`.

Every figure is a median over repeated whole-process runs on this machine, in
this run, with its comparison beside it. Nothing here fails the test suite:
it reports, and writes the table to bench/results/latest.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

from common import first_frame_median, wall  # noqa: E402
from scale import make_scaled_workspace  # noqa: E402

PY = sys.executable
SATCONF = [PY, "-m", "satconf.cli"]
TROGON_DIR = BENCH / ".trogon"
FORM_MARKER = "batch-size"  # a flag name in the first group of the form


@dataclass
class Row:
    what: str
    figure: str
    target: str
    compare: str = ""


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def _try(fn: Callable[[], str]) -> str:
    try:
        return fn()
    except Exception as exc:  # a benchmark reports, it never stops the table
        return f"n/a ({str(exc).splitlines()[0][:60]})"


def _ensure_trogon() -> bool:
    if (TROGON_DIR / "trogon").is_dir():
        return True
    proc = subprocess.run([PY, "-m", "pip", "install", "-q", "--target", str(TROGON_DIR),
                           "trogon"], capture_output=True, text=True)
    return proc.returncode == 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    ap.add_argument("--no-trogon", action="store_true", help="skip installing/measuring Trogon")
    opts = ap.parse_args()
    runs = 3 if opts.quick else 7
    home = Path(tempfile.mkdtemp(prefix="satconf-bench-"))
    env = {"SATCONF_HOME": str(home), "WANDB_MODE": "disabled"}
    os.environ.update(env)
    # Measure satconf as installed, with its bytecode cached, not compiled on every start.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    rows: list[Row] = []
    try:
        ws = make_scaled_workspace(home / "ws-demo", 0)  # the demo as shipped, 24 keys
        status_quo = wall([PY, "-c", "import torch, pytorch_lightning, prefigure"],
                          runs=max(3, runs // 2))
        pf_only = wall([PY, "-c", "import prefigure"], runs=max(3, runs // 2))
        sq = f"train.py's imports before its first flag: {_ms(status_quo)}"
        dry = wall([*SATCONF, "launch", "--dry-run", "--json", "--workspace", str(ws)], runs=runs)
        rows.append(Row("`satconf launch --dry-run --json`", _ms(dry), "< 150 ms", sq))
        subprocess.run([*SATCONF, "check", "--workspace", str(ws)], capture_output=True)
        rows.append(Row("`satconf check` (cached probe)",
                        _try(lambda: _ms(wall([*SATCONF, "check", "--workspace", str(ws)],
                                              runs=runs))),
                        "< 200 ms", f"prefigure 0.0.9 import alone: {_ms(pf_only)}"))
        rows.extend(_tui_rows(ws, runs, opts.no_trogon))
        rows.extend(_inside_rows())
        for n in (200, 1000):
            big = make_scaled_workspace(home / f"ws-{n}", n)
            rows.append(Row(f"dry-run, {n}-key defaults.ini",
                            _ms(wall([*SATCONF, "launch", "--dry-run", "--json", "--workspace",
                                      str(big)], runs=runs)), "interactive"))
            rows.append(Row(f"check, {n}-key defaults.ini",
                            _try(lambda b=big: _ms(wall([*SATCONF, "check", "--workspace",
                                                         str(b)], runs=runs))), "interactive"))
            rows.append(Row(f"first form, {n}-key defaults.ini",
                            _try(lambda b=big: _form(b, runs)[0]),
                            "< 1 s" if n == 1000 else "interactive"))
    finally:
        shutil.rmtree(home, ignore_errors=True)
    table = _table(rows)
    print(table)
    out = BENCH / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.md").write_text(table + "\n", encoding="utf-8")
    return 0


def _form(ws: Path, runs: int, bare_s: float | None = None) -> tuple[str, str]:
    s = first_frame_median([*SATCONF, "--workspace", str(ws)], FORM_MARKER, runs=runs)
    ratio = f" ({s.seconds / bare_s:.1f}x bare)" if bare_s else ""
    return _ms(s.seconds) + ratio, f"{s.rss_mb:.0f} MB" if s.rss_mb else "n/a"


def _tui_rows(ws: Path, runs: int, no_trogon: bool) -> list[Row]:
    bare = first_frame_median([PY, str(BENCH / "apps" / "bare_textual.py")],
                              "satconf-bare-frame", runs=runs)
    compare = f"bare Textual app: {_ms(bare.seconds)}, {bare.rss_mb:.0f} MB"
    if not no_trogon and _ensure_trogon():
        def trogon() -> str:
            t = first_frame_median(
                [PY, str(BENCH / "apps" / "trogon_form.py"), str(ws / "defaults.ini"), "tui"],
                FORM_MARKER, runs=runs,
                env={"PYTHONPATH": os.pathsep.join([str(TROGON_DIR), str(ROOT / "src")])})
            return f"Trogon form of the same options: {_ms(t.seconds)}, {t.rss_mb:.0f} MB"
        compare += "; " + _try(trogon)
    try:
        seconds, rss = _form(ws, runs, bare.seconds)
    except Exception as exc:
        seconds, rss = f"n/a ({exc})"[:70], "n/a"
    return [Row("TUI: time to first drawn form (pty)", seconds, "<= 1.5x bare", compare),
            Row("TUI: resident memory at first form", rss, "< 60 MB")]


def _inside_rows() -> list[Row]:
    """Figures measured inside the running app or around a launch, by their own modules."""
    rows: list[Row] = []
    try:
        from tui_keystroke import keystroke_to_preview_ms

        rows.append(Row("keystroke to updated command preview", _try(
            lambda: f"{keystroke_to_preview_ms():.1f} ms"), "< 16 ms"))
    except ImportError:
        rows.append(Row("keystroke to updated command preview", "n/a", "< 16 ms"))
    try:
        from launch_overhead import launch_overhead_ms

        rows.append(Row("launch overhead to child running", _try(
            lambda: f"{launch_overhead_ms():.1f} ms"), "< 50 ms",
            "beyond the training python's own start"))
    except ImportError:
        rows.append(Row("launch overhead to child running", "n/a", "< 50 ms"))
    return rows


def _table(rows: list[Row]) -> str:
    cpu = platform.processor() or platform.machine()
    head = (f"Measured on {platform.node()} ({os.cpu_count()} cores, {cpu}, "
            f"Python {platform.python_version()}); medians of whole-process runs.\n\n"
            "| measure | satconf | target | status quo / comparison |\n|---|---|---|---|")
    return head + "\n" + "\n".join(
        f"| {r.what} | {r.figure} | {r.target} | {r.compare} |" for r in rows)


if __name__ == "__main__":
    sys.exit(main())
