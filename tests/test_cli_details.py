"""Issue 15 items 12, 14 and 15 through the real `satconf` process: listing with no action,
the flag spelling of --set keys, one line per error, readable INI errors, a schema that
says what validation says, refused negative tails and missing pythons, aligned wide names,
profile diffs that see GPUs and launch options, and the workspace found upward and named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from satconf.profiles import Profile, ProfileStore
from satconf.profiles.diff import launch_settings
from satconf.setkeys import normalise_set_key, unknown_key_message
from satconf.textwidth import cell_width, ljust_cells

from conftest import make_workspace


@pytest.fixture
def demo_ws(tmp_path: Path) -> Path:
    """A copy of the embedded demo: its values pass the preflight, so a dry run succeeds."""
    from satconf.workspace import copy_demo

    return copy_demo(tmp_path / "demo")

# -- small pure helpers -------------------------------------------------------------------


def test_normalise_set_key() -> None:
    keys = {"batch_size", "val-every", "seed"}
    assert normalise_set_key(keys, "batch_size") == "batch_size"
    assert normalise_set_key(keys, "batch-size") == "batch_size"
    assert normalise_set_key(keys, "--batch-size") == "batch_size"
    assert normalise_set_key(keys, "val-every") == "val-every"  # the INI's own spelling stays
    assert normalise_set_key(keys, "nokey") == "nokey"
    assert "did you mean batch_size" in unknown_key_message(keys, "batch-sise")
    assert unknown_key_message(keys, "zzz") == "--set zzz: defaults.ini has no such key"


def test_cell_width() -> None:
    assert cell_width("abc") == 3
    assert cell_width("日本語") == 6
    assert cell_width("e\u0301") == 1  # e + combining acute
    assert cell_width(ljust_cells("日本", 6)) == 6


def test_launch_settings_flatten_options() -> None:
    got = launch_settings([0, 1], None, {"cluster": {"partition": "gpu", "nodes": 2}})
    assert got == {"gpus": "0,1", "python": "(satconf's default)",
                   "options.cluster.partition": "gpu", "options.cluster.nodes": 2}
    assert launch_settings(None, "/py", {})["gpus"] == "all visible"
    assert launch_settings([], None, None)["gpus"] == "none"


# -- the CLI ----------------------------------------------------------------------------------


def test_runs_and_profiles_with_no_action_list(run_satconf, tmp_path: Path) -> None:
    runs = run_satconf("runs", cwd=tmp_path)
    assert runs.returncode == 0 and "no runs yet" in runs.stdout + runs.stderr
    ProfileStore().save(Profile(name="first"))
    profiles = run_satconf("profiles", cwd=tmp_path)
    assert profiles.returncode == 0 and profiles.stdout.startswith("first")


def test_set_accepts_the_flag_spelling_and_suggests(run_satconf, demo_ws: Path) -> None:
    ok = run_satconf("launch", "--dry-run", "--json", "--workspace", str(demo_ws),
                     "--set", "batch-size=8")
    assert ok.returncode == 0, ok.stderr
    assert "--batch_size=8" in json.loads(ok.stdout)["argv"] or \
        "--batch-size=8" in json.loads(ok.stdout)["argv"]
    bad = run_satconf("launch", "--dry-run", "--workspace", str(demo_ws),
                      "--set", "batch-sise=8", "--set", "batch-sise=8")
    assert bad.returncode == 2
    lines = bad.stderr.strip().splitlines()
    assert lines == ["satconf: --set batch-sise: defaults.ini has no such key "
                     "(did you mean batch_size?)"]  # once, though given twice


def test_ini_syntax_error_reads_as_written(run_satconf, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", "[DEFAULTS]\nseed = 1\nthis line has no equals\n")
    out = run_satconf("launch", "--dry-run", "--workspace", str(ws))
    assert out.returncode == 1
    assert out.stderr.strip().endswith(
        "defaults.ini:3: cannot be parsed (not `key = value`): this line has no equals")
    assert "\\n" not in out.stderr and "'" not in out.stderr.split("cannot be parsed")[1]


def test_schema_val_every_says_what_validation_says(run_satconf, demo_ws: Path) -> None:
    out = run_satconf("schema", "--workspace", str(demo_ws))
    assert out.returncode == 0, out.stderr
    val_every = json.loads(out.stdout)["properties"]["val_every"]
    assert val_every["minimum"] == -1 and val_every["not"] == {"const": 0}
    zero = run_satconf("launch", "--dry-run", "--workspace", str(demo_ws),
                       "--set", "val_every=0")
    assert zero.returncode == 2 and "cannot be 0" in zero.stderr
    one = run_satconf("launch", "--dry-run", "--workspace", str(demo_ws),
                      "--set", "val_every=1")
    assert one.returncode == 0, one.stderr


@pytest.mark.parametrize("action", ["logs", "show"])
def test_negative_tail_is_refused(run_satconf, tmp_path: Path, action: str) -> None:
    out = run_satconf("runs", action, "--tail", "-3", "last", cwd=tmp_path)
    assert out.returncode == 2 and "negative" in out.stderr


def test_profiles_list_aligns_wide_names(run_satconf, tmp_path: Path) -> None:
    for name in ("日本語の設定", "ab"):
        ProfileStore().save(Profile(name=name))
    out = run_satconf("profiles", "list", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert sorted(line.split()[0] for line in lines) == ["ab", "日本語の設定"]
    starts = {cell_width(line[:line.index("20")]) for line in lines}  # columns before the date
    assert len(starts) == 1, out.stdout


def test_profiles_save_refuses_a_missing_python(run_satconf, seed_workspace: Path,
                                                tmp_path: Path) -> None:
    out = run_satconf("profiles", "save", "p", "--workspace", str(seed_workspace),
                      "--python", str(tmp_path / "nonexistent"))
    assert out.returncode == 1 and "no such file" in out.stderr
    assert not ProfileStore().exists("p")


def test_profiles_diff_sees_gpus_and_launch_options(run_satconf, tmp_path: Path) -> None:
    store = ProfileStore()
    store.save(Profile(name="two", gpus=[0, 1], options={"cluster": {"partition": "gpu"}}))
    store.save(Profile(name="none"))
    out = run_satconf("profiles", "diff", "two", "none", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "no differences" not in out.stderr
    rows = {line.split("  ")[0].strip(): line for line in out.stdout.splitlines()}
    assert "'0,1'" in rows["[launch] gpus"] and "'all visible'" in rows["[launch] gpus"]
    assert "'gpu'" in rows["[launch] options.cluster.partition"]
    as_json = json.loads(run_satconf("profiles", "diff", "two", "none", "--json",
                                     cwd=tmp_path).stdout)
    assert {d["key"] for d in as_json["launch_differences"]} == {
        "gpus", "options.cluster.partition"}


# -- the workspace: found upward, always named ------------------------------------------------


def test_workspace_found_above_the_current_folder(run_satconf, demo_ws: Path) -> None:
    deep = demo_ws / "stable_audio_tools" / "models"
    deep.mkdir(parents=True)
    out = run_satconf("launch", "--dry-run", "--json", cwd=deep)
    assert out.returncode == 0, out.stderr
    assert Path(json.loads(out.stdout)["cwd"]) == demo_ws.resolve()
    assert (f"using workspace {demo_ws.resolve()} (found above the current folder "
            f"{deep.resolve()})") in out.stderr


def test_workspace_reason_for_given_current_and_demo(run_satconf, demo_ws: Path,
                                                     tmp_path: Path) -> None:
    given = run_satconf("launch", "--dry-run", "--workspace", str(demo_ws), cwd=tmp_path)
    assert "(given with --workspace)" in given.stderr
    here = run_satconf("launch", "--dry-run", cwd=demo_ws)
    assert "(the current folder)" in here.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    demo = run_satconf("launch", "--dry-run", cwd=empty)
    assert demo.returncode == 0, demo.stderr
    assert "using the embedded demo workspace" in demo.stderr
    assert f"at or above {empty.resolve()}" in demo.stderr


def test_a_profile_whose_workspace_moved_says_so(run_satconf, demo_ws: Path,
                                                 tmp_path: Path) -> None:
    gone = tmp_path / "moved-away"
    ProfileStore().save(Profile(name="old", workspace=str(gone)))
    out = run_satconf("launch", "--dry-run", "--profile", "old", cwd=demo_ws)
    assert out.returncode == 0, out.stderr
    assert f"profile 'old' was saved in {gone}, which is no longer a workspace" in out.stderr
    assert "the current folder" in out.stderr
    ProfileStore().save(Profile(name="kept", workspace=str(demo_ws.resolve())))
    kept = run_satconf("launch", "--dry-run", "--profile", "kept", cwd=tmp_path)
    assert "the workspace profile 'kept' was saved in" in kept.stderr


# -- one exit-code rule -----------------------------------------------------------------------


@pytest.mark.parametrize(("args", "code"), [
    (("launch", "--dry-run", "--set", "oops"), 2),  # malformed on the command line
    (("launch", "--dry-run", "--set", "nokey=1"), 2),
    (("launch", "--dry-run", "--gpus", "x"), 2),
    (("runs", "logs", "--tail", "-1", "last"), 2),
    (("launch", "--dry-run", "--workspace", "/nonexistent/satconf"), 1),  # points at nothing
    (("launch", "--dry-run", "--profile", "nope"), 1),
    (("runs", "show", "nope"), 1),
])
def test_exit_codes_follow_one_rule(run_satconf, seed_workspace: Path, args: tuple[str, ...],
                                    code: int) -> None:
    out = run_satconf(*args, cwd=seed_workspace)
    assert out.returncode == code, (args, out.stderr)
    assert "Traceback" not in out.stderr
