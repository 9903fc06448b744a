"""How fast `satconf` draws its form, measured from outside, next to a bare Textual app.

    python bench/tui_startup.py [--runs N]

Starts each program in a pseudo-terminal (100x32), times spawn -> a known
string on the terminal, reads VmRSS/VmHWM at that moment, and alternates the
programs run by run so machine load hits them alike; the bare app with satconf's
imports splits the form's extra time into importing and building. Two floors sit
beside them: the bare app after validating the pydantic schema once (what any form
generated from it pays) and the bare app with a screenful of labelled Inputs (what
Textual charges for the widgets). Then measures keystroke -> updated preview
inside the app. Prints a table; targets: form
<= 1.5x the bare app measured in the same run, < 60 MB; keystroke < 16 ms.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from common import first_frame  # noqa: E402
from scale import make_scaled_workspace  # noqa: E402

PY = sys.executable
FORM_MARKER = "batch-size"  # a flag in the form's first screenful
BARE_MARKER = "satconf-bare-frame"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--keys", type=int, default=60, help="keystrokes for the latency figure")
    opts = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="satconf-tui-bench-"))
    os.environ.update({"SATCONF_HOME": str(home), "WANDB_MODE": "disabled"})
    try:
        ws = make_scaled_workspace(home / "ws", 0)
        big = make_scaled_workspace(home / "ws-200", 200)
        progs = {
            "bare Textual app": ([PY, str(BENCH / "apps" / "bare_textual.py")], BARE_MARKER),
            "bare Textual app + satconf's imports": (
                [PY, str(BENCH / "apps" / "bare_with_imports.py")], BARE_MARKER),
            "floor: bare app + the pydantic schema, validated once": (
                [PY, str(BENCH / "apps" / "bare_with_schema.py")], BARE_MARKER),
            "floor: bare app + 8 labelled Inputs": (
                [PY, str(BENCH / "apps" / "bare_with_inputs.py")], BARE_MARKER),
            "satconf form (seed INI, 23 keys)": (
                [PY, "-m", "satconf.cli", "--workspace", str(ws)], FORM_MARKER),
            "satconf form (223-key INI)": (
                [PY, "-m", "satconf.cli", "--workspace", str(big)], FORM_MARKER),
        }
        samples: dict[str, list[tuple[float, float | None]]] = {k: [] for k in progs}
        for cmd, marker in progs.values():  # warm the file cache
            first_frame(cmd, marker)
        for _ in range(opts.runs):
            for name, (cmd, marker) in progs.items():
                s = first_frame(cmd, marker)
                samples[name].append((s.seconds, s.rss_mb))
        from tui_keystroke import keystroke_to_preview_ms

        keys = keystroke_to_preview_ms(opts.keys)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.2f}; medians of {opts.runs} runs, alternated\n")
    print("| program | first frame | RSS at first frame | target |")
    print("|---|---|---|---|")
    for name, vals in samples.items():
        t = statistics.median(v[0] for v in vals) * 1000
        rss = [v[1] for v in vals if v[1] is not None]
        mem = f"{statistics.median(rss):.0f} MB" if rss else "n/a"
        target = "<= 1.5x the bare app, < 60 MB" if "23 keys" in name else ""
        print(f"| {name} | {t:.0f} ms | {mem} | {target} |")
    print(f"| keystroke -> updated preview (in-app, {opts.keys} keys) | {keys:.1f} ms | "
          "| < 16 ms |")
    med = {name: statistics.median(v[0] for v in vals) * 1000 for name, vals in samples.items()}
    bare, imported = med["bare Textual app"], med["bare Textual app + satconf's imports"]
    form = med["satconf form (seed INI, 23 keys)"]
    print(f"\nFirst form = {form / bare:.2f}x the bare app (target <= 1.5x): Textual "
          f"{bare:.0f} ms + satconf's imports {imported - bare:.0f} ms + building the form "
          f"{form - imported:.0f} ms")
    schema = med["floor: bare app + the pydantic schema, validated once"]
    inputs = med["floor: bare app + 8 labelled Inputs"]
    print(f"Floors: the pydantic schema alone +{schema - bare:.0f} ms, 8 labelled Inputs alone "
          f"+{inputs - bare:.0f} ms; together {(schema + inputs - bare) / bare:.2f}x the bare "
          "app before anything else of satconf")
    return 0


if __name__ == "__main__":
    sys.exit(main())
