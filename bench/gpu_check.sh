#!/usr/bin/env bash
# GPU check: launch the demo trainer through satconf on GPU 0 with precision 16-mixed,
# then check from its log that CUDA was used and that only the selected GPU was visible.
#
#   bench/gpu_check.sh            (PYTHON=/path/to/python to pick the interpreter)
#
# Exit codes: 0 passed (or SKIP: no NVIDIA GPU here), 1 a check failed,
# 2 cannot check (the python's torch has no CUDA).
set -uo pipefail

if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then
    echo "SKIP: no NVIDIA GPU here (nvidia-smi missing or failing)"
    exit 0
fi

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-$ROOT/.venv/bin/python}
[ -x "$PY" ] || PY=python3
GPUS=$(nvidia-smi -L | wc -l)
echo "machine: $GPUS GPU(s): $(nvidia-smi -L | head -1)"

if ! "$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
    echo "CANNOT CHECK: torch in $PY has no CUDA ($("$PY" -c 'import torch; print(torch.__version__)' 2>&1))"
    exit 2
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export SATCONF_HOME="$TMP/home"
"$PY" -m satconf.cli demo init "$TMP/demo" >/dev/null || { echo "FAIL: demo init"; exit 1; }

"$PY" -m satconf.cli launch --workspace "$TMP/demo" --gpus 0 --foreground \
    --set precision=16-mixed --set max_steps=40 --set checkpoint_every=20 \
    >"$TMP/train.out" 2>"$TMP/satconf.err"
rc=$?
LOG="$TMP/train.out"

failed=0
check() {  # check DESCRIPTION PATTERN: the log must have a line matching PATTERN
    if grep -Eq -- "$2" "$LOG"; then
        echo "ok:   $1"
    else
        echo "FAIL: $1 (no line matching: $2)"
        failed=1
    fi
}
[ "$rc" -eq 0 ] && echo "ok:   training exited 0" || { echo "FAIL: training exited $rc"; failed=1; }
check "only GPU 0 selected"            "CUDA_VISIBLE_DEVICES=0$"
check "exactly one GPU visible"        "CUDA available: True; GPUs visible: 1 "
check "Lightning used the GPU"         "GPU available: True \(cuda\), used: True"
check "trained on cuda:0 with 16-mixed" "training on cuda:0 x 1, precision 16-mixed"
check "reached max_steps"              "finished at step 40"
[ -f "$TMP/demo/checkpoints/epoch=0-step=40.ckpt" ] && echo "ok:   checkpoint written" \
    || { echo "FAIL: no checkpoints/epoch=0-step=40.ckpt"; failed=1; }

if [ "$failed" -ne 0 ]; then
    echo "--- satconf stderr ---"; cat "$TMP/satconf.err"
    echo "--- training log (last 40 lines) ---"; tail -n 40 "$LOG"
    exit 1
fi
echo "PASS: the demo trained on GPU 0 only, with 16-mixed"
