"""satconf's demo trainer: a tiny audio autoencoder, trained the way stable-audio-tools trains.

It takes the same flags as stable-audio-tools' `train.py`, read the same way
(prefigure's semantics: one flag per `defaults.ini` key, typed from the INI
text), plus the demo's own `--max-steps`. It reads `model_config` and
`dataset_config` JSON in stable-audio-tools' format, makes a small synthetic
WAV dataset on first use, and trains with Lightning (`accelerator="auto"`:
the CPU here, the GPUs where there are some) until `max_steps` or until
stopped. Checkpoints are Lightning's `epoch=E-step=S.ckpt` in `save_dir`,
every `checkpoint_every` steps, as train.py writes them without a logger.

The INI is read with satconf's own reader (satconf is installed in the python
that runs it); prefigure itself is not needed.

Where it accepts more than stable-audio-tools' train.py (it says so in its log):
- `num_workers = 0`: train.py's DataLoaders use `persistent_workers=True`
  and fail at once with 0; the demo then loads in the main process.
- `accelerator="auto"` (train.py: "gpu"): the demo also trains on the CPU,
  where 16-bit precisions fall back to 32-true.
- an empty `strategy` means auto (train.py reads the undefined `args.num_gpus`).
Like train.py, each checkpoint embeds the `model_config` it was trained with.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import wave
from pathlib import Path
from typing import Any

WAV_FILES = 32
CROPS_PER_FILE = 8  # dataset items per file, so that an epoch is more than a few steps
PRINT_EVERY = 50
HALF_PRECISIONS = ("16-mixed", "16", "16-true", "transformer-engine", "transformer-engine-float16")


def rank() -> int:
    for var in ("RANK", "SLURM_PROCID", "LOCAL_RANK"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    return 0


def say(message: str, *, all_ranks: bool = False) -> None:
    if all_ranks or rank() == 0:
        prefix = f"[rank {rank()}] " if all_ranks else ""
        print(f"demo: {prefix}{message}", flush=True)


# ---- flags, the prefigure way -------------------------------------------------------------

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """prefigure 0.0.9's `get_all_args`, with satconf's INI reader."""
    try:
        from satconf.defaults_ini import IniError, read_defaults_ini
    except ImportError:
        sys.exit("demo: this trainer reads defaults.ini with satconf's reader; "
                 "run it with the python satconf is installed in")
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--config-file", default="defaults.ini")
    config_file = pre.parse_known_args(argv)[0].config_file
    try:
        ini = read_defaults_ini(config_file)
    except IniError as exc:
        sys.exit(f"demo: {exc}")
    p = argparse.ArgumentParser(description="satconf's demo trainer (stable-audio-tools flags)")
    p.add_argument("--config-file", default="defaults.ini",
                   help="name of local configuration (.ini) file")
    p.add_argument("--name", default=None, help="name of the run")
    p.add_argument("--wandb-config", default=None, help="wandb url to pull config from")
    for entry in ini.entries.values():
        if not entry.registered:
            break
        flag = "--" + entry.key.replace("_", "-")
        if flag == "--name":
            continue
        helptext = entry.help.replace("%", "%%")
        value = entry.value
        if value is None:
            p.add_argument(flag, type=str, nargs="?", const=None, default=None, help=helptext)
        elif isinstance(value, bool):
            p.add_argument(flag, type=bool, nargs="?", const=True, default=False, help=helptext)
        else:
            p.add_argument(flag, type=type(value), default=value, help=helptext)
    return p.parse_args(argv)


# ---- data ---------------------------------------------------------------------------------

def dataset_folders(dataset_config: dict[str, Any]) -> list[Path]:
    kind = dataset_config.get("dataset_type")
    if kind != "audio_dir":
        sys.exit(f"demo: dataset_type {kind!r} is not supported by the demo (use audio_dir)")
    entries = dataset_config.get("datasets") or []
    if not entries:
        sys.exit("demo: the dataset config lists no datasets")
    return [Path(str(entry["path"])) for entry in entries]


def ensure_tones(folder: Path, sample_rate: int, length: int, channels: int) -> None:
    """Write a few seconds of synthetic tones as WAV files, once.

    Written to a temporary folder and renamed into place, so several processes
    (DDP ranks) starting together never see half a dataset.
    """
    import numpy as np

    if folder.is_dir() and any(folder.glob("*.wav")):
        return
    tmp = folder.parent / f".{folder.name}.tmp-{os.getpid()}"
    tmp.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1234)  # the same data on every rank and every run
    t = np.arange(length) / sample_rate
    for i in range(WAV_FILES):
        signal = np.zeros(length)
        for _ in range(rng.integers(1, 4)):
            freq = rng.uniform(110.0, 880.0)
            signal += rng.uniform(0.1, 0.3) * np.sin(2 * np.pi * freq * t + rng.uniform(0, 6.3))
        signal += 0.01 * rng.standard_normal(length)
        frames = np.clip(signal, -1, 1)
        pcm = (np.repeat(frames[:, None], channels, axis=1) * 32767).astype("<i2")
        with wave.open(str(tmp / f"tone_{i:03d}.wav"), "wb") as w:
            w.setnchannels(channels)
            w.setsampwidth(2)
            w.setframerate(sample_rate)
            w.writeframes(pcm.tobytes())
    try:
        os.rename(tmp, folder)  # replaces an empty folder; fails if another rank won
        say(f"made {WAV_FILES} synthetic WAV files in {folder}")
    except OSError:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)


def read_wav(path: Path, channels: int) -> Any:
    import numpy as np

    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            sys.exit(f"demo: {path} is not 16-bit PCM")
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        data = data.reshape(-1, w.getnchannels()).T.astype(np.float32) / 32768.0
    if data.shape[0] != channels:
        data = np.repeat(data.mean(axis=0, keepdims=True), channels, axis=0)
    return data


# ---- model and training -------------------------------------------------------------------

def build(model_config: dict[str, Any], files: list[Path]) -> tuple[Any, Any]:
    """The Lightning module and the training Dataset (torch imported here, not at start-up)."""
    import lightning as L
    import torch
    from torch import nn

    sample_size = int(model_config["sample_size"])
    channels = int(model_config.get("audio_channels", 2))
    enc = model_config["model"]["encoder"]["config"]
    width, mults, strides = int(enc["channels"]), list(enc["c_mults"]), list(enc["strides"])
    latent = int(model_config["model"].get("latent_dim", enc["latent_dim"]))
    lr = float(model_config.get("training", {}).get("learning_rate", 1e-3))

    class Tones(torch.utils.data.Dataset):
        def __init__(self) -> None:
            self.clips = [torch.from_numpy(read_wav(f, channels)) for f in files]

        def __len__(self) -> int:
            return len(self.clips) * CROPS_PER_FILE

        def __getitem__(self, index: int) -> Any:
            clip = self.clips[index % len(self.clips)]
            start = int(torch.randint(0, max(1, clip.shape[-1] - sample_size + 1), ()).item())
            piece = clip[:, start:start + sample_size]
            return nn.functional.pad(piece, (0, sample_size - piece.shape[-1]))

    def down(cin: int, cout: int, stride: int) -> list[Any]:
        return [nn.GELU(), nn.Conv1d(cin, cout, 2 * stride, stride, padding=(stride + 1) // 2)]

    def up(cin: int, cout: int, stride: int) -> list[Any]:
        return [nn.GELU(), nn.ConvTranspose1d(cin, cout, 2 * stride, stride,
                                              padding=(stride + 1) // 2,
                                              output_padding=stride % 2)]

    widths = [width * m for m in mults]
    encoder: list[Any] = [nn.Conv1d(channels, width, 7, padding=3)]
    cin = width
    for w, s in zip(widths, strides, strict=True):
        encoder += down(cin, w, s)
        cin = w
    encoder += [nn.GELU(), nn.Conv1d(cin, latent, 3, padding=1)]
    decoder: list[Any] = [nn.Conv1d(latent, cin, 3, padding=1)]
    for w, s in zip(reversed([width, *widths[:-1]]), reversed(strides), strict=True):
        decoder += up(cin, w, s)
        cin = w
    decoder += [nn.GELU(), nn.Conv1d(cin, channels, 7, padding=3), nn.Tanh()]

    class DemoAutoencoder(L.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = nn.Sequential(*encoder)
            self.decoder = nn.Sequential(*decoder)

        def forward(self, x: Any) -> Any:
            return self.decoder(self.encoder(x))

        def training_step(self, batch: Any, batch_idx: int) -> Any:
            out = self(batch)
            loss = nn.functional.l1_loss(out, batch) + nn.functional.mse_loss(out, batch)
            # As stable-audio-tools' wrappers log: the bar's postfix carries it to the log.
            self.log("train/loss", loss, prog_bar=True, on_step=True, logger=False)
            return loss

        def configure_optimizers(self) -> Any:
            return torch.optim.Adam(self.parameters(), lr=lr)

        def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
            checkpoint["model_config"] = model_config  # as stable-audio-tools' callback does

    return DemoAutoencoder(), Tones()


def devices_and_precision(args: argparse.Namespace, cuda: bool) -> tuple[Any, str]:
    devices: Any = "auto"
    if not cuda:
        # On the CPU, "auto" means one process; a SLURM or torchrun launch wants
        # one device per task, as Lightning checks.
        slurm = os.environ.get("SLURM_NTASKS") and os.environ.get("SLURM_JOB_NAME") not in (
            "bash", "interactive")
        if os.environ.get("TORCHELASTIC_RUN_ID") and os.environ.get("LOCAL_WORLD_SIZE"):
            devices = int(os.environ["LOCAL_WORLD_SIZE"])
        elif slurm:
            per_node = os.environ.get("SLURM_NTASKS_PER_NODE", "").split("(")[0]
            nodes = int(os.environ.get("SLURM_NNODES", "1") or 1)
            devices = int(per_node) if per_node.isdigit() else int(
                os.environ["SLURM_NTASKS"]) // max(1, nodes)
    precision = str(args.precision)
    if not cuda and precision in HALF_PRECISIONS:
        say(f"precision {precision} needs a GPU; using 32-true on the CPU")
        precision = "32-true"
    return devices, precision


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    max_steps = int(getattr(args, "max_steps", -1))
    visible = os.environ.get("CUDA_VISIBLE_DEVICES", "<unset>") or "'' (no GPU visible)"
    say(f"run {args.name!r}; CUDA_VISIBLE_DEVICES={visible}")
    model_config = json.loads(Path(args.model_config).read_text())
    dataset_config = json.loads(Path(args.dataset_config).read_text())
    sample_rate = int(model_config["sample_rate"])
    sample_size = int(model_config["sample_size"])
    channels = int(model_config.get("audio_channels", 2))
    files: list[Path] = []
    for folder in dataset_folders(dataset_config):
        ensure_tones(folder, sample_rate, max(2 * sample_size, sample_rate), channels)
        files += sorted(p for p in folder.rglob("*") if p.suffix.lower() == ".wav")
    say(f"Found {len(files)} files")
    if not files:
        sys.exit("demo: the dataset has no WAV files")

    import warnings

    for noise in (r".*`srun` command is available",  # satconf starts SLURM runs itself
                  r".*isinstance\(treespec, LeafSpec\)",
                  r".*your dataloader is not resumable"):
        warnings.filterwarnings("ignore", message=noise)
    import lightning as L
    import torch
    from lightning.pytorch.callbacks import Callback, ModelCheckpoint, TQDMProgressBar

    cuda = torch.cuda.is_available()
    count = torch.cuda.device_count() if cuda else 0
    names = [torch.cuda.get_device_name(i) for i in range(count)]
    say(f"torch {torch.__version__}; CUDA available: {cuda}; GPUs visible: {len(names)}"
        + (f" ({', '.join(names)})" if names else ""))
    L.seed_everything(args.seed + int(os.environ.get("SLURM_PROCID", "0")), workers=True)
    model, dataset = build(model_config, files)
    if args.pretrained_ckpt_path:
        state = torch.load(args.pretrained_ckpt_path, map_location="cpu", weights_only=False)
        missing = model.load_state_dict(state.get("state_dict", state), strict=False)
        say(f"loaded pretrained weights from {args.pretrained_ckpt_path} ({missing})")
    if args.val_every > 0 or args.val_dataset_config:
        say("val_every/val_dataset_config are set, but the demo has no validation; ignored")
    if args.pretransform_ckpt_path or args.remove_pretransform_weight_norm:
        say("the demo model has no pretransform: pretransform_ckpt_path and "
            "remove_pretransform_weight_norm are ignored")
    if args.logger in ("wandb", "comet"):
        say(f"logger {args.logger}: the demo has no account to log to; it prints to this log")
    if args.num_workers <= 0:
        say(f"num_workers = {args.num_workers}: the demo loads in this process; "
            "stable-audio-tools' train.py would stop (persistent_workers needs num_workers > 0)")
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=args.batch_size, shuffle=True, drop_last=True,
        num_workers=args.num_workers, persistent_workers=args.num_workers > 0,
    )
    devices, precision = devices_and_precision(args, cuda)
    strategy: Any = args.strategy
    if strategy == "deepspeed":
        from lightning.pytorch.strategies import DeepSpeedStrategy

        strategy = DeepSpeedStrategy(stage=2, contiguous_gradients=True, overlap_comm=True,
                                     reduce_scatter=True, reduce_bucket_size=5e8,
                                     allgather_bucket_size=5e8, load_full_weights=True)
    elif not strategy:
        say("strategy is empty (train.py would read --num-gpus, which no key defines); using auto")
        strategy = "auto"

    class Checkpoints(ModelCheckpoint):
        def _save_checkpoint(self, trainer: Any, filepath: str) -> None:
            super()._save_checkpoint(trainer, filepath)
            if trainer.is_global_zero:
                say(f"saved checkpoint {filepath}")

    class Report(Callback):
        def on_train_start(self, trainer: Any, pl_module: Any) -> None:
            if args.ckpt_path:
                say(f"Restored from {args.ckpt_path} at step {trainer.global_step}")
            say(f"training on {trainer.strategy.root_device} x {trainer.world_size}, precision "
                f"{precision}, strategy {type(trainer.strategy).__name__}, "
                f"max_steps {max_steps}")

        def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any,
                               batch_idx: int) -> None:
            step = trainer.global_step
            if step > getattr(self, "last", 0) and (step == 1 or step % PRINT_EVERY == 0):
                self.last = step
                loss = trainer.callback_metrics.get("train/loss")
                say(f"step {step} loss {float(loss):.4f}" if loss is not None else f"step {step}")

        def on_train_end(self, trainer: Any, pl_module: Any) -> None:
            say(f"finished at step {trainer.global_step}")

        def on_exception(self, trainer: Any, pl_module: Any, exc: BaseException) -> None:
            # Stopped by satconf (SIGINT): keep the work so far, where recover finds it.
            if isinstance(exc, KeyboardInterrupt) and trainer.world_size == 1 and args.save_dir:
                path = Path(args.save_dir) / (f"epoch={trainer.current_epoch}-"
                                              f"step={trainer.global_step}.ckpt")
                trainer.save_checkpoint(path)
                say(f"interrupted; saved checkpoint {path}")

    trainer = L.Trainer(
        accelerator="auto", devices=devices, num_nodes=args.num_nodes, strategy=strategy,
        precision=precision, accumulate_grad_batches=args.accum_batches,
        gradient_clip_val=args.gradient_clip_val or None, max_steps=max_steps, max_epochs=-1,
        # Lightning's tqdm bar, as train.py shows it: redrawn with `\r` into the log even when
        # it is not a terminal (tqdm flushes each redraw), one redraw per step.
        callbacks=[Report(), TQDMProgressBar(refresh_rate=1),
                   Checkpoints(dirpath=args.save_dir or None, save_top_k=-1,
                               every_n_train_steps=args.checkpoint_every)],
        logger=False, enable_progress_bar=True, enable_model_summary=False,
        default_root_dir=args.save_dir or None,
    )
    trainer.fit(model, loader, ckpt_path=args.ckpt_path or None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
