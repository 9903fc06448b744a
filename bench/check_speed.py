"""How fast `satconf check` answers, next to what train.py pays before its first check.

    python bench/check_speed.py [--runs N]

Builds a workspace with valid model and dataset configs (and a few audio
files), probes the training python once so the cache is warm, then times whole
processes, alternating them run by run so machine load hits all alike:
`satconf check` (target: median < 0.2 s), `import satconf.cli` alone (the
floor any satconf command pays), and `import torch, pytorch_lightning,
prefigure`, which train.py does before it reads a single setting.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

PY = sys.executable
TARGET_S = 0.2
MODEL = {"model_type": "autoencoder", "sample_rate": 44100, "sample_size": 65536,
         "audio_channels": 2, "model": {"encoder": {}, "decoder": {}}, "training": {}}
# Top-level imports as train.py has them: `satconf check` answers their import probe from the
# cache, so the timed runs include that lookup.
TRAIN_PY = """\
import json
import torch
import pytorch_lightning as pl
args = get_all_args()
print(args.name, args.batch_size, args.model_config, args.dataset_config, args.precision,
      args.strategy, args.num_nodes, args.save_dir, args.logger, args.val_every)
"""


def make_workspace(root: Path) -> Path:
    import satconf.workspace as ws

    ini = (ws.embedded_demo_source() / "defaults.ini").read_text(encoding="utf-8")
    (root / "configs").mkdir(parents=True)
    (root / "defaults.ini").write_text(ini, encoding="utf-8")
    (root / "train.py").write_text(TRAIN_PY, encoding="utf-8")
    (root / "configs" / "model.json").write_text(json.dumps(MODEL), encoding="utf-8")
    (root / "configs" / "dataset.json").write_text(json.dumps(
        {"dataset_type": "audio_dir", "datasets": [{"id": "tones", "path": "data/tones"}]}))
    (root / "data" / "tones").mkdir(parents=True)
    for i in range(20):
        with wave.open(str(root / "data" / "tones" / f"{i}.wav"), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(8000)
            w.writeframes(struct.pack("<100h", *([0] * 100)))
    return root


def once(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, int]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t0, proc.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs of each satconf command")
    parser.add_argument("--torch-runs", type=int, default=5, help="runs of the torch import")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="satconf-bench-") as tmp:
        root = make_workspace(Path(tmp) / "ws")
        env = {**os.environ, "SATCONF_HOME": str(Path(tmp) / "home"), "WANDB_MODE": "disabled",
               "WANDB_SILENT": "true", "PYTHONPYCACHEPREFIX": str(Path(tmp) / "pycache")}
        # Users run with bytecode caches; a shell with PYTHONDONTWRITEBYTECODE would time
        # compiling every module instead. The prefix keeps the caches out of the tree.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        check = [PY, "-m", "satconf.cli", "--workspace", str(root), "check"]
        floor = [PY, "-c", "import satconf.cli"]
        torch = [PY, "-c", "import torch, pytorch_lightning, prefigure"]
        t0 = time.perf_counter()
        probe_s, code = once(check, env, root)  # probes and fills the cache
        print(f"first `satconf check` (probes the training python): {probe_s:.2f} s, "
              f"exit {code}")
        out = subprocess.run([*check, "--json"], env=env, cwd=root, capture_output=True,
                             text=True, check=False)
        levels = [f["level"] for f in json.loads(out.stdout)]
        print(f"findings on the valid workspace: {levels.count('error')} errors, "
              f"{levels.count('warning')} warnings, {levels.count('info')} infos "
              f"(errors may be expected where no GPU exists: train.py asks for one)")
        times: dict[str, list[float]] = {"check": [], "floor": [], "torch": []}
        once(check, env, root)  # warm the page cache for every program
        once(floor, env, root)
        for i in range(args.runs):
            times["check"].append(once(check, env, root)[0])
            times["floor"].append(once(floor, env, root)[0])
            if i < args.torch_runs:
                times["torch"].append(once(torch, env, root)[0])
        total = time.perf_counter() - t0
    med = {k: statistics.median(v) for k, v in times.items()}
    spread = {k: (min(v), max(v)) for k, v in times.items()}
    print()
    print(f"{'what':58} {'median':>8} {'min':>7} {'max':>7}")
    rows = [("satconf check (valid configs, cached probe)", "check"),
            ("python -c 'import satconf.cli' (satconf's start-up floor)", "floor"),
            ("python -c 'import torch, pytorch_lightning, prefigure'", "torch")]
    for label, key in rows:
        lo, hi = spread[key]
        print(f"{label:58} {med[key]:7.3f}s {lo:6.3f}s {hi:6.3f}s")
    print()
    verdict = "met" if med["check"] < TARGET_S else "NOT met"
    print(f"target: satconf check < {TARGET_S} s median -> {verdict}; "
          f"checks themselves add {med['check'] - med['floor']:.3f} s over the floor; "
          f"train.py's imports alone take {med['torch'] / med['check']:.0f}x as long")
    print(f"({args.runs} runs each, {args.torch_runs} of the torch import, "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; bench took {total:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
