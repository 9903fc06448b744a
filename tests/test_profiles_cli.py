"""`satconf profiles ...` and `launch --profile` through the real CLI in a subprocess."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from satconf.defaults_ini import read_defaults_ini
from satconf.fields import build_fieldset

from conftest import make_workspace
from prefig import parse


def _ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stderr
    return result


def _json(result: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(_ok(result).stdout)


@pytest.fixture
def sc(run_satconf, launchable_workspace: Path):
    """The CLI with no stdin (never a terminal), run from the seed workspace."""
    def run(*args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
        kw.setdefault("input", "")
        kw.setdefault("cwd", launchable_workspace)
        return run_satconf(*args, **kw)

    return run


def _fields(ws: Path):
    return build_fieldset(read_defaults_ini(ws / "defaults.ini"))


def test_save_show_list(sc, launchable_workspace: Path, satconf_home: Path) -> None:
    r = _ok(sc("profiles", "save", "fine tune", "--set", "batch_size=8", "--set",
               "project=myproj", "--description", "bigger batches", "--gpus", "0,1"))
    assert r.stdout == "" and "saved profile 'fine tune'" in r.stderr
    assert (satconf_home / "profiles" / "fine tune.toml").is_file()
    shown = _json(sc("profiles", "show", "fine tune", "--json"))
    assert shown["values"]["batch_size"] == 8 and shown["values"]["project"] == "myproj"
    assert set(shown["values"]) == set(_fields(launchable_workspace).keys())
    assert shown["gpus"] == [0, 1] and shown["description"] == "bigger batches"
    assert shown["workspace"] == str(launchable_workspace.resolve())
    assert shown["format"] == 1 and shown["warnings"] == []
    listed = _json(sc("profiles", "list", "--json"))
    assert [p["name"] for p in listed["profiles"]] == ["fine tune"] and listed["errors"] == []
    assert listed["root"] == str(satconf_home / "profiles")
    human = _ok(sc("profiles", "list")).stdout
    assert human.startswith("fine tune  ") and "bigger batches" in human
    text = _ok(sc("profiles", "show", "fine tune")).stdout
    assert "batch_size = 8" in text and "gpus:        0,1" in text


def test_save_updates_in_place_and_from(sc) -> None:
    _ok(sc("profiles", "save", "a", "--set", "batch_size=8"))
    first = _json(sc("profiles", "show", "a", "--json"))
    _ok(sc("profiles", "save", "a", "--set", "seed=7"))  # keeps batch_size=8
    a = _json(sc("profiles", "show", "a", "--json"))
    assert (a["values"]["batch_size"], a["values"]["seed"]) == (8, 7)
    assert a["created"] == first["created"]
    _ok(sc("profiles", "save", "b", "--from", "a", "--set", "seed=9"))
    b = _json(sc("profiles", "show", "b", "--json"))
    assert (b["values"]["batch_size"], b["values"]["seed"]) == (8, 9)
    assert _json(sc("profiles", "show", "a", "--json"))["values"]["seed"] == 7
    r = sc("profiles", "save", "b", "--from", "a")
    assert r.returncode == 2 and "add --force" in r.stderr
    assert _json(sc("profiles", "show", "b", "--json"))["values"]["seed"] == 9
    _ok(sc("profiles", "save", "b", "--from", "a", "--force"))
    assert _json(sc("profiles", "show", "b", "--json"))["values"]["seed"] == 7


def test_save_refuses_bad_input(sc, tmp_path: Path, satconf_home: Path) -> None:
    for args, code, message in [
        (("--set", "batch_size=abc"), 2, "'abc' is not a whole number"),
        (("--set", "no_such_key=1"), 2, "no such key"),
        (("--set", "batch_size=0"), 2, "batch_size"),
        (("--gpus", "x"), 2, "not a GPU index"),
        (("--from", "missing"), 1, "no profile named 'missing'"),
    ]:
        r = sc("profiles", "save", "p", *args)
        assert r.returncode == code and message in r.stderr, (args, r.stderr)
    for name, rule in [("../x", "path separator"), ("a/b", "path separator"),
                       (".hidden", "starts with a dot"), ("x" * 65, "the limit is 64")]:
        r = sc("profiles", "save", name)
        assert r.returncode == 2 and rule in r.stderr
    # A workspace whose own defaults are invalid: the profile is not saved (exit 1).
    bad = make_workspace(tmp_path / "bad", "[DEFAULTS]\nname = 'x'\nbatch_size = 0\n")
    r = sc("profiles", "save", "p", "--workspace", str(bad))
    assert r.returncode == 1 and "error: batch_size" in r.stderr and "not saved" in r.stderr
    assert not (satconf_home / "profiles" / "p.toml").exists()


def test_launch_dry_run_uses_profile_and_set_overrides(sc, launchable_workspace: Path) -> None:
    _ok(sc("profiles", "save", "run", "--set", "batch_size=8", "--set", "seed=7",
           "--set", "precision=bf16-mixed", "--gpus", "1"))
    plan = _json(sc("launch", "--dry-run", "--json", "--profile", "run"))
    assert {"--batch-size=8", "--seed=7", "--precision=bf16-mixed"} <= set(plan["argv"])
    assert plan["env"]["CUDA_VISIBLE_DEVICES"] == "1"
    plan = _json(sc("launch", "--dry-run", "--json", "--profile", "run", "--set",
                    "batch_size=16", "--gpus", "0"))
    assert "--batch-size=16" in plan["argv"] and "--batch-size=8" not in plan["argv"]
    assert "--seed=7" in plan["argv"] and plan["env"]["CUDA_VISIBLE_DEVICES"] == "0"
    # The real prefigure reads the profile's values back from that command line.
    ns = parse(plan["argv"], launchable_workspace)
    assert (ns.batch_size, ns.seed, ns.precision) == (16, 7, "bf16-mixed")
    r = sc("launch", "--dry-run", "--json", "--profile", "../x")
    assert r.returncode == 2 and "path separator" in r.stderr and r.stdout == ""
    r = sc("launch", "--dry-run", "--json", "--profile", "rnu")
    assert r.returncode == 1 and "no profile named 'rnu'; did you mean 'run'" in r.stderr


def test_diff(sc) -> None:
    _ok(sc("profiles", "save", "a", "--set", "batch_size=8"))
    _ok(sc("profiles", "save", "b", "--set", "batch_size=8", "--set", "project=p"))
    out = _ok(sc("profiles", "diff", "a")).stdout.splitlines()
    assert out[0].split()[:2] == ["key", "a"] and "defaults.ini" in out[0]
    assert [line.split() for line in out[1:]] == [["batch_size", "8", "4"]]
    d = _json(sc("profiles", "diff", "a", "--json"))
    assert d["differences"] == [{"key": "batch_size", "a": 8, "b": 4, "in_a": True,
                                 "in_b": True}]
    d = _json(sc("profiles", "diff", "a", "b", "--json"))
    assert (d["a"], d["b"]) == ("a", "b")
    assert d["differences"] == [{"key": "project", "a": None, "b": "p", "in_a": True,
                                 "in_b": True}]
    r = _ok(sc("profiles", "diff", "a", "a"))
    assert r.stdout == "" and "no differences" in r.stderr
    assert sc("profiles", "diff", "a", "zzz").returncode == 1


def test_rename_copy_delete(sc, satconf_home: Path) -> None:
    folder = satconf_home / "profiles"
    _ok(sc("profiles", "save", "a", "--set", "seed=3"))
    _ok(sc("profiles", "rename", "a", "b"))
    assert sc("profiles", "show", "a").returncode == 1
    _ok(sc("profiles", "copy", "b", "c"))
    assert _json(sc("profiles", "show", "c", "--json"))["values"]["seed"] == 3
    r = sc("profiles", "rename", "b", "c")
    assert r.returncode == 2 and "'c' already exists" in r.stderr
    assert sc("profiles", "copy", "b", "../c").returncode == 2
    r = sc("profiles", "delete", "c")  # no terminal and no --yes: refuse
    assert r.returncode == 2 and "--yes" in r.stderr and (folder / "c.toml").is_file()
    _ok(sc("profiles", "delete", "c", "--yes"))
    assert not (folder / "c.toml").exists()
    assert sc("profiles", "delete", "c", "--yes").returncode == 1
    assert sorted(p.name for p in folder.iterdir()) == ["b.toml"]


def _delete_on_tty(name: str, answer: bytes, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "satconf.cli", "profiles", "delete", name],
                                stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                cwd=cwd)
        os.close(slave)
        os.write(master, answer)
        out, err = proc.communicate(timeout=60)
    finally:
        os.close(master)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_delete_asks_on_a_terminal(sc, launchable_workspace: Path, satconf_home: Path) -> None:
    _ok(sc("profiles", "save", "keep me"))
    path = satconf_home / "profiles" / "keep me.toml"
    r = _delete_on_tty("keep me", b"n\n", launchable_workspace)
    assert r.returncode == 1 and b"Delete profile 'keep me'" in r.stderr and path.is_file()
    r = _delete_on_tty("keep me", b"y\n", launchable_workspace)
    assert r.returncode == 0 and not path.exists()


def test_import_and_export(sc, launchable_workspace: Path, tmp_path: Path) -> None:
    ini = launchable_workspace / "defaults.ini"
    _ok(sc("profiles", "import", str(ini), "--name", "from ini"))
    imported = _json(sc("profiles", "show", "from ini", "--json"))
    defaults = _fields(launchable_workspace).defaults()
    assert imported["values"] == json.loads(json.dumps(defaults))
    assert imported["workspace"] == str(launchable_workspace.resolve())
    r = sc("profiles", "import", str(ini), "--name", "from ini")
    assert r.returncode == 2 and "already exists" in r.stderr

    _ok(sc("profiles", "save", "p", "--set", "batch_size=8", "--set", "project=proj",
           "--set", "gradient_clip_val=1e-05", "--set", "name=ünï \"run\""))
    out = tmp_path / "out.toml"
    _ok(sc("profiles", "export", "p", str(out)))
    _ok(sc("profiles", "import", str(out), "--name", "p2"))
    p = _json(sc("profiles", "show", "p", "--json"))
    p2 = _json(sc("profiles", "show", "p2", "--json"))
    assert p2["values"] == p["values"] and p2["created"] == p["created"]
    # Never overwrite a file without --force.
    out.write_text("mine")
    r = sc("profiles", "export", "p", str(out))
    assert r.returncode == 2 and out.read_text() == "mine"
    _ok(sc("profiles", "export", "p", str(out), "--force"))
    assert out.read_text().startswith("# satconf profile")

    # An exported INI, given to the real prefigure as --config-file, is the same run.
    out_ini = tmp_path / "exported.ini"
    _ok(sc("profiles", "export", "p", str(out_ini)))
    plan = _json(sc("launch", "--dry-run", "--json", "--profile", "p"))
    want = vars(parse(plan["argv"], launchable_workspace))
    got = vars(parse(["python", "train.py", f"--config-file={out_ini}"], launchable_workspace))
    for ns in (want, got):
        ns.pop("config_file")
        ns.pop("name")  # prefigure 0.0.9 never reads `name` from an INI
    assert got == want
    assert (got["batch_size"], got["project"], got["gradient_clip_val"]) == (8, "proj", 1e-05)

    bad = tmp_path / "bad.toml"
    bad.write_text('format = 1\nname = "x"\ncreated = "never"\n')
    r = sc("profiles", "import", str(bad))
    assert r.returncode == 1 and f"{bad}:3:" in r.stderr
    r = sc("profiles", "import", str(tmp_path / "nope.ini"))
    assert r.returncode == 1 and "does not exist" in r.stderr


def test_corrupt_profile_is_reported_and_hides_nothing(sc, satconf_home: Path) -> None:
    _ok(sc("profiles", "save", "good"))
    bad = satconf_home / "profiles" / "bad.toml"
    bad.write_bytes(b"format = 1\ncreated = 'x'\n")
    r = sc("profiles", "list")
    assert r.returncode == 1 and r.stdout.startswith("good ")
    assert f"{bad}:2: `created` must be a date and time" in r.stderr
    listed = json.loads(sc("profiles", "list", "--json").stdout)
    assert [p["name"] for p in listed["profiles"]] == ["good"]
    assert listed["errors"][0]["file"] == str(bad) and listed["errors"][0]["line"] == 2
    for args in (("profiles", "show", "bad"), ("launch", "--dry-run", "--profile", "bad"),
                 ("profiles", "save", "bad")):
        r = sc(*args)
        assert r.returncode == 1 and f"{bad}:2:" in r.stderr, args
    assert bad.read_bytes() == b"format = 1\ncreated = 'x'\n"
    bare = sc("profiles")  # no action lists, and says the unreadable one (exit 1)
    assert bare.returncode == 1 and bare.stdout.startswith("good") and f"{bad}:2:" in bare.stderr
