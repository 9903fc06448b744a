"""`satconf migrate` through the real CLI in a subprocess."""

from __future__ import annotations

import json
from pathlib import Path

from satconf.cli import migrate as cli_migrate
from satconf.defaults_ini import parse_defaults_ini, read_defaults_ini
from satconf.migrate import FORMATS
from test_migrate import EDGE_INI

from conftest import SEED_INI


def test_cli_formats_match_the_package() -> None:
    assert cli_migrate.FORMATS == FORMATS


def test_writes_and_refuses_to_overwrite_without_force(run_satconf, tmp_path: Path) -> None:
    out = tmp_path / "out.yaml"
    first = run_satconf("migrate", str(SEED_INI), "--to", "yaml", str(out))
    assert first.returncode == 0, first.stderr
    assert "wrote yaml" in first.stdout
    written = out.read_bytes()

    out.write_text("mine: 1\n", encoding="utf-8")
    again = run_satconf("migrate", str(SEED_INI), "--to", "yaml", str(out))
    assert again.returncode == 1
    assert f"{out}: exists already; pass --force" in again.stderr
    assert out.read_text(encoding="utf-8") == "mine: 1\n"

    forced = run_satconf("migrate", str(SEED_INI), "--to", "yaml", str(out), "--force")
    assert forced.returncode == 0, forced.stderr
    assert out.read_bytes().split(b"\n", 1)[1] == written.split(b"\n", 1)[1]
    assert [p.name for p in tmp_path.iterdir()] == ["out.yaml"]  # no temporary files left


def test_hydra_tree_refuses_an_existing_tree(run_satconf, tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    assert run_satconf("migrate", str(SEED_INI), "--to", "hydra", str(tree)).returncode == 0
    base = tree / "config" / "training" / "base.yaml"
    before = base.read_text(encoding="utf-8")
    again = run_satconf("migrate", str(SEED_INI), "--to", "hydra", str(tree))
    assert again.returncode == 1 and "--force" in again.stderr
    assert base.read_text(encoding="utf-8") == before
    back = run_satconf("migrate", str(tree), "--to", "ini", str(tmp_path / "back.ini"))
    assert back.returncode == 0, back.stderr
    assert list(read_defaults_ini(tmp_path / "back.ini").entries) == list(
        read_defaults_ini(SEED_INI).entries)


def test_warnings_and_json_result(run_satconf, tmp_path: Path) -> None:
    src = tmp_path / "fork.ini"
    src.write_text(EDGE_INI, encoding="utf-8")
    res = run_satconf("migrate", str(src), "--to", "toml", str(tmp_path / "fork.toml"), "--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["source_format"] == "ini" and data["target"] == "toml"
    assert data["written"] == [str(tmp_path / "fork.toml")]
    keys = {n["key"] for n in data["notes"]}
    assert {"project", "tuple_val", "set_val", "bigint", "out_dir"} <= keys
    assert "satconf: warning: project: TOML has no None" in res.stderr
    assert "satconf: warning: tuple_val: TOML cannot hold tuple" in res.stderr


def test_bad_input_is_exit_1_with_file_and_line(run_satconf, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("batch_size: 4\nlr: [1,\n", encoding="utf-8")
    res = run_satconf("migrate", str(bad), "--to", "ini", str(tmp_path / "out.ini"))
    assert res.returncode == 1
    assert res.stderr.startswith(f"satconf: {bad}:3: is not valid YAML")
    assert "Traceback" not in res.stderr
    assert not (tmp_path / "out.ini").exists()
    missing = run_satconf("migrate", str(tmp_path / "nope.ini"), "--to", "yaml",
                          str(tmp_path / "x.yaml"))
    assert missing.returncode == 1 and "does not exist" in missing.stderr


def test_usage_errors_are_exit_2(run_satconf, tmp_path: Path) -> None:
    no_to = run_satconf("migrate", str(SEED_INI), str(tmp_path / "x.yaml"))
    assert no_to.returncode == 2 and "--to" in no_to.stderr
    bad_to = run_satconf("migrate", str(SEED_INI), "--to", "xml", str(tmp_path / "x.xml"))
    assert bad_to.returncode == 2 and "invalid choice" in bad_to.stderr
    hydra_file = run_satconf("migrate", str(SEED_INI), "--to", "hydra", str(tmp_path / "b.yaml"))
    assert hydra_file.returncode == 2 and "folder" in hydra_file.stderr
    assert list(tmp_path.iterdir()) == []


def test_toml_is_imported_by_satconf_profiles(run_satconf, tmp_path: Path) -> None:
    src = tmp_path / "fork.ini"
    src.write_text(EDGE_INI, encoding="utf-8")
    out = tmp_path / "fork-run.toml"
    assert run_satconf("migrate", str(src), "--to", "toml", str(out)).returncode == 0
    imp = run_satconf("profiles", "import", str(out))
    assert imp.returncode == 0, imp.stderr
    shown = run_satconf("profiles", "show", "fork-run", "--json")
    assert shown.returncode == 0, shown.stderr
    values = json.loads(shown.stdout)["values"]
    entries = read_defaults_ini(src).entries
    assert set(values) == set(entries)
    assert values["batch_size"] == -3 and values["recover"] is True and values["project"] is None
    assert values["lr"] == 1e-05 and values["precision"] == "16-mixed"

    # The store's own copy (comments dropped) still migrates back to the same values.
    exported = tmp_path / "exported.toml"
    exp = run_satconf("profiles", "export", "fork-run", str(exported))
    assert exp.returncode == 0, exp.stderr
    back = run_satconf("migrate", str(exported), "--to", "ini", str(tmp_path / "back.ini"))
    assert back.returncode == 0, back.stderr
    again = read_defaults_ini(tmp_path / "back.ini").entries
    for key, entry in entries.items():
        if entry.registered:
            assert repr(again[key].value) == repr(entry.value), key


def test_dash_prints_to_stdout(run_satconf, tmp_path: Path) -> None:
    res = run_satconf("migrate", str(SEED_INI), "--to", "ini", "-", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    printed = parse_defaults_ini(res.stdout, "stdout")
    assert {k: repr(e.value) for k, e in printed.entries.items()} == {
        k: repr(e.value) for k, e in read_defaults_ini(SEED_INI).entries.items()}
    assert list(tmp_path.iterdir()) == []
    tree = run_satconf("migrate", str(SEED_INI), "--to", "hydra", "-", cwd=tmp_path)
    assert tree.returncode == 2 and "folder" in tree.stderr
