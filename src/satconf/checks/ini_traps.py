"""defaults.ini lines that prefigure reads differently from what they seem to say."""

from __future__ import annotations

from satconf.checks.context import Context
from satconf.checks.finding import Finding, info, warning
from satconf.defaults_ini import STOP_KEYS, Kind

_QUOTES = ("'", '"')


def check_ini_traps(ctx: Context) -> list[Finding]:
    ini = ctx.config.fields.ini
    if ini is None:
        return []
    out: list[Finding] = []
    for spec in ctx.config.fields:
        entry = spec.ini
        if entry is None:
            continue
        where = f"defaults.ini line {entry.line}: `{entry.key} = {entry.text}`"
        if spec.choices and entry.kind in (Kind.INT, Kind.FLOAT):
            out.append(warning(spec.key, f"{where} is a number, so prefigure's {spec.flag} "
                               "accepts only numbers (e.g. bf16-mixed is rejected)",
                               f"quote it: `{entry.key} = \"{entry.text}\"`"))
        if entry.kind is Kind.PATH and entry.text[:1] in _QUOTES:
            out.append(info(spec.key, f"{where} contains `_dir`, so prefigure keeps the quotes "
                            f"in the path; train.py run by hand would use {entry.text} with "
                            "its quotes (satconf always passes the flag)",
                            f"write it without quotes: `{entry.key} = {entry.text[1:-1]}`"))
        if entry.kind is Kind.BOOL:
            level = warning if entry.value is True else info
            out.append(level(spec.key, f"{where} makes {spec.flag} a bare switch: without "
                             "the flag it is False whatever the INI says, and "
                             f"`{spec.flag} False` means True",
                             "satconf passes the bare flag when on; by hand, never give it "
                             "a value"))
        if (entry.kind is Kind.STR and entry.text.strip("'\" ").lower() in ("true", "false")
                and ctx.reads(spec.key)):
            out.append(warning(spec.key, f"{where} is the text {entry.value!r}, not a "
                               "boolean: any non-empty text is true in Python, \"false\" too",
                               f"write `{entry.key} = True` or `False` if train.py tests it"))
    if ini.stop_key:
        lost = [e.key for e in ini.entries.values() if not e.registered and e.key != ini.stop_key]
        if lost:
            out.append(warning(ini.stop_key, f"prefigure stops reading defaults.ini at "
                               f"`{ini.stop_key}` (one of {', '.join(STOP_KEYS)}): "
                               f"{', '.join(lost)} get no flag and train.py never sees them",
                               f"move `{ini.stop_key}` to the end of [DEFAULTS]"))
    return out
