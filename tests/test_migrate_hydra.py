"""The generated Hydra tree, composed by the real hydra-core."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import OmegaConf

from satconf.defaults_ini import read_defaults_ini
from satconf.migrate import migrate
from satconf.schema import LoggerType, StrategyType
from test_migrate import EDGE_INI

from conftest import SEED_INI


@contextmanager
def _hydra(tree: Path) -> Iterator[None]:
    # Hydra keeps global state; start clean and leave clean whatever happens.
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(tree / "config" / "training"),
                                   version_base=None):
            yield
    finally:
        GlobalHydra.instance().clear()


def _compose(tree: Path, overrides: list[str] | None = None) -> dict[str, Any]:
    with _hydra(tree):
        cfg = compose(config_name="base", overrides=overrides or [])
    out = OmegaConf.to_container(cfg, resolve=True)
    assert isinstance(out, dict)
    return out


def test_seed_tree_composes_to_the_ini_values(tmp_path: Path) -> None:
    migrate(SEED_INI, "hydra", tmp_path / "tree")
    training = tmp_path / "tree" / "config" / "training"
    groups = {p.relative_to(training).as_posix() for p in training.rglob("*.yaml")}
    assert groups == {"base.yaml", "strategy/auto.yaml", "strategy/ddp.yaml",
                      "strategy/deepspeed.yaml", "logger/wandb.yaml", "logger/comet.yaml",
                      "logger/none.yaml"}
    base = yaml.safe_load((training / "base.yaml").read_text(encoding="utf-8"))
    assert base["defaults"] == ["_self_", {"strategy": "auto"}, {"logger": "wandb"}]
    assert "strategy" not in base and "logger" not in base

    ini = read_defaults_ini(SEED_INI)
    expected = {k: e.value for k, e in ini.entries.items()}
    expected["recover"] = False  # the seed's `recover = false` in a bool field
    assert _compose(tmp_path / "tree") == expected


def test_override_switches_the_group(tmp_path: Path) -> None:
    migrate(SEED_INI, "hydra", tmp_path / "tree")
    cfg = _compose(tmp_path / "tree", ["strategy=deepspeed"])
    assert cfg["strategy"] == StrategyType.DEEPSPEED.value
    assert cfg["logger"] == "wandb" and cfg["batch_size"] == 4
    cfg = _compose(tmp_path / "tree", ["strategy=ddp", f"logger={LoggerType.NONE.value}"])
    assert cfg["strategy"] == "ddp" and cfg["logger"] is None
    cfg = _compose(tmp_path / "tree", ["logger=comet", "batch_size=32"])
    assert cfg["logger"] == "comet" and cfg["batch_size"] == 32


def test_edge_tree_composes_like_the_yaml_file(tmp_path: Path) -> None:
    src = tmp_path / "edge.ini"
    src.write_text(EDGE_INI, encoding="utf-8")
    migrate(src, "hydra", tmp_path / "tree")
    migrate(src, "yaml", tmp_path / "one.yaml")
    training = tmp_path / "tree" / "config" / "training"
    # the INI's own strategy gets its option file; its logger text "none" is kept as text
    assert (training / "strategy" / "ddp_spawn.yaml").is_file()
    one = yaml.safe_load((tmp_path / "one.yaml").read_text(encoding="utf-8"))
    cfg = _compose(tmp_path / "tree")
    assert cfg == one
    assert cfg["strategy"] == "ddp_spawn" and cfg["logger"] == "none"
    assert cfg["lr"] == 1e-05 and cfg["recover"] is True and cfg["lower_true"] == "true"
    assert cfg["list_val"] == [1, "a%b", None, 2.5] and cfg["project"] is None
    assert _compose(tmp_path / "tree", ["strategy=deepspeed"])["strategy"] == "deepspeed"


def test_group_override_reads_back_to_ini(tmp_path: Path) -> None:
    """A tree edited to select another option migrates back with that option."""
    migrate(SEED_INI, "hydra", tmp_path / "tree")
    base = tmp_path / "tree" / "config" / "training" / "base.yaml"
    base.write_text(base.read_text(encoding="utf-8").replace('strategy: "auto"',
                                                             'strategy: "deepspeed"'),
                    encoding="utf-8")
    assert _compose(tmp_path / "tree")["strategy"] == "deepspeed"
    migrate(base, "ini", tmp_path / "back.ini")
    back = read_defaults_ini(tmp_path / "back.ini")
    assert back.entries["strategy"].value == "deepspeed"
    assert list(back.entries) == list(read_defaults_ini(SEED_INI).entries)
    assert back.entries["strategy"].help == "Multi-GPU strategy for PyTorch Lightning"


def test_reading_an_edited_tree_agrees_with_hydra(tmp_path: Path) -> None:
    """satconf composes a tree (without hydra-core) the way Hydra does."""
    migrate(SEED_INI, "hydra", tmp_path / "tree")
    training = tmp_path / "tree" / "config" / "training"
    ds = training / "strategy" / "deepspeed.yaml"
    ds.write_text(ds.read_text(encoding="utf-8") + 'precision: "bf16-mixed"\nzero: {stage: 2}\n',
                  encoding="utf-8")
    base = training / "base.yaml"
    text = base.read_text(encoding="utf-8").replace('strategy: "auto"', 'strategy: "deepspeed"')
    base.write_text(text + "zero: {stage: 1, offload: false}\n", encoding="utf-8")
    migrate(tmp_path / "tree", "yaml", tmp_path / "flat.yaml")
    flat = yaml.safe_load((tmp_path / "flat.yaml").read_text(encoding="utf-8"))
    composed = _compose(tmp_path / "tree")
    assert composed["precision"] == "bf16-mixed"  # the group comes after _self_ and wins
    assert composed["zero"] == {"stage": 2, "offload": False}  # mappings merge
    assert flat == composed
