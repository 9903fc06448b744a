"""What satconf reads from train.py's syntax tree: its imports, the keys it reads, its
local modules and DataLoaders (satconf.checks.train_source), on real source text."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

from satconf.checks import train_source
from satconf.checks.train_source import (
    ImportLine,
    imported_roots,
    local_files,
    module_file,
    parse,
    persistent_loaders,
    read_keys,
    top_level_imports,
)

pytestmark = pytest.mark.unprobed  # nothing here needs the training python


def tree(source: str) -> ast.Module:
    return ast.parse(source)


def keys(source: str) -> tuple[set[str], bool]:
    found = read_keys(tree(source))
    return set(found.keys), found.dynamic


def test_the_imports_that_run_at_start_up_in_order() -> None:
    source = (
        "from __future__ import annotations\n"
        "import os, json as j\n"
        "from . import sibling\n"
        "from prefigure.prefigure import get_all_args\n"
        "try:\n    import torch\nfinally:\n    pass\n"
        "try:\n    import wandb\nexcept ImportError:\n    wandb = None\n"
        "try:\n    import comet_ml\nexcept (ValueError, ModuleNotFoundError):\n    pass\n"
        "try:\n    import neptune\nexcept:\n    pass\n"
        "try:\n    import apex\nexcept ValueError:\n    pass\n"
        "def main():\n    import deepspeed\n    import os.path, xml.dom.minidom\n"
    )
    assert top_level_imports(tree(source)) == [
        ImportLine(2, "import os, json as j", ("os", "json")),
        ImportLine(4, "from prefigure.prefigure import get_all_args", ("prefigure.prefigure",)),
        ImportLine(6, "import torch", ("torch",)),
        ImportLine(22, "import apex", ("apex",)),
    ]
    assert imported_roots(tree(source)) == {"os", "json", "prefigure", "torch", "wandb",
                                            "comet_ml", "neptune", "apex", "deepspeed",
                                            "__future__", "xml"}


def test_keys_read_as_attributes_getattr_and_the_vars_dict() -> None:
    assert keys("args = get_all_args()\nprint(args.seed, args.name)\nargs.extra = 1\n"
                "print(args.__dict__)\n") == ({"seed", "name"}, False)
    assert keys("opts, rest = parser.parse_known_args()\nprint(opts.batch_size)\n"
                "cfg = cfgs[0]\n") == ({"batch_size"}, False)
    assert keys("ns = argparse.ArgumentParser().parse_args()\nprint(ns.lr)\n") == ({"lr"}, False)
    assert keys("ns = get_all_args()[0]\nprint(ns.lr)\nother = make()\nprint(other.x)\n") \
        == ({"lr"}, False)
    assert keys("args = get_all_args()\nprint(getattr(args, 'seed'), hasattr(args, 'name'))\n"
                "print(getattr(other, 'x'))\n") == ({"seed", "name"}, False)
    assert keys("args = get_all_args()\nd = vars(args)\nprint(d['a'], d.get('b'), d.pop('c'), "
                "d.setdefault('e', 1), args.__dict__['f'])\nprint(vars(x)['no'])\n") \
        == ({"a", "b", "c", "e", "f"}, False)


@pytest.mark.parametrize("read", [
    "getattr(args, name)",
    "vars(args)[name]",
    "run(**vars(args))",
    "[k for k in vars(args)]",
    "list(vars(args).items())",
    "d.keys()",
    "d.values()",
    "d.copy()",
])
def test_a_read_that_cannot_be_told_may_read_any_key(read: str) -> None:
    assert keys(f"args = get_all_args()\nd = vars(args)\nprint({read})\n")[1] is True


def test_every_dict_of_the_flags_counts_and_a_computed_read_stays_computed() -> None:
    assert keys("args = get_all_args()\nd = vars(args)\ne = vars(args)\nprint(d['a'], e['b'])\n"
                "d.__setitem__('written', 1)\n") == ({"a", "b"}, False)
    assert keys("args = get_all_args()\nprint(getattr(args, name))\n"
                "print(getattr(args, 'seed'))\n") == ({"seed"}, True)
    assert keys("args = get_all_args()\nd = vars(args)\nprint(d[name])\nprint(d['seed'])\n") \
        == ({"seed"}, True)


def test_odd_calls_and_targets_are_no_trouble() -> None:
    assert keys("self.args = parser.parse_args()\nloaders[0](d, persistent_workers=True)\n"
                "make()(x)\nprint(args.seed)\n") == ({"seed"}, False)
    assert persistent_loaders(tree("loaders[0](d, persistent_workers=True)\n")) == []


def test_handing_the_flags_on_is_not_a_read() -> None:
    assert keys("args = get_all_args()\nlog(vars(args))\npush_wandb_config(logger, args)\n"
                "log(**other)\nfor k in range(3): pass\nd = vars(args)\nd.update({})\n") \
        == (set(), False)


def test_reads_are_worked_out_once_per_tree() -> None:
    t = tree("args = get_all_args()\nprint(args.seed)\n")
    assert read_keys(t) is read_keys(t)
    assert read_keys(tree("print(args.name)\n")).keys == {"name"}


def test_local_modules_are_followed_from_train_py(tmp_path: Path) -> None:
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "__init__.py").write_text("from pkg.sub import tools\n")
    (tmp_path / "pkg" / "sub" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "sub" / "tools.py").write_text("import helpers\n")
    (tmp_path / "helpers.py").write_text("import os\n")
    (tmp_path / "broken.py").write_text("def (:\n")
    found = local_files(tmp_path, tree("import pkg\nimport broken\nimport torch\n"
                                       "from . import nothing\n"))
    assert found == [tmp_path / "pkg" / "__init__.py", tmp_path / "broken.py",
                     tmp_path / "pkg" / "sub" / "__init__.py",
                     tmp_path / "pkg" / "sub" / "tools.py", tmp_path / "helpers.py"]
    assert module_file(tmp_path, "pkg.sub.tools") == tmp_path / "pkg" / "sub" / "tools.py"
    assert module_file(tmp_path, "torch") is None


def test_local_modules_stop_at_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(train_source, "MAX_LOCAL_FILES", 2)
    for name, imports in (("a", "b"), ("b", "c"), ("c", "d"), ("d", "os")):
        (tmp_path / f"{name}.py").write_text(f"import {imports}\n")
    # a chain a -> b -> c -> d: followed until two files are known
    assert local_files(tmp_path, tree("import a\n")) == [tmp_path / "a.py", tmp_path / "b.py"]


def test_persistent_workers_only_when_the_constant_true() -> None:
    source = ("DataLoader(d, persistent_workers=True)\n"
              "torch.utils.data.DataLoader(d, num_workers=2,\n    persistent_workers=True)\n"
              "DataLoader(d, persistent_workers=workers > 0)\n"
              "DataLoader(d, persistent_workers=1)\n"
              "MyDataLoader(d, shuffle=True, persistent_workers=True)\n"
              "Other(d, persistent_workers=True)\n")
    assert persistent_loaders(tree(source)) == [1, 2, 6]


def test_parse_keeps_a_tree_until_the_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "train.py"
    path.write_text("x = 1\n")
    first = parse(path)
    assert first is not None and parse(path) is first
    path.write_text("x = 22\n")
    second = parse(path)
    assert second is not None and second is not first
    path.write_text("def (:\n")
    assert parse(path) is None
    assert parse(tmp_path / "missing.py") is None
    os.utime(path, ns=(0, 0))
    path.write_bytes(b"x = 1\x00\n")
    assert parse(path) is None
