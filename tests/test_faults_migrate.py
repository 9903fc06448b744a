"""Issue 14 on `satconf migrate`: hostile sources (items 5, 6, 7, 8, 17), through the real CLI."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

LIMIT_S = 10.0  # a hang or a blow-up shows far past this; a slow shared machine does not


def _migrate(run_satconf, source: Path | str, to: str = "toml"):
    t0 = time.monotonic()
    out = run_satconf("migrate", str(source), "--to", to, "-", timeout=60)
    elapsed = time.monotonic() - t0
    assert "Traceback" not in out.stderr, out.stderr
    assert out.returncode in (1, 2), (out.returncode, out.stderr)
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert elapsed < LIMIT_S, elapsed
    return out


def test_dev_zero_and_a_fifo_are_refused_at_once(tmp_path: Path, run_satconf) -> None:
    """Item 5: only regular files are read; nothing grows, nothing waits for a writer."""
    assert "device" in _migrate(run_satconf, "/dev/zero").stderr
    fifo = tmp_path / "defaults.ini"
    os.mkfifo(fifo)
    assert "FIFO" in _migrate(run_satconf, fifo).stderr
    zero = tmp_path / "zero.yaml"
    zero.symlink_to("/dev/zero")
    assert "device" in _migrate(run_satconf, zero).stderr


def test_a_huge_file_is_refused_by_size(tmp_path: Path, run_satconf) -> None:
    huge = tmp_path / "huge.yaml"
    with open(huge, "wb") as f:
        f.truncate(100 * 1024 * 1024)  # sparse: costs no disk
    assert "too large" in _migrate(run_satconf, huge).stderr


def _laughs(levels: int, width: int = 9) -> str:
    lines = ['a0: &a0 "lol"']
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("levels", [6, 9])
def test_billion_laughs_is_refused_quickly(tmp_path: Path, run_satconf, levels: int) -> None:
    """Item 6: aliases that expand past the bound are one error, found without expanding."""
    src = tmp_path / "laughs.yaml"
    src.write_text(_laughs(levels))
    out = _migrate(run_satconf, src)
    assert "aliases" in out.stderr


def test_a_few_aliases_still_work(tmp_path: Path, run_satconf) -> None:
    src = tmp_path / "ok.yaml"
    src.write_text("base: &b [1, 2]\ncopy: *b\n")
    out = run_satconf("migrate", str(src), "--to", "toml", "-")
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize("text", ["a: " + "[" * 20000 + "]" * 20000,
                                  "a:\n" + "".join(" " * i + "-\n" for i in range(300)),
                                  "a: " + "{b: " * 20000 + "1" + "}" * 20000],
                         ids=["flow-list", "block-list", "flow-map"])
def test_deep_yaml_is_one_error(tmp_path: Path, run_satconf, text: str) -> None:
    """Item 7: a 20,000-deep YAML list (flow or block) or mapping."""
    src = tmp_path / "deep.yaml"
    src.write_text(text + "\n")
    assert "nested" in _migrate(run_satconf, src).stderr


@pytest.mark.parametrize("name,text", [
    ("big.yaml", "seed: " + "9" * 5000 + "\n"),
    ("big.toml", "seed = " + "9" * 5000 + "\n"),
    ("deep.toml", "a = " + "[" * 50000 + "]" * 50000 + "\n"),
    ("big.cfg", "[DEFAULTS]\nseed = " + "9" * 5000 + "\n"),
], ids=["yaml-int", "toml-int", "toml-deep", "ini-int"])
def test_huge_ints_and_deep_toml_are_one_error(tmp_path: Path, run_satconf, name: str,
                                               text: str) -> None:
    """Items 7 and 8 in the TOML and INI sources too."""
    src = tmp_path / name
    src.write_text(text)
    out = run_satconf("migrate", str(src), "--to", "yaml", "-", timeout=60)
    assert "Traceback" not in out.stderr, out.stderr
    assert out.returncode in (0, 1, 2)
    if name != "big.cfg":  # an INI value is text to prefigure: it may well convert
        assert out.returncode == 1 and len(out.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("entry", ["strategy: ../../../outside", "../../..: outside",
                                   "strategy: /etc/passwd"])
def test_hydra_defaults_stay_inside_the_tree(tmp_path: Path, run_satconf, entry: str) -> None:
    """Item 17: a defaults list naming `..` or an absolute path is refused, not read."""
    tree = tmp_path / "tree" / "config" / "training"
    tree.mkdir(parents=True)
    secret = tmp_path / "outside.yaml"
    secret.write_text("# @package _global_\nleaked: the secret\n")
    (tree / "base.yaml").write_text(f"defaults:\n  - {entry}\n  - _self_\nbatch_size: 4\n")
    out = run_satconf("migrate", str(tmp_path / "tree"), "--to", "yaml", "-")
    assert "Traceback" not in out.stderr
    assert out.returncode == 1, out.stdout
    assert "the secret" not in out.stdout


def test_hydra_symlink_out_of_the_tree_is_refused(tmp_path: Path, run_satconf) -> None:
    tree = tmp_path / "tree" / "config" / "training"
    (tree / "strategy").mkdir(parents=True)
    secret = tmp_path / "outside.yaml"
    secret.write_text("# @package _global_\nleaked: the secret\n")
    (tree / "strategy" / "sneaky.yaml").symlink_to(secret)
    (tree / "base.yaml").write_text("defaults:\n  - strategy: sneaky\n  - _self_\nx: 1\n")
    out = run_satconf("migrate", str(tmp_path / "tree"), "--to", "yaml", "-")
    assert out.returncode == 1 and "outside" in out.stderr
    assert "the secret" not in out.stdout
