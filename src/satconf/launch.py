"""The launch use case: a resolved config -> recover -> preflight -> the engine's plan -> start.

`satconf check`, `satconf launch [--dry-run]`, the form's checks panel, its
preview and its launch key all go through `prepare` and `start`, so what is
previewed is what is checked and what is started: `start` takes the very
`Prepared` object a preview showed and refuses it while it holds an error
(unless forced, which the run's record then says, with the findings it
overrode). Nothing here imports the CLI or Textual.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from satconf.checks.finding import Finding, error, findings_from_errors, sort_findings
from satconf.cluster.options import (
    OPTIONS_KEY,
    ClusterOptions,
    ClusterOptionsError,
    from_profile_options,
    option_errors,
)
from satconf.command import PlanError
from satconf.runconfig import RunConfig
from satconf.runs.engines import get_engine
from satconf.runs.records import RunError, RunRecord

if TYPE_CHECKING:
    from satconf.cluster.plan import EnginePlan


class LaunchRefused(RunError):
    """`start` was given a plan with error findings (and no `force`)."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        first = findings[0]
        super().__init__(f"{len(findings)} error(s); nothing was launched: "
                         + (f"{first.field}: " if first.field else "") + first.message)


@dataclass(frozen=True)
class Prepared:
    """One checked run, ready to preview and to start."""

    config: RunConfig  # recover applied: the values the run gets
    options: ClusterOptions
    plan: EnginePlan | None  # None while the values cannot become a command line
    findings: tuple[Finding, ...]
    notes: tuple[str, ...] = ()  # what recover chose, said once to the user
    deep: bool = False  # the findings include the training python's and the checkpoints'
    plan_error: str | None = None

    @property
    def engine(self) -> str:
        return self.options.engine

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "warning"]

    def with_findings(self, findings: list[Finding], *, deep: bool) -> Prepared:
        """The same plan with other findings (the form's deeper checks arriving later)."""
        return replace(self, findings=tuple(sort_findings(list(findings))), deep=deep)

    def preview(self) -> str:
        if self.plan is None:
            return f"Cannot build the command: {self.plan_error}"
        return self.plan.render()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = self.plan.to_json() if self.plan is not None else {
            "engine": self.engine, "plan_error": self.plan_error}
        out["notes"] = list(self.notes)
        out["findings"] = [f.to_json() for f in self.findings]
        return out


def engine_options(config: RunConfig) -> tuple[ClusterOptions, list[Finding]]:
    """The engine options a config carries (its profile's table and any overrides); the
    last answer is reused while the table is the same (every keystroke asks)."""
    key = repr(config.options.get(OPTIONS_KEY))
    if _OPTIONS_CACHE.get("key") == key:
        opts, found = _OPTIONS_CACHE["value"]
        return opts, list(found)
    result = _engine_options(config)
    _OPTIONS_CACHE.update(key=key, value=(result[0], tuple(result[1])))
    return result


_OPTIONS_CACHE: dict[str, Any] = {}


def _engine_options(config: RunConfig) -> tuple[ClusterOptions, list[Finding]]:
    try:
        return from_profile_options(config.options), []
    except ClusterOptionsError:
        table = config.options.get(OPTIONS_KEY)
        if not isinstance(table, dict):
            return ClusterOptions(), [error(OPTIONS_KEY, "the cluster options are not a table",
                                            "fix [launch.options.cluster] in the profile")]
        return ClusterOptions(), [error(f"{OPTIONS_KEY}.{key}", msg, "fix the engine option")
                                  for key, msgs in option_errors(table).items() for msg in msgs]


def prepare(config: RunConfig, *, env: Any = None, inspect: bool = False,
            submitting: bool = True, recover: bool = True, cached_recover: bool = False,
            checks: bool = True, timeout: float = 120.0) -> Prepared:
    """Recover, preflight and plan `config`; never raises for what the user can fix.

    `env` (an `EnvironmentInfo`) adds the checks of the training python;
    `inspect` reads the checkpoints in a subprocess of it (slow once per file);
    `submitting` False is a preview: an engine leaves out what only starting needs
    (sbatch installed here). `cached_recover` lets a keystroke reuse a folder listing;
    `checks` False leaves out every check but the fields' and the engine's (a keystroke).
    """
    notes: list[str] = []
    if recover:
        from satconf.runs.recover import apply_recover, wants_recover

        if wants_recover(config.values):
            config, note = apply_recover(config, cached=cached_recover)
            if note:
                notes.append(note)
    opts, findings = engine_options(config)
    if checks:
        findings += _checks(config, env, inspect=inspect, timeout=timeout)
    else:
        findings += findings_from_errors(config.errors())
    engine = get_engine(opts.engine)
    plan: EnginePlan | None = None
    plan_error: str | None = None
    if engine is None:
        plan_error = f"no engine called {opts.engine!r}"  # else a forced start said "None"
        findings.append(error(f"{OPTIONS_KEY}.engine", plan_error, "pick local, slurm or torchrun"))
    else:
        findings += engine.findings(config, opts, submitting=submitting)
        findings += _unused_options(opts, engine.option_keys)
        try:
            plan = engine.plan(config, opts)
        except PlanError as exc:
            plan_error = str(exc)  # the field errors already say it, key by key
    deep = checks and env is not None
    return Prepared(config, opts, plan, tuple(sort_findings(findings)), tuple(notes),
                    deep=deep, plan_error=plan_error)


def _unused_options(opts: ClusterOptions, used: tuple[str, ...]) -> list[Finding]:
    """Options set for another engine: kept in the profile, but this engine ignores them."""
    from satconf.checks.finding import info

    if not opts.model_fields_set:
        return []  # all defaults (the usual local run): nothing set for another engine
    return [info(f"{OPTIONS_KEY}.{key}", f"{key} is set but the {opts.engine} engine does not "
                 "use it", "it is kept for when the engine is switched back")
            for key in opts.to_options() if key != "engine" and key not in used]


_CACHE: dict[str, list[Finding]] = {}


def _checks(config: RunConfig, env: Any, *, inspect: bool, timeout: float) -> list[Finding]:
    """Every check's findings, field errors first; reused while their inputs are unchanged."""
    key = _inputs_key(config, env, inspect)
    hit = _CACHE.get(key) if key else None
    if hit is not None:
        return list(hit)
    from satconf.checks.run import run_checks  # the check modules load only when checking

    found = findings_from_errors(config.errors()) + run_checks(config, env, field_errors=False)
    if inspect and env is not None and getattr(env, "ok", False):
        from satconf.checks import inspect_checkpoints

        found += inspect_checkpoints(config, env, timeout=timeout)
    if key:
        _CACHE.clear()  # one entry: the form's last state, or one CLI command's
        _CACHE[key] = list(found)
    return found


def _inputs_key(config: RunConfig, env: Any, inspect: bool) -> str:
    """What the checks read: values, GPUs, python, options, the environment, and the state
    of every file the values name (so an edited JSON file is checked again)."""
    try:
        stamps: list[Any] = []
        for spec in config.fields:
            value = config.values.get(spec.key)
            if spec.kind.path and isinstance(value, str) and value:
                path = config.workspace.root / Path(value).expanduser()  # an absolute one wins
                try:
                    st = os.stat(path)
                    stamps.append((value, st.st_mtime_ns, st.st_size))
                except OSError:
                    stamps.append((value, None))
        data = [config.values, config.gpus, config.python, config.options,
                # the environment's JSON holds its fresh wandb login too
                str(config.workspace.root), getattr(env, "to_json", lambda: None)(), inspect,
                stamps,
                {k: v for k, v in os.environ.items()
                 if k.startswith(("WANDB", "COMET", "SATCONF"))}]
        return json.dumps(data, sort_keys=True, default=str)
    except (TypeError, ValueError, RecursionError):
        return ""  # values json cannot hold: no caching


def start(prepared: Prepared, *, force: bool = False, base: Path | None = None) -> RunRecord:
    """Start the prepared plan on its engine; raises LaunchRefused or RunError.

    With `force`, a plan with errors starts and its record says so (`forced`
    and the overridden findings)."""
    errors = prepared.errors
    if errors and not force:
        raise LaunchRefused(errors)
    if prepared.plan is None:
        raise RunError(f"the config cannot become a command: {prepared.plan_error}")
    engine = get_engine(prepared.engine)
    if engine is None:
        raise RunError(f"no engine called {prepared.engine!r}")
    extra: dict[str, Any] = {}
    if errors:
        extra["forced"] = True
        extra["overridden"] = [f.to_json() for f in errors]
    return engine.start(prepared.config, prepared.plan, notes=list(prepared.notes),
                        extra=extra, base=base)


def config_from_record(record: RunRecord) -> RunConfig:
    """The settings a run was started with, resolved again against its workspace as it is
    now (raises runconfig.ConfigError when the workspace is gone): relaunch and "open in
    the form" start here, then go through `prepare` like any other run."""
    from satconf.runconfig import load_run_config

    config = load_run_config(record.workspace or None)
    values = {**config.values, **{k: v for k, v in record.values.items() if k in config.fields}}
    options = dict(config.options)
    cluster = record.extra.get(OPTIONS_KEY) if isinstance(record.extra, dict) else None
    if record.engine != "local" and isinstance(cluster, dict):
        options[OPTIONS_KEY] = {"engine": record.engine, **cluster}
    return config.evolve(values=values, gpus=record.gpus, options=options,
                         python=record.python or config.python,
                         python_reason=f"the python run {record.id} used",
                         profile=record.profile)
