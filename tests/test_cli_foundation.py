"""The CLI skeleton through the real `satconf` process."""

from __future__ import annotations

import json
from pathlib import Path

from satconf import __version__

from checks_support import write_lightning_checkpoint
from conftest import make_workspace
from prefig import parse


def test_version(run_satconf) -> None:
    out = run_satconf("--version")
    assert out.returncode == 0 and out.stdout.strip() == f"satconf {__version__}"


def test_schema_lists_every_field_with_its_group(run_satconf, seed_workspace: Path) -> None:
    out = run_satconf("schema", "--workspace", str(seed_workspace))
    assert out.returncode == 0, out.stderr
    schema = json.loads(out.stdout)
    props = schema["properties"]
    assert len(props) == 23
    assert props["batch_size"]["minimum"] == 1
    assert props["model_config"]["group"] == "Configuration files"


def test_dry_run_json_is_the_plan_prefigure_parses(run_satconf, launchable_workspace: Path) -> None:
    out = run_satconf("launch", "--dry-run", "--json", "--workspace", str(launchable_workspace),
                      "--set", "batch_size=8", "--set", "name=my run", "--set", "project=-p",
                      "--set", "precision=bf16-mixed", "--gpus", "1,0")
    assert out.returncode == 0, out.stderr
    plan = json.loads(out.stdout)
    assert {"argv", "env", "cwd"} <= set(plan) and plan["engine"] == "local"
    assert plan["cwd"] == str(launchable_workspace.resolve())
    assert plan["env"]["CUDA_VISIBLE_DEVICES"] == "1,0"
    ns = parse(plan["argv"], launchable_workspace)
    assert (ns.batch_size, ns.name, ns.project, ns.precision) == (8, "my run", "-p", "bf16-mixed")


def test_dry_run_from_elsewhere_uses_the_demo_workspace(run_satconf, tmp_path: Path) -> None:
    out = run_satconf("launch", "--dry-run", "--json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    plan = json.loads(out.stdout)
    assert (Path(plan["cwd"]) / "train.py").is_file()
    assert "max_steps" in (Path(plan["cwd"]) / "defaults.ini").read_text()


def test_bad_sets_exit_2_with_one_line_each(run_satconf, seed_workspace: Path) -> None:
    out = run_satconf("launch", "--dry-run", "--json", "--workspace", str(seed_workspace),
                      "--set", "batch_size=four", "--set", "nokey=1", "--set", "val_every=0",
                      "--set", "strategy=warp", "--set", "oops")
    assert out.returncode == 2
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 5, lines
    assert any("batch_size" in ln and "not a whole number" in ln for ln in lines)
    assert any("nokey" in ln for ln in lines)
    assert any("val_every" in ln and "cannot be 0" in ln for ln in lines)
    assert any("strategy" in ln for ln in lines)


def test_config_errors_exit_1(run_satconf, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", "[DEFAULTS]\nbatch_size = 0\n")
    out = run_satconf("launch", "--dry-run", "--json", "--workspace", str(ws))
    assert out.returncode == 1
    assert "batch_size" in out.stderr and "Traceback" not in out.stderr
    broken = make_workspace(tmp_path / "broken", "no section\n")
    out = run_satconf("launch", "--dry-run", "--workspace", str(broken))
    assert out.returncode == 1
    assert "defaults.ini:1" in out.stderr and "Traceback" not in out.stderr


def test_missing_workspace_is_a_clear_error(run_satconf, tmp_path: Path) -> None:
    out = run_satconf("launch", "--dry-run", "--workspace", str(tmp_path / "nope"))
    assert out.returncode == 1 and "does not exist" in out.stderr


def test_a_profile_launches_in_its_own_workspace(run_satconf, launchable_workspace: Path,
                                                 tmp_path: Path) -> None:
    saved = run_satconf("profiles", "save", "mine", "--workspace", str(launchable_workspace),
                        "--set", "batch_size=5")
    assert saved.returncode == 0, saved.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = run_satconf("launch", "--dry-run", "--json", "--profile", "mine", cwd=elsewhere)
    assert out.returncode == 0, out.stderr
    plan = json.loads(out.stdout)
    assert plan["cwd"] == str(launchable_workspace.resolve())
    assert "--batch-size=5" in plan["argv"]


def test_dry_run_shows_the_checkpoint_recover_picks(run_satconf,
                                                    launchable_workspace: Path) -> None:
    ckpts = launchable_workspace / "out"  # no logger: train.py saves straight into save_dir
    ckpts.mkdir(parents=True)
    for name in ("epoch=0-step=100.ckpt", "epoch=1-step=300.ckpt"):
        (ckpts / name).write_bytes(b"x")
    write_lightning_checkpoint(ckpts / "epoch=1-step=2000.ckpt", 2000)  # the one it picks
    out = run_satconf("launch", "--dry-run", "--json", "--workspace", str(launchable_workspace),
                      "--set", "recover=true", "--set", "save_dir=out")
    assert out.returncode == 0, out.stderr
    argv = json.loads(out.stdout)["argv"]
    picked = [a for a in argv if a.startswith("--ckpt-path=")]
    assert picked and picked[0].endswith("epoch=1-step=2000.ckpt")
    assert "resuming from" in out.stderr


def test_only_the_named_subcommand_is_imported() -> None:
    from satconf.cli import COMMANDS, commands_for

    assert commands_for([]) == ()
    assert commands_for(["--workspace", "x", "--profile=p"]) == ()
    assert commands_for(["tui", "--workspace", "x"]) == ()
    assert commands_for(["--workspace", "x", "launch", "--dry-run"]) == ("launch",)
    assert commands_for(["profiles", "list"]) == ("profiles",)
    assert commands_for(["--help"]) == COMMANDS
    assert commands_for(["nosuch"]) == COMMANDS


def test_help_lists_every_command(run_satconf) -> None:
    out = run_satconf("--help")
    assert out.returncode == 0
    for name in ("launch", "check", "schema", "profiles", "runs", "migrate", "demo", "tui"):
        assert name in out.stdout
