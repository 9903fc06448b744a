"""The INI written back from every format is read by the real prefigure 0.0.9 as the source was."""

from __future__ import annotations

from pathlib import Path

import pytest

from satconf.defaults_ini import Kind, read_defaults_ini
from satconf.migrate import FORMATS, migrate
from test_migrate import EDGE_INI, LITERAL_INI

from conftest import SEED_INI
from prefig import parse

OUT = {"toml": "out.toml", "yaml": "out.yaml", "hydra": "tree", "ini": "out.ini"}


def _args(ini: Path) -> dict[str, object]:
    ns = parse(["python", "train.py", f"--config-file={ini}"], ini.parent)
    return vars(ns)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("which", ["seed", "edge", "literal"])
def test_prefigure_reads_the_ini_written_back(which: str, fmt: str, tmp_path: Path) -> None:
    if which == "seed":
        src = SEED_INI
    else:
        src = tmp_path / "source.ini"
        src.write_text(EDGE_INI if which == "edge" else LITERAL_INI, encoding="utf-8")
    migrate(src, fmt, tmp_path / OUT[fmt])
    back = tmp_path / "back" / "defaults.ini"
    migrate(tmp_path / OUT[fmt], "ini", back)

    before, after = _args(src), _args(back)
    ini = read_defaults_ini(src)
    registered = [k for k, e in ini.entries.items() if e.registered]
    for key in registered:
        attr = key.replace("-", "_")
        assert type(after[attr]) is type(before[attr]), key
        assert repr(after[attr]) == repr(before[attr]), key
        entry = ini.entries[key]
        if key == "name":
            assert after["name"] is None  # prefigure 0.0.9 ignores the INI's name
        elif entry.kind is Kind.BOOL:
            assert after[attr] is False  # a True/False literal is a switch, off by default
        else:
            assert repr(after[attr]) == repr(entry.value), key
    assert {k: v for k, v in after.items() if k != "config_file"} == {
        k: v for k, v in before.items() if k != "config_file"}
