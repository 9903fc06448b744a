"""Keys of defaults.ini that this workspace's train.py never reads."""

from __future__ import annotations

import re

from satconf.checks.context import Context
from satconf.checks.finding import Finding, info


def read_keys(source: str) -> set[str]:
    """Names read as `args.<name>` or `getattr(args, "<name>")`."""
    keys = set(re.findall(r"\bargs\.([A-Za-z_]\w*)", source))
    keys |= set(re.findall(r"""getattr\(\s*args\s*,\s*["']([A-Za-z_]\w*)["']""", source))
    return keys


def reads_everything(source: str) -> bool:
    """train.py hands the whole namespace on, so any key may be read somewhere."""
    return re.search(r"\bvars\(\s*args\s*\)|args\.__dict__", source) is not None


def check_unread_keys(ctx: Context) -> list[Finding]:
    source = ctx.train_py_text()
    if not source or reads_everything(source):
        return []  # train.py passes all args on: any key may be read
    keys = read_keys(source)
    if not keys:
        return [info(None, f"{ctx.config.workspace.train_py} reads no args.<key> at all: no "
                     "setting here would change what it does",
                     "is this the right train.py (a placeholder, or one with its own parser)?")]
    return [_unread(spec.key) for spec in ctx.config.fields
            if spec.key not in keys and spec.ini is not None and spec.ini.registered]


# Keys satconf acts on itself before launch, so they matter though train.py ignores them.
_SATCONF_READS = {
    "recover": "satconf acts on it: before launch it passes the newest checkpoint of this run "
               "as ckpt_path",
}


def _unread(key: str) -> Finding:
    if key in _SATCONF_READS:
        return info(key, f"train.py never reads args.{key}; {_SATCONF_READS[key]}", "")
    return info(key, f"train.py never reads args.{key}: setting it changes nothing", "")
