"""Real workspaces for the preflight-check tests: INI, train.py, JSON configs, audio files."""

from __future__ import annotations

import dataclasses
import functools
import json
import re
import struct
import wave
from pathlib import Path
from typing import Any

from satconf.checks import Finding, run_checks
from satconf.environment import EnvironmentInfo, ProbeGpu
from satconf.runconfig import RunConfig, load_run_config

from conftest import SEED_INI, make_workspace

# The parts of stable-audio-tools' train.py the checks look at: which `args.<key>`
# it reads and the GPU accelerator it asks Lightning for.
TRAIN_PY = '''\
import json
import pytorch_lightning as pl
from prefigure.prefigure import get_all_args, push_wandb_config

def main():
    args = get_all_args()
    seed = args.seed
    with open(args.model_config) as f:
        model_config = json.load(f)
    with open(args.dataset_config) as f:
        dataset_config = json.load(f)
    train_dl = create_dataloader_from_config(dataset_config, batch_size=args.batch_size,
        num_workers=args.num_workers, sample_rate=model_config["sample_rate"],
        sample_sizes=model_config["sample_size"])
    val_dl = None
    if args.val_dataset_config:
        val_dl = create_dataloader_from_config(args.val_dataset_config)
    model = create_model_from_config(model_config)
    if args.pretrained_ckpt_path:
        copy_state_dict(model, load_ckpt_state_dict(args.pretrained_ckpt_path))
    if args.remove_pretransform_weight_norm == "pre_load":
        remove_weight_norm_from_model(model.pretransform)
    if args.pretransform_ckpt_path:
        model.pretransform.load_state_dict(load_ckpt_state_dict(args.pretransform_ckpt_path))
    if args.logger == "wandb":
        logger = pl.loggers.WandbLogger(project=args.name)
    ckpt = pl.callbacks.ModelCheckpoint(every_n_train_steps=args.checkpoint_every,
                                        dirpath=args.save_dir, save_top_k=-1)
    val_args = {"val_check_interval": args.val_every} if args.val_every > 0 else {}
    trainer = pl.Trainer(devices="auto", accelerator="gpu", num_nodes=args.num_nodes,
        strategy=args.strategy, precision=args.precision,
        accumulate_grad_batches=args.accum_batches, gradient_clip_val=args.gradient_clip_val,
        default_root_dir=args.save_dir, **val_args)
    trainer.fit(model, train_dl, val_dl, ckpt_path=args.ckpt_path if args.ckpt_path else None)

if __name__ == "__main__":
    main()
'''

GOOD_MODEL: dict[str, Any] = {
    "model_type": "autoencoder", "sample_rate": 44100, "sample_size": 65536,
    "audio_channels": 2, "model": {"encoder": {}, "decoder": {}}, "training": {"lr": 1e-4},
}

LATENT_MODEL: dict[str, Any] = {
    "model_type": "diffusion_cond", "sample_rate": 44100, "sample_size": 2097152,
    "model": {
        "pretransform": {"type": "autoencoder",
                         "config": {"latent_dim": 64, "downsampling_ratio": 2048}},
        "io_channels": 64, "diffusion": {},
    },
    "training": {"demo": {"num_demos": 2, "demo_cfg_scales": [3, 6],
                          "demo_cond": [{"prompt": "a"}, {"prompt": "b"}]}},
}


def write_wav(path: Path, frames: int = 100) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(struct.pack(f"<{frames}h", *([0] * frames)))
    return path


def write_lightning_checkpoint(path: Path, step: int = 20) -> Path:
    """A real (tiny) wrapped Lightning checkpoint, written by torch in a subprocess so the
    test process never imports torch."""
    import subprocess
    import sys

    path.parent.mkdir(parents=True, exist_ok=True)
    code = ("import sys, torch\n"
            "torch.save({'pytorch-lightning_version': '2.1.0', 'global_step': int(sys.argv[2]),"
            " 'epoch': 1, 'state_dict': {'model.w': torch.zeros(2)}}, sys.argv[1])\n")
    subprocess.run([sys.executable, "-c", code, str(path), str(step)], check=True, timeout=120)
    return path


def write_json(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def good_workspace(root: Path) -> Path:
    """A workspace whose configs are all valid: model, dataset with two audio files."""
    ini = SEED_INI.read_text(encoding="utf-8")
    for key, value in (("model_config", "configs/model.json"),
                       ("dataset_config", "configs/dataset.json"), ("logger", "none")):
        ini = re.sub(rf"^{key} = .*$", f"{key} = '{value}'", ini, count=1, flags=re.M)
    ws = make_workspace(root, ini, TRAIN_PY)
    write_json(ws / "configs" / "model.json", GOOD_MODEL)
    write_json(ws / "configs" / "dataset.json", {
        "dataset_type": "audio_dir", "datasets": [{"id": "tones", "path": "data"}]})
    write_wav(ws / "data" / "a.wav")
    write_wav(ws / "data" / "sub" / "b.WAV")
    return ws


def config_for(ws: Path, gpus: list[int] | None = None, **values: Any) -> RunConfig:
    config = load_run_config(ws)
    return dataclasses.replace(config, values={**config.values, **values}, gpus=gpus)


@functools.cache
def probed_interpreter() -> EnvironmentInfo:
    """The real probe of this test interpreter (torch, Lightning, packages, strategy and
    precision names), made once per test process in a cache of its own."""
    import os
    import sys
    import tempfile

    from satconf.environment import probe

    # As conftest's session probe: SATCONF_TEST_PROBE_HOME (make mutate) keeps it across
    # sessions, and the probe's own cache check says whether it still holds.
    shared = os.environ.get("SATCONF_TEST_PROBE_HOME")
    cache = (Path(shared) / "checks-cache" if shared
             else Path(tempfile.mkdtemp(prefix="satconf-probe-")))
    info = probe(sys.executable, cache=cache)
    assert info.ok, info.error
    return info


def environment(gpus: tuple[tuple[int, int], ...] = ((8, 0),), **kw: Any) -> EnvironmentInfo:
    """The training python is this interpreter, as its real probe found it; only the CUDA
    GPUs (and so CUDA itself) are made up, with the given capabilities. `kw` overrides
    single facts a test is about (a package missing, a wandb login)."""
    real = probed_interpreter()
    fake: dict[str, Any] = {
        "cuda_available": bool(gpus),
        "cuda_version": (real.cuda_version or "12.1") if gpus else real.cuda_version,
        "gpus": tuple(ProbeGpu(i, f"GPU{i}", cap, 40000) for i, cap in enumerate(gpus)),
    }
    return dataclasses.replace(real, cached=False, **{**fake, **kw})


def about(findings: list[Finding], field: str | None, level: str | None = None) -> list[Finding]:
    return [f for f in findings if f.field == field and (level is None or f.level == level)]


def errors(config: RunConfig, env: EnvironmentInfo | None = None) -> list[Finding]:
    return [f for f in run_checks(config, env) if f.level == "error"]
