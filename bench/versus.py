"""This tree against another checkout of satconf, measured side by side, run by run.

`python bench/versus.py --base DIR [--runs N]`: DIR is another checkout (for example
`git worktree add /tmp/base <commit>`). Each measure alternates the two trees run by
run, so a busy moment of this shared machine hits both; the table gives both medians.
Each tree uses its own SATCONF_HOME (a probe cache warmed first) and its own bench
scripts for the figures measured inside the app.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

from common import first_frame, median, wall  # noqa: E402
from scale import make_scaled_workspace  # noqa: E402

PY = sys.executable
FORM_MARKER = "batch-size"


class Tree:
    def __init__(self, name: str, root: Path, home: Path) -> None:
        self.name, self.root, self.home = name, root, home
        self.env = {"PYTHONPATH": str(root / "src"), "SATCONF_HOME": str(home),
                    "WANDB_MODE": "disabled"}

    def satconf(self, *args: str) -> list[str]:
        return [PY, "-m", "satconf.cli", *args]


def _keystroke(tree: Tree) -> float:
    out = subprocess.run([PY, str(tree.root / "bench" / "tui_keystroke.py")], text=True,
                         capture_output=True, env={**os.environ, **tree.env}, timeout=300)
    m = re.search(r"([\d.]+) ms", out.stdout)
    return float(m.group(1)) / 1000 if m else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--base", type=Path, required=True, help="the other checkout")
    ap.add_argument("--runs", type=int, default=7)
    opts = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="satconf-versus-"))
    ws = make_scaled_workspace(tmp / "ws", 0)
    trees = [Tree("base", opts.base.resolve(), tmp / "home-base"),
             Tree("this", ROOT, tmp / "home-this")]
    for tree in trees:  # warm each tree's probe cache and bytecode
        subprocess.run(tree.satconf("check", "--workspace", str(ws)), capture_output=True,
                       env={**os.environ, **tree.env}, timeout=300)
    measures = {
        "`launch --dry-run --json`": lambda t: wall(
            t.satconf("launch", "--dry-run", "--json", "--workspace", str(ws)), runs=1,
            env=t.env),
        "`check` (cached probe)": lambda t: wall(
            t.satconf("check", "--workspace", str(ws)), runs=1, env=t.env),
        "first drawn form (pty)": lambda t: first_frame(
            t.satconf("--workspace", str(ws)), FORM_MARKER, env=t.env).seconds,
    }
    rows = []
    for what, measure in measures.items():
        got: dict[str, list[float]] = {t.name: [] for t in trees}
        for _ in range(opts.runs):
            for tree in trees:
                got[tree.name].append(measure(tree))
        rows.append((what, median(got["base"]), median(got["this"])))
    keys: dict[str, list[float]] = {t.name: [] for t in trees}
    for _ in range(3):
        for tree in trees:
            keys[tree.name].append(_keystroke(tree))
    rows.append(("keystroke to updated preview", median(keys["base"]), median(keys["this"])))
    print(f"base: {opts.base}  this: {ROOT}  ({opts.runs} alternating runs each)\n")
    print("| measure | base | this |\n|---|---|---|")
    for what, base, this in rows:
        print(f"| {what} | {base * 1000:.1f} ms | {this * 1000:.1f} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
