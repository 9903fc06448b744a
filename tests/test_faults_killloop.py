"""Issue 14 items 1, 2, 14: a bounded run of bench/kill_loop.py (real SIGKILLs, real runs).

The full loop (200 saves, 100 renames, 60 launches) is `python bench/kill_loop.py`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

LOOP = Path(__file__).resolve().parent.parent / "bench" / "kill_loop.py"


def test_sigkilled_saves_renames_and_launches_lose_nothing() -> None:
    out = subprocess.run([sys.executable, str(LOOP), "--saves", "15", "--renames", "10",
                          "--launches", "8", "--json"], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode in (0, 1), out.stderr
    assert out.stdout.strip(), out.stderr[-3000:]
    result = json.loads(out.stdout)
    assert result["saves"]["lost"] == 0, result
    assert result["saves"]["temporaries_after_next_save"] == 0, result
    assert result["renames"]["lost"] == 0 and result["renames"]["both_names_left"] == 0, result
    assert result["launches"]["lost"] == 0, result
    assert result["launches"]["records"] >= result["launches"]["runs_started"], result
    assert out.returncode == 0
