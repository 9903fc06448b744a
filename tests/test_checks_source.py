"""What train.py's code does with the settings, read from its syntax tree (never its text)."""

from __future__ import annotations

from pathlib import Path

from satconf.checks import run_checks
from satconf.checks.train_source import parse, read_keys

from checks_support import about, config_for, environment, good_workspace

# A fork's train.py: reads keys as attributes, hands vars(args) to its logger (as
# stable-audio-tools' train.py does with push_wandb_config), never reads recover.
FORK_TRAIN_PY = '''\
import json
from prefigure.prefigure import get_all_args, push_wandb_config
from mypkg.data import make_loader

def main():
    args = get_all_args()
    cfg = getattr(args, "model_config")
    loader = make_loader(args.dataset_config, args.batch_size, args.num_workers)
    trainer = Trainer(precision=args.precision, strategy=args.strategy,
                      num_nodes=args.num_nodes, devices="auto")
    if args.logger == "wandb":
        args_dict = vars(args)
        args_dict.update({"model_config": cfg})
        push_wandb_config(logger, args_dict)
        logger.log_hyperparams(vars(args))
    print(args.name, args.seed, args.accum_batches, args.checkpoint_every, args.val_every,
          args.ckpt_path, args.pretrained_ckpt_path, args.pretransform_ckpt_path,
          args.val_dataset_config, args.save_dir, args.gradient_clip_val,
          args.remove_pretransform_weight_norm)
'''

DATA_PY = '''\
import torch

def make_loader(config, batch_size, workers):
    return torch.utils.data.DataLoader(config, batch_size=batch_size, num_workers=workers,
                                       persistent_workers=True, shuffle=True)
'''


def _fork(root: Path, data: str = DATA_PY) -> Path:
    ws = good_workspace(root)
    (ws / "train.py").write_text(FORK_TRAIN_PY)
    (ws / "mypkg").mkdir()
    (ws / "mypkg" / "__init__.py").write_text("")
    (ws / "mypkg" / "data.py").write_text(data)
    return ws


def test_vars_args_handed_to_a_logger_is_not_a_read(tmp_path: Path) -> None:
    ws = _fork(tmp_path / "ws")
    findings = run_checks(config_for(ws, num_workers=2))
    unread = {f.field for f in findings if "never reads" in f.message}
    assert unread == {"project", "recover", "save_top_k"}
    # `recover = false` is text, but train.py never reads it: no warning about it.
    assert not about(findings, "recover", "warning")
    assert not [f for f in findings if f.level in ("error", "warning")]


def test_an_ini_trap_on_a_key_train_py_reads_is_a_warning(tmp_path: Path) -> None:
    ws = _fork(tmp_path / "ws")
    (ws / "train.py").write_text(FORK_TRAIN_PY + "    if args.recover:\n        pass\n")
    (found,) = about(run_checks(config_for(ws, num_workers=2)), "recover", "warning")
    assert "not a boolean" in found.message


def test_computed_reads_mean_any_key_may_be_read() -> None:
    for source in ("args = get_all_args()\nrun(**vars(args))\n",
                   "args = p.parse_args()\nfor k in vars(args): print(getattr(args, k))\n"):
        tree = parse_source(source)
        assert read_keys(tree).dynamic
    fixed = read_keys(parse_source("opts = get_all_args()\nprint(opts.seed, "
                                   "vars(opts)['name'])\nlog(vars(opts))\n"))
    assert fixed.keys == {"seed", "name"} and not fixed.dynamic


def parse_source(source: str):
    import ast

    return ast.parse(source)


def test_persistent_workers_need_num_workers(tmp_path: Path) -> None:
    ws = _fork(tmp_path / "ws")
    (found,) = about(run_checks(config_for(ws, num_workers=0)), "num_workers", "error")
    assert "mypkg/data.py line 4" in found.message
    assert "persistent_workers option needs num_workers > 0" in found.message
    assert not about(run_checks(config_for(ws, num_workers=2)), "num_workers", "error")
    # DataLoaders whose persistent_workers follows the worker count accept 0.
    relaxed = _fork(tmp_path / "relaxed", DATA_PY.replace(
        "persistent_workers=True", "persistent_workers=workers > 0"))
    assert not about(run_checks(config_for(relaxed, num_workers=0)), "num_workers", "error")
    assert parse(relaxed / "mypkg" / "data.py") is not None


def test_prefigure_is_needed_by_import_not_by_a_word(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    no_prefigure = environment(packages={"prefigure": False, "wandb": True})
    (ws / "train.py").write_text("# flags are read the prefigure way, by our own parser\n"
                                 "import argparse\nargs = argparse.Namespace()\n"
                                 "print(args.seed)\ntext = 'prefigure'\n")
    assert not [f for f in run_checks(config_for(ws), no_prefigure)
                if "prefigure is not installed" in f.message]
    (ws / "train.py").write_text("def main():\n    from prefigure.prefigure import "
                                 "get_all_args\n    print(get_all_args().seed)\n")
    assert [f for f in run_checks(config_for(ws), no_prefigure)
            if "prefigure is not installed" in f.message]
