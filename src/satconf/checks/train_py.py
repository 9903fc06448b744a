"""What the workspace's own code does with the settings: keys never read, DataLoader workers.

Both are decided from the syntax tree (`train_source`), never from text:
`vars(args)` handed to a logger is not a read of every key, and a comment
naming a package is not an import of it.
"""

from __future__ import annotations

from satconf.checks.context import Context
from satconf.checks.finding import Finding, error, info
from satconf.checks.train_source import (
    imported_roots,
    local_files,
    parse,
    persistent_loaders,
    read_keys,
)


def check_unread_keys(ctx: Context) -> list[Finding]:
    tree = ctx.train_tree()
    if tree is None:
        return []
    reads = read_keys(tree)
    if reads.dynamic:
        return []  # train.py reads keys by computed names: any key may be read
    if not reads.keys:
        return [info(None, f"{ctx.config.workspace.train_py} reads no args.<key> at all: no "
                     "setting here would change what it does",
                     "is this the right train.py (a placeholder, or one with its own parser)?")]
    return [_unread(spec.key) for spec in ctx.config.fields
            if spec.key not in reads.keys and spec.ini is not None and spec.ini.registered]


# Keys satconf acts on itself before launch, so they matter though train.py ignores them.
_SATCONF_READS = {
    "recover": "satconf acts on it: before launch it passes the newest checkpoint of this run "
               "as ckpt_path",
}


def _unread(key: str) -> Finding:
    if key in _SATCONF_READS:
        return info(key, f"train.py never reads args.{key}; {_SATCONF_READS[key]}", "")
    return info(key, f"train.py never reads args.{key}: setting it changes nothing", "")


def needs_package(ctx: Context, package: str) -> bool:
    """Whether train.py imports `package` anywhere (True when train.py cannot be parsed)."""
    tree = ctx.train_tree()
    return tree is None or package in imported_roots(tree)


def check_num_workers(ctx: Context) -> list[Finding]:
    """`num_workers = 0` where the workspace's DataLoaders use persistent workers."""
    workers = ctx.value("num_workers")
    tree = ctx.train_tree()
    if not isinstance(workers, int) or isinstance(workers, bool) or workers > 0 or tree is None:
        return []
    train_py = ctx.config.workspace.train_py
    for path in [train_py, *local_files(ctx.root, tree)]:
        sub = tree if path == train_py else parse(path)
        lines = persistent_loaders(sub) if sub is not None else []
        if lines:
            where = path.relative_to(ctx.root) if path.is_relative_to(ctx.root) else path
            return [error("num_workers", f"num_workers = {workers}, but {where} line "
                          f"{lines[0]} builds its DataLoader with persistent_workers=True: "
                          "train.py would stop at once with \"ValueError: persistent_workers "
                          "option needs num_workers > 0\"", "set num_workers to 1 or more "
                          "(stable-audio-tools' default is 6)")]
    from satconf.checks.dataset_config import _is_demo

    if _is_demo(ctx):
        return [info("num_workers", f"num_workers = {workers}: the demo trainer accepts it; "
                     "stable-audio-tools' train.py does not (its DataLoaders use "
                     "persistent_workers=True, which needs num_workers > 0)")]
    return []
