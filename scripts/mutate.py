"""`make mutate`: mutation testing of satconf's core modules with mutmut, one module at a time.

Why per module: mutmut runs the selected tests once per mutant, and this machine has few
cores, so each module is mutated on its own with only the tests that cover it (MODULES).
Each module runs in a scratch copy of the checkout (src/, tests/, pyproject.toml with a
[tool.mutmut] section written for that module), so the working tree and its mutants/
folder are never touched. Prints the score per module (killed / all mutants) and, with
--survivors, each surviving mutant's diff.

Not part of `make test` or `.ci/run`: a full run takes tens of minutes.

    python scripts/mutate.py [--survivors] [--max-children N] [module ...]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# module under src/satconf -> the tests that cover it (kept in-process where possible:
# a test that runs satconf in a subprocess imports the unmutated checkout and kills nothing).
MODULES: dict[str, list[str]] = {
    # the argv oracle: every flag parsed back by the real prefigure, and the plan's env, shell
    # line, JSON and refusal texts (test_launch_paths also covers command.py, through the
    # TUI, but costs seconds per mutant)
    "command.py": ["tests/test_argv_prefigure.py", "tests/test_command_plan.py"],
    "defaults_ini.py": ["tests/test_defaults_ini.py", "tests/test_checks_logger_ini.py"],
    # in-process: real process groups and records, no supervisor (the CLI run tests in
    # test_runs_lifecycle.py and test_faults_runs.py cover the same through subprocesses)
    "runs/status.py": ["tests/test_runs_status.py", "tests/test_runs_stop.py",
                       "tests/test_runs_records.py"],
    "runs/recover.py": ["tests/test_runs_recover_choice.py", "tests/test_runs_recover_records.py",
                        "tests/test_runs_recover.py"],
    "checks/paths.py": ["tests/test_checks_paths_findings.py", "tests/test_checks_paths.py"],
    "checks/hardware.py": ["tests/test_checks_hardware_findings.py",
                           "tests/test_checks_hardware.py"],
    "checks/model_config.py": ["tests/test_checks_model_config_findings.py",
                               "tests/test_checks_model_config.py"],
    "checks/dataset_config.py": ["tests/test_checks_dataset_findings.py",
                                 "tests/test_checks_dataset.py"],
    "checks/train_source.py": ["tests/test_checks_train_source_reads.py",
                               "tests/test_checks_source.py"],
    # the cheap checks, called in-process on real workspaces (run_checks or the check itself)
    "checks/config_refs.py": ["tests/test_checks_config_refs_findings.py",
                              "tests/test_checks_config_refs.py"],
    "checks/imports.py": ["tests/test_checks_imports_findings.py", "tests/test_checks_imports.py"],
    "checks/ini_traps.py": ["tests/test_checks_ini_traps.py", "tests/test_checks_logger_ini.py",
                            "tests/test_checks_source.py"],
    "checks/logger.py": ["tests/test_checks_logger_findings.py", "tests/test_checks_logger_ini.py"],
    "checks/train_py.py": ["tests/test_checks_train_py_findings.py",
                           "tests/test_checks_logger_ini.py", "tests/test_checks_source.py"],
    "checks/run.py": ["tests/test_checks_run_all.py", "tests/test_checks_logger_ini.py",
                      "tests/test_checks_config_refs.py"],
    "checks/jsonfile.py": ["tests/test_checks_context_json.py",
                           "tests/test_checks_model_config.py"],
    "checks/context.py": ["tests/test_checks_context_json.py", "tests/test_checks_config_refs.py",
                          "tests/test_checks_logger_ini.py"],
    "checks/finding.py": ["tests/test_checks_context_json.py", "tests/test_checks_config_refs.py",
                          "tests/test_checks_logger_ini.py"],
    # the checkpoint verdicts on given summaries (checkpoints.py itself reads real ones in the
    # training python: a torch start per mutant)
    "checks/ckpt_verdicts.py": ["tests/test_checks_ckpt_verdicts.py"],
    # slow: its tests read real Lightning checkpoints in the training python (torch per mutant)
    "checks/checkpoints.py": ["tests/test_checks_checkpoints.py", "tests/test_checks_ckpt_fill.py"],
    # prepare/start/config_from_record in-process (test_launch_paths drives the same code
    # through the CLI in subprocesses and the form: seconds per mutant, few kills)
    "launch.py": ["tests/test_launch_unit.py", "tests/test_cluster_checks.py"],
}

# mutmut's words for a mutant the tests caught. Its "no tests" (no selected test runs the
# mutated function) counts as survived.
KILLED = {"killed", "timeout", "segfault"}


def mutmut_section(module: str, tests: list[str]) -> str:
    quoted = ", ".join(f'"{t}"' for t in tests)
    return (
        "\n[tool.mutmut]\n"
        'source_paths = ["src"]\n'
        f'only_mutate = ["src/satconf/{module}"]\n'
        f"pytest_add_cli_args_test_selection = [{quoted}]\n"
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q", "-x"]\n'
    )


def scratch_copy(module: str, tests: list[str], into: Path) -> None:
    # copy2 keeps mtimes: in a kept --work folder mutmut then regenerates only the mutants
    # of a source that changed, and keeps the results of the others.
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis")
    shutil.copytree(ROOT / "src", into / "src", ignore=ignore, dirs_exist_ok=True)
    shutil.copytree(ROOT / "tests", into / "tests", ignore=ignore, dirs_exist_ok=True)
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    text = re.sub(r"\n\[tool\.mutmut\]\n(?:[^\[].*\n?)*", "\n", text)  # ours replaces any
    (into / "pyproject.toml").write_text(text + mutmut_section(module, tests), encoding="utf-8")


def results(work: Path) -> dict[str, str]:
    out = subprocess.run([sys.executable, "-m", "mutmut", "results", "--all", "true"],
                         cwd=work, capture_output=True, text=True)
    found: dict[str, str] = {}
    for line in out.stdout.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep and name:
            found[name] = status.strip()
    return found


class MutationRunFailed(Exception):
    """mutmut stopped before judging every mutant (its clean test run failed, say): a score
    would count the unjudged ones as survivors."""


def _default_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_module(module: str, max_children: int, survivors: bool,
               keep: Path | None, work_root: Path | None = None,
               only: list[str] | None = None) -> tuple[int, int]:
    tests = MODULES[module]
    if work_root is not None:
        work = work_root / module.replace("/", "_")
        work.mkdir(parents=True, exist_ok=True)
    else:
        work = Path(tempfile.mkdtemp(prefix="satconf-mutate-"))
    try:
        scratch_copy(module, tests, work)
        # pytest keeps only its last 3 temporary folders under one root: a root of our own,
        # so other pytest sessions on the machine cannot delete a mutant run's files.
        env = {**os.environ, "WANDB_MODE": "disabled", "WANDB_SILENT": "true",
               "PYTEST_DEBUG_TEMPROOT": str(work / "tmp"),
               # one probe of the test interpreter for all mutants, not one per test session
               "SATCONF_TEST_PROBE_HOME": str(work / "probe-home")}
        (work / "tmp").mkdir(exist_ok=True)
        log = work / "mutmut.log"
        with log.open("w", encoding="utf-8") as out:
            # A job started with `&` from a script ignores SIGINT, and so would every run the
            # tests start and stop: the tests of stopping would fail and kill nothing.
            ran = subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children",
                                  str(max_children), *(only or [])],
                                 cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT,
                                 check=False, preexec_fn=_default_signals)
        found = results(work)
        unchecked = [n for n, s in found.items() if s == "not checked"]
        if ran.returncode != 0 or unchecked or not found:
            tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-15:]
            raise MutationRunFailed(
                f"mutmut exited {ran.returncode} with {len(unchecked)} of {len(found)} mutants "
                f"not checked; the end of {log}:\n  " + "\n  ".join(tail))
        killed = sum(1 for s in found.values() if s in KILLED)
        left = sorted(n for n, s in found.items() if s not in KILLED)
        if survivors:
            for name in left:
                print(f"--- {module}: {name} ({found[name]})")
                show = subprocess.run([sys.executable, "-m", "mutmut", "show", name],
                                      cwd=work, capture_output=True, text=True)
                print(show.stdout.rstrip())
        return killed, len(found)
    finally:
        if keep is not None:
            shutil.copytree(work / "mutants", keep / module.replace("/", "_"), dirs_exist_ok=True)
        if work_root is None:
            shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help=f"default: all of {', '.join(MODULES)}")
    parser.add_argument("--max-children", type=int, default=1,
                        help="mutants tested at once (default 1: the tests start processes)")
    parser.add_argument("--survivors", action="store_true", help="show each surviving mutant")
    parser.add_argument("--keep", type=Path, help="copy mutmut's mutants/ folder here")
    parser.add_argument("--work", type=Path,
                        help="keep each module's scratch copy under this folder and reuse it: a "
                             "rerun tests the new tests against the kept mutants")
    parser.add_argument("--only", nargs="+", metavar="MUTANT",
                        help="rerun only these mutants (mutmut names or globs; needs --work)")
    args = parser.parse_args()
    unknown = [m for m in args.modules if m not in MODULES]
    if unknown:
        parser.error(f"unknown module(s) {', '.join(unknown)}; known: {', '.join(MODULES)}")
    if args.only and not args.work:
        parser.error("--only needs --work (the kept mutants to rerun)")
    rows = []
    failed = 0
    for module in args.modules or list(MODULES):
        try:
            killed, total = run_module(module, args.max_children, args.survivors, args.keep,
                                       args.work, args.only)
        except MutationRunFailed as exc:
            failed += 1
            print(f"{module}: no score, {exc}", file=sys.stderr, flush=True)
            continue
        score = 100.0 * killed / total if total else 0.0
        rows.append((module, killed, total, score))
        print(f"{module}: {killed}/{total} killed ({score:.0f} %)", flush=True)
    print("\n| module | killed | mutants | score |\n| --- | ---: | ---: | ---: |")
    for module, killed, total, score in rows:
        print(f"| {module} | {killed} | {total} | {score:.0f} % |")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
