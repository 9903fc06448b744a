"""`satconf profiles`: save, list, show, compare, rename, copy, delete, import, export."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from satconf.cli.common import (
    EXIT_ERRORS,
    EXIT_USAGE,
    CliError,
    add_config_args,
    print_json,
    report_errors,
    warn,
)
from satconf.profiles import (
    MISSING,
    Profile,
    ProfileError,
    ProfileExistsError,
    ProfileNameError,
    ProfileStore,
    diff_values,
    validate_name,
)
from satconf.profiles.diff import launch_settings
from satconf.textwidth import cell_width, ljust_cells


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("profiles", help="save, list, compare and move named profiles",
                       description="Named run profiles, kept as TOML files under "
                                   "$SATCONF_HOME/profiles.")
    # No action lists the profiles, as `git remote` or `docker ps` would.
    p.set_defaults(func=run_list, json=False)
    acts = p.add_subparsers(dest="action", metavar="ACTION")

    a = acts.add_parser("list", help="list the saved profiles")
    a.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    a.set_defaults(func=run_list)

    a = acts.add_parser("show", help="show one profile")
    a.add_argument("name")
    a.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    a.set_defaults(func=run_show)

    a = acts.add_parser("diff", help="values that differ between two profiles "
                                     "(or a profile and defaults.ini)")
    a.add_argument("a", metavar="A")
    a.add_argument("b", metavar="B", nargs="?", help="default: the workspace's defaults.ini")
    a.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    add_config_args(a, sets=False, gpus=False, profile=False)
    a.set_defaults(func=run_diff)

    a = acts.add_parser("save", help="save the workspace's values (with --set changes) "
                                     "as a profile; updates NAME if it exists")
    a.add_argument("name")
    a.add_argument("--from", dest="source", metavar="NAME", help="start from this profile")
    a.add_argument("--description", metavar="TEXT")
    a.add_argument("--python", metavar="PATH", help="training interpreter for this profile")
    a.add_argument("--force", action="store_true",
                   help="with --from, replace an existing profile NAME")
    add_config_args(a, profile=False)
    from satconf.cli.engine_args import add_engine_args

    add_engine_args(a)  # a cluster profile is made here too, as `launch` would take it
    a.set_defaults(func=run_save)

    a = acts.add_parser("rename", help="rename a profile")
    a.add_argument("old")
    a.add_argument("new")
    a.set_defaults(func=run_rename)

    a = acts.add_parser("copy", help="copy a profile to a new name")
    a.add_argument("src")
    a.add_argument("dst")
    a.set_defaults(func=run_copy)

    a = acts.add_parser("delete", help="delete a profile (asks first)")
    a.add_argument("name")
    a.add_argument("--yes", "-y", action="store_true", help="do not ask")
    a.set_defaults(func=run_delete)

    a = acts.add_parser("import", help="import a TOML profile or a defaults.ini")
    a.add_argument("file", type=Path)
    a.add_argument("--name", metavar="NAME", help="profile name (default: from the file)")
    a.add_argument("--force", action="store_true", help="replace an existing profile")
    a.set_defaults(func=run_import)

    a = acts.add_parser("export", help="write a profile as TOML, or as an INI (FILE ending "
                                       "in .ini) for prefigure's --config-file")
    a.add_argument("name")
    a.add_argument("file", type=Path)
    a.add_argument("--force", action="store_true", help="replace an existing FILE")
    add_config_args(a, sets=False, gpus=False, profile=False)
    a.set_defaults(func=run_export)


def _fail(exc: ProfileError) -> CliError:
    usage = isinstance(exc, ProfileNameError | ProfileExistsError)
    return CliError(str(exc), EXIT_USAGE if usage else EXIT_ERRORS)


def _load(store: ProfileStore, name: str) -> Profile:
    try:
        prof = store.load(name)
    except ProfileError as exc:
        raise _fail(exc) from None
    for message in prof.warnings:
        warn(f"warning: {message}")
    return prof


def _error_json(exc: ProfileError) -> dict[str, Any]:
    return {"file": str(exc.path) if exc.path else None, "line": exc.line,
            "reason": exc.reason, "message": str(exc)}


def _show_value(value: Any) -> str:
    return "(not set)" if value is MISSING else repr(value)


# ------------------------------------------------------------------ list / show

def run_list(args: argparse.Namespace) -> int:
    store = ProfileStore()
    profiles, errors = store.list()
    if args.json:
        print_json({"root": str(store.root), "profiles": [p.summary() for p in profiles],
                    "errors": [_error_json(e) for e in errors]})
    else:
        width = max((cell_width(p.name) for p in profiles), default=0)
        for prof in profiles:
            line = f"{ljust_cells(prof.name, width)}  {prof.updated.isoformat()}"
            print(f"{line}  {prof.description}".rstrip())
        if not profiles and not errors:
            warn(f"no profiles yet in {store.root}; save one with `satconf profiles save NAME`")
    for exc in errors:
        warn(f"error: {exc}")
    return EXIT_ERRORS if errors else 0


def run_show(args: argparse.Namespace) -> int:
    prof = _load(ProfileStore(), args.name)
    if args.json:
        print_json(prof.to_json())
        return 0
    gpus = "all visible" if prof.gpus is None else (",".join(map(str, prof.gpus)) or "none")
    rows = [("name", prof.name), ("description", prof.description),
            ("created", prof.created.isoformat()), ("updated", prof.updated.isoformat()),
            ("workspace", prof.workspace or "(not recorded)"), ("gpus", gpus),
            ("python", prof.python or "(satconf's default)"), ("file", str(prof.path))]
    for key, text in rows:
        print(f"{key + ':':<13}{text}")
    if prof.options:
        print(f"{'options:':<13}{prof.options!r}")
    print("values:")
    for key, value in prof.values.items():
        print(f"  {key} = {_show_value(value)}")
    return 0


# ------------------------------------------------------------------ diff

def _workspace_for(args: argparse.Namespace, prof: Profile | None) -> str | None:
    """--workspace, else the profile's own workspace where it still exists."""
    from satconf.workspace import is_workspace

    given = getattr(args, "workspace", None)
    if given is not None:
        return given
    if prof is not None and prof.workspace and is_workspace(Path(prof.workspace)):
        return prof.workspace
    return None


def _run_config(workspace: str | None, **kw: Any) -> Any:
    from satconf.runconfig import ConfigError, UsageError, load_run_config

    try:
        return load_run_config(workspace, **kw)
    except UsageError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    except ConfigError as exc:
        raise CliError(str(exc), EXIT_ERRORS) from None


def run_diff(args: argparse.Namespace) -> int:
    store = ProfileStore()
    a = _load(store, args.a)
    a_launch = launch_settings(a.gpus, a.python, a.options)
    if args.b is not None:
        b = _load(store, args.b)
        a_vals, b_vals, b_label = a.values, b.values, b.name
        b_launch = launch_settings(b.gpus, b.python, b.options)
    else:
        config = _run_config(_workspace_for(args, a))
        fields = config.fields
        known = {k: v for k, v in a.values.items() if k in fields}
        normal, _ = fields.validate({**fields.defaults(), **known})
        # Compared as the run would see them: the profile over the INI defaults.
        a_vals = {**{k: normal.get(k, v) for k, v in fields.defaults().items()},
                  **{k: v for k, v in a.values.items() if k not in fields}}
        b_vals = fields.defaults()
        b_label = f"defaults.ini ({config.workspace.defaults_ini})"
        b_launch = launch_settings(None, None, {})  # what a run without a profile gets
    rows = diff_values(a_vals, b_vals)
    launch_rows = diff_values(a_launch, b_launch)
    if args.json:
        print_json({"a": a.name, "b": b_label, "differences": [
            {"key": k, "a": None if av is MISSING else av, "b": None if bv is MISSING else bv,
             "in_a": av is not MISSING, "in_b": bv is not MISSING} for k, av, bv in rows],
            "launch_differences": [
            {"key": k, "a": None if av is MISSING else av, "b": None if bv is MISSING else bv}
            for k, av, bv in launch_rows]})
        return 0
    if not rows and not launch_rows:
        warn(f"no differences between {a.name!r} and {b_label}")
        return 0
    table = [("key", a.name, b_label)] + [(k, _show_value(av), _show_value(bv))
                                          for k, av, bv in rows]
    table += [(f"[launch] {k}", _show_value(av), _show_value(bv)) for k, av, bv in launch_rows]
    w0 = max(cell_width(r[0]) for r in table)
    w1 = max(cell_width(r[1]) for r in table)
    for key, av, bv in table:
        print(f"{ljust_cells(key, w0)}  {ljust_cells(av, w1)}  {bv}")
    return 0


# ------------------------------------------------------------------ save

def run_save(args: argparse.Namespace) -> int:
    if args.python is not None:
        _check_python(args.python)
    store = ProfileStore()
    try:
        validate_name(args.name)
        # The store's lock from reading the old profile to writing the new one: a rename,
        # copy or delete racing this save lands before it or after it, never in between.
        with store.transaction():
            return _save(args, store)
    except ProfileNameError as exc:
        raise _fail(exc) from None
    except ProfileError as exc:  # the store folder cannot be made or locked
        raise _fail(exc) from None


def _save(args: argparse.Namespace, store: ProfileStore) -> int:
    try:
        name = validate_name(args.name)
        existing = store.load(name) if store.exists(name) else None
    except ProfileError as exc:
        if isinstance(exc, ProfileNameError):
            raise _fail(exc) from None
        raise CliError(f"{exc}\nthe existing profile cannot be read, so it was left as is; "
                       "fix or delete it first", EXIT_ERRORS) from None
    if args.source is not None and existing is not None and args.source != name \
            and not args.force:
        raise CliError(f"profile {name!r} already exists; add --force to replace it with "
                       f"{args.source!r}'s values", EXIT_USAGE)
    base_name = args.source if args.source is not None else (name if existing else None)
    base = _load(store, base_name) if base_name is not None else None
    from satconf.cli.engine_args import engine_overrides, nodes_set
    from satconf.cluster.options import ClusterOptionsError, from_profile_options

    config = _run_config(_workspace_for(args, base), profile=base_name,
                         sets=[*args.sets, *nodes_set(args)], gpus=args.gpus,
                         options=engine_overrides(args))
    try:
        from_profile_options(config.options)
    except ClusterOptionsError as exc:
        raise CliError(f"profile {name!r} was not saved:\n{exc}", EXIT_USAGE) from None
    normal, errors = config.normal, config.errors()
    if errors:
        report_errors(errors)
        raise CliError(f"profile {name!r} was not saved: the values have errors", EXIT_ERRORS)
    values = {k: normal.get(k, v) for k, v in config.values.items()}
    if base is not None:  # keys of another workspace stay in the profile
        values.update({k: v for k, v in base.values.items() if k not in values})
    prof = existing if existing is not None and args.source in (None, name) else Profile(name)
    if existing is not None:
        prof.created = existing.created
    prof.values = values
    prof.workspace = str(config.workspace.root)
    prof.gpus = config.gpus
    prof.python = args.python if args.python is not None else (base.python if base else None)
    prof.options = dict(config.options)
    if args.description is not None:
        prof.description = args.description
    elif base is not None and prof is not existing:
        prof.description = base.description
    if base is not None and prof is not base and prof is not existing:
        prof.unknown = dict(base.unknown)
    try:
        path = store.save(prof)
    except ProfileError as exc:
        raise _fail(exc) from None
    warn(f"saved profile {name!r} ({path})")
    return 0


def _check_python(path: str) -> None:
    """--python must name an interpreter that can be started, not be saved blindly."""
    import os

    if not Path(path).expanduser().is_file():
        raise CliError(f"--python {path}: no such file", EXIT_ERRORS)
    if not os.access(Path(path).expanduser(), os.X_OK):
        raise CliError(f"--python {path}: not executable", EXIT_ERRORS)


# ------------------------------------------------------------------ rename / copy / delete

def run_rename(args: argparse.Namespace) -> int:
    return _from_to(ProfileStore().rename, args.old, args.new, "renamed")


def run_copy(args: argparse.Namespace) -> int:
    return _from_to(ProfileStore().copy, args.src, args.dst, "copied")


def _from_to(op: Callable[[str, str], Profile], src: str, dst: str, done: str) -> int:
    try:
        prof = op(src, dst)
    except ProfileError as exc:
        raise _fail(exc) from None
    warn(f"{done} profile {src!r} to {prof.name!r}")
    return 0


def run_delete(args: argparse.Namespace) -> int:
    store = ProfileStore()
    try:
        path = store.path_for(args.name)
    except ProfileError as exc:
        raise _fail(exc) from None
    if not args.yes:
        if not sys.stdin.isatty():
            raise CliError(f"not deleting {args.name!r} without --yes (no terminal to ask on)",
                           EXIT_USAGE)
        if not path.is_file():
            _load(store, args.name)  # reports the missing profile
        sys.stderr.write(f"Delete profile {args.name!r} ({path})? [y/N] ")
        sys.stderr.flush()
        try:
            answer = input()
        except EOFError:
            answer = ""
        if answer.strip().lower() not in ("y", "yes"):
            warn("not deleted")
            return EXIT_ERRORS
    try:
        store.delete(args.name)
    except ProfileError as exc:
        raise _fail(exc) from None
    warn(f"deleted profile {args.name!r}")
    return 0


# ------------------------------------------------------------------ import / export

def run_import(args: argparse.Namespace) -> int:
    from satconf.profiles.transfer import import_profile

    store = ProfileStore()
    try:
        prof = import_profile(args.file, args.name)
        for message in prof.warnings:
            warn(f"warning: {message}")
        if store.exists(prof.name) and not args.force:
            raise ProfileExistsError(store.path_for(prof.name), None,
                                     f"profile {prof.name!r} already exists; pick another "
                                     "--name or add --force")
        path = store.save(prof, touch=False, overwrite=args.force)
    except ProfileError as exc:
        raise _fail(exc) from None
    warn(f"imported {args.file} as profile {prof.name!r} ({path})")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from satconf.atomic import atomic_write_bytes
    from satconf.profiles.transfer import export_ini, export_toml

    prof = _load(ProfileStore(), args.name)
    dest: Path = args.file
    if dest.exists() and not args.force:
        raise CliError(f"{dest} already exists; add --force to replace it", EXIT_USAGE)
    if dest.is_dir():
        raise CliError(f"{dest} is a folder; name a file", EXIT_USAGE)
    try:
        if dest.suffix.lower() == ".ini":
            config = _run_config(_workspace_for(args, prof))
            text, notes = export_ini(prof, config.fields)
            for note in notes:
                warn(f"warning: {note}")
            data = text.encode("utf-8")
        else:
            data = export_toml(prof)
        atomic_write_bytes(dest, data)
    except ProfileError as exc:
        raise _fail(exc) from None
    except OSError as exc:
        raise CliError(f"{dest}: cannot be written ({exc.strerror})", EXIT_ERRORS) from None
    warn(f"exported profile {prof.name!r} to {dest}")
    return 0
