"""Reading defaults.ini exactly as prefigure does, from real files."""

from __future__ import annotations

from pathlib import Path

import pytest

from satconf import kinds
from satconf.defaults_ini import (
    IniError,
    Kind,
    parse_defaults_ini,
    read_defaults_ini,
    render_defaults_ini,
)
from satconf.fields import build_fieldset
from satconf.schema import CONFIG_FILES, EXTRA, GROUPS

from conftest import SEED_INI, make_workspace
from prefig import as_prefigure_default, ini_namespace, namespace_values, parse


def _write(tmp_path: Path, text: str | bytes) -> Path:
    p = tmp_path / "defaults.ini"
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    return p


def test_seed_ini_values_match_prefigures_own(tmp_path: Path) -> None:
    ini = read_defaults_ini(SEED_INI)
    assert len(ini.entries) == 23
    root = make_workspace(tmp_path / "ws")
    keys = [k for k in ini.entries if k != "name"]  # 0.0.9 skips the INI's name
    ns = namespace_values(parse(["python", "train.py"], root), keys)
    assert {k: ini.entries[k].value for k in keys} == ns


def test_each_value_is_typed_as_prefigure_types_it() -> None:
    ini = read_defaults_ini(SEED_INI)
    e = ini.entries
    assert (e["project"].value, e["project"].kind) == (None, Kind.NONE)
    assert (e["batch_size"].value, e["batch_size"].kind) == (4, Kind.INT)
    assert (e["recover"].value, e["recover"].kind) == ("false", Kind.STR)  # not a bool!
    assert (e["strategy"].value, e["strategy"].kind) == ("auto", Kind.STR)
    assert (e["ckpt_path"].value, e["ckpt_path"].kind) == ("", Kind.STR)
    assert (e["gradient_clip_val"].value, e["gradient_clip_val"].kind) == (0.0, Kind.FLOAT)
    assert (e["name"].value, e["name"].kind) == ("stable_audio_tools", Kind.STR)


def test_help_is_the_comment_above_and_lines_are_exact() -> None:
    ini = read_defaults_ini(SEED_INI)
    recover = ini.entries["recover"]
    assert recover.help.startswith("If `true`, attempts to resume")
    assert "unique config filename" in recover.help  # two comment lines joined
    assert ini.entries["batch_size"].help == "the batch size"
    text = SEED_INI.read_text().splitlines()
    for entry in ini.entries.values():
        assert text[entry.line - 1].startswith(entry.key)


def assert_prefigure_agrees(text: str, folder: Path) -> None:
    """satconf's reading of `text` against the real prefigure's: every registered key with
    prefigure's default, in its case; no key after the stop key."""
    ini = parse_defaults_ini(text, folder / "defaults.ini")
    got = ini_namespace(text, folder)
    for key, entry in ini.entries.items():
        dest = key.replace("-", "_")
        if not entry.registered:
            assert key == ini.stop_key or dest not in got, key
            continue
        if key == "name":
            continue  # prefigure's own --name (default None) wins over the INI's
        assert dest in got, (key, sorted(got))
        want = got[dest]
        mine = as_prefigure_default(entry)
        assert mine == want and type(mine) is type(want), (key, mine, want)
    registered = {k.replace("-", "_") for k, e in ini.entries.items() if e.registered}
    assert set(got) - registered <= {"config_file", "name", "wandb_config"}


ODD_INI = (
    "[DEFAULTS]\nMixedCase = 1\nflag = True\noff = False\nlow = true\n"
    "out = 'my_dir'\nraw = hello world\nlist = [1, 2]\nempty =\n"
    "wandb_config = ''\nafter = 3\n"
)


def test_oddities_as_the_real_prefigure_reads_them(tmp_path: Path) -> None:
    assert_prefigure_agrees(ODD_INI, tmp_path / "odd")
    assert_prefigure_agrees(SEED_INI.read_text(), tmp_path / "seed")
    # The stop key may also be config_file; keys' case is kept by both.
    assert_prefigure_agrees("[DEFAULTS]\nBatch_Size = 2\nsave_dir = 'x_dir'\n"
                            "config_file = 'defaults.ini'\nlate = 1\n", tmp_path / "cf")


def test_oddities(tmp_path: Path) -> None:
    ini = read_defaults_ini(_write(tmp_path, ODD_INI))
    e = ini.entries
    assert "MixedCase" in e  # case kept
    assert (e["flag"].value, e["flag"].kind) == (True, Kind.BOOL)
    assert (e["off"].value, e["off"].kind) == (False, Kind.BOOL)
    assert (e["low"].value, e["low"].kind) == ("true", Kind.STR)
    assert e["out"].kind is Kind.PATH and str(e["out"].value) == "'my_dir'"
    assert e["out"].intended == "my_dir"
    assert (e["raw"].value, e["raw"].kind) == ("hello world", Kind.STR)
    assert (e["list"].value, e["list"].kind) == ([1, 2], Kind.OTHER)
    assert (e["empty"].value, e["empty"].kind) == ("", Kind.STR)
    assert ini.stop_key == "wandb_config"
    assert e["after"].registered is False and e["flag"].registered is True


def test_extra_keys_become_typed_fields(tmp_path: Path) -> None:
    text = SEED_INI.read_text() + "\n# learning rate\nlr = 1e-4\n# demo every\ndemo_every = 2000\n"
    fields = build_fieldset(read_defaults_ini(_write(tmp_path, text)))
    assert fields["lr"].kind is kinds.NUMBER and fields["lr"].extra
    assert fields["lr"].help == "learning rate" and fields["lr"].group == EXTRA
    assert fields["demo_every"].kind is kinds.INTEGER
    assert [g for g, _ in fields.groups()] == list(GROUPS)
    assert fields["model_config"].kind is kinds.FILE
    assert fields["model_config"].group == CONFIG_FILES
    assert fields["save_dir"].kind is kinds.DIR
    # The schema declares the kind of every seed path, ckpt_path included.
    assert fields["ckpt_path"].kind is kinds.FILE
    schema = fields.json_schema()
    assert "lr" in schema["properties"] and "model_config" in schema["properties"]


def test_weird_extra_key_names_do_not_clash(tmp_path: Path) -> None:
    text = "[DEFAULTS]\nmodel_dump = 1\ncopy = 2\nclass = 3\nx-y = 4\n_hidden = 5\n"
    fields = build_fieldset(read_defaults_ini(_write(tmp_path, text)))
    values, errors = fields.validate(fields.defaults())
    assert errors == {}
    assert {k: values[k] for k in ("model_dump", "copy", "class", "x-y", "_hidden")} == {
        "model_dump": 1, "copy": 2, "class": 3, "x-y": 4, "_hidden": 5}


def test_int_precision_default_is_normalised_and_kept_typed(tmp_path: Path) -> None:
    fields = build_fieldset(read_defaults_ini(_write(tmp_path, "[DEFAULTS]\nprecision = 32\n")))
    assert fields["precision"].default == "32"
    assert fields["precision"].ini.kind is Kind.INT


def test_invalid_ini_default_is_kept_and_reported(tmp_path: Path) -> None:
    fields = build_fieldset(read_defaults_ini(_write(tmp_path, "[DEFAULTS]\nbatch_size = 0\n")))
    assert fields["batch_size"].default == 0
    _, errors = fields.validate(fields.defaults())
    assert "greater than or equal to 1" in errors["batch_size"][0]


@pytest.mark.parametrize(("content", "line", "reason"), [
    ("name = x\n", 1, "has a key before any [section] header"),
    ("[OTHER]\nname = x\n", None, "has no [DEFAULTS] section (prefigure reads only that one)"),
    ("[DEFAULTS]\nname = a\nname = b\n", 3, "sets `name` twice in [DEFAULTS]"),
    ("[DEFAULTS]\nname = a\n[DEFAULTS]\n", 3, "has the section [DEFAULTS] twice"),
    ("[DEFAULTS]\nname = 100%\n", 2, "`name`: '%' must be followed by '%' or '(', found: '%' "
                                     "(write %% for a literal %)"),
    ("[DEFAULTS]\n=novalue\n", 2, "cannot be parsed (not `key = value`): =novalue"),
    (b"[DEFAULTS]\nname = \xff\xfe\n", 2, "is not UTF-8 text (byte 0xff)"),
    (b"\x7fELF\x00\x00\x01binary", None, "is a binary file, not an INI text"),
])
def test_bad_files_give_one_clear_error(tmp_path: Path, content: str | bytes, line: int | None,
                                        reason: str) -> None:
    path = _write(tmp_path, content)
    with pytest.raises(IniError) as err:
        read_defaults_ini(path)
    assert err.value.line == line
    assert err.value.reason == reason  # the user reads these words to fix the file
    assert str(err.value) == (f"{path}:{line}: {reason}" if line else f"{path}: {reason}")


def test_missing_and_folder(tmp_path: Path) -> None:
    with pytest.raises(IniError, match="does not exist"):
        read_defaults_ini(tmp_path / "nope.ini")
    with pytest.raises(IniError, match="is a folder"):
        read_defaults_ini(tmp_path)


def test_rendered_ini_reads_back_to_the_same_values(tmp_path: Path) -> None:
    values = {"name": "run 100% ♪", "project": None, "batch_size": -3, "lr": 1e-05,
              "flag": True, "text": "it's \"q\"\nline2", "recover": False, "layers": [1, 2],
              "big": float("inf"), "small": float("-inf"), "digits": "1", "word": "None",
              "on": True}
    kinds = {"recover": Kind.STR, "on": Kind.STR}
    text = render_defaults_ini(values, {"name": "the run\nsecond line"}, kinds)
    ini = parse_defaults_ini(text, tmp_path / "x.ini")
    got = {k: e.value for k, e in ini.entries.items()}
    assert got == {**values, "recover": "false", "on": "true"}
    assert ini.entries["name"].help == "the run second line"
    assert {e.help for k, e in ini.entries.items() if k != "name"} == {""}
    assert_prefigure_agrees(text, tmp_path / "pf")  # and the real prefigure reads the same


def test_percent_in_literals_and_odd_line_breaks(tmp_path: Path) -> None:
    values = {"tags": ["a%b", "c"], "note": "x\x85y"}
    ini = parse_defaults_ini(render_defaults_ini(values, {"note": "odd\u2028help"}))
    assert {k: e.value for k, e in ini.entries.items()} == values
    text = "[DEFAULTS]\n# a \x85 comment\nfirst = 1\nsecond = 2\n"
    ini = parse_defaults_ini(text)
    assert (ini.entries["first"].line, ini.entries["second"].line) == (3, 4)


def test_paths_enums_and_multi_line_values_render_as_prefigure_reads_them(tmp_path: Path
                                                                          ) -> None:
    from pathlib import PurePath

    from satconf.schema import LoggerType

    values = {"save_dir": "runs_dir/100%", "two_dir": "a_dir\nsecond", "logger": LoggerType.NONE,
              "ckpt": PurePath("a/b.ckpt")}
    text = render_defaults_ini(values, {}, {"save_dir": Kind.PATH, "two_dir": Kind.PATH})
    e = parse_defaults_ini(text).entries
    assert (e["save_dir"].text, e["save_dir"].value) == ("runs_dir/100%", Path("runs_dir/100%"))
    assert e["two_dir"].text == "a_dir\nsecond"
    assert (e["logger"].value, e["ckpt"].value) == ("none", "a/b.ckpt")
    assert_prefigure_agrees(text, tmp_path / "pf")


def test_help_comes_from_any_comment_style_directly_above(tmp_path: Path) -> None:
    text = ("[OTHER]\nkey = 0\n[DEFAULTS]\n  # indented help\nfirst = 1\n; semicolon help\n"
            "second = 2\n#Xenon lamp\nXrate = 3\n#\na = 4\n")
    ini = parse_defaults_ini(text)
    e = ini.entries
    assert [(k, v.line, v.help) for k, v in e.items()] == [
        ("first", 5, "indented help"), ("second", 7, "semicolon help"),
        ("Xrate", 9, "Xenon lamp"), ("a", 11, "")]
    assert "first" in ini and "key" not in ini
    assert ini.get("a") is e["a"] and ini.get("key") is None
    assert ini.path == Path("defaults.ini")  # named so in messages when no file is given
    assert parse_defaults_ini(text, tmp_path / "x.ini").path == tmp_path / "x.ini"
    assert_prefigure_agrees(text, tmp_path / "pf")


def test_keys_inherited_from_a_default_section_as_prefigure_reads_them(tmp_path: Path
                                                                        ) -> None:
    # configparser gives every section the keys of [DEFAULT]; prefigure meets them first.
    text = ("[DEFAULT]\n# shared help\nshared = 1\nboth = 0\n[DEFAULTS]\nboth = 5\n"
            "config_file = 'x.ini'\nlate = 2\n")
    ini = parse_defaults_ini(text)
    e = ini.entries
    assert [(k, v.value, v.line, v.registered) for k, v in e.items()] == [
        ("shared", 1, 3, True), ("both", 5, 6, True), ("config_file", "x.ini", 7, False),
        ("late", 2, 8, False)]
    assert e["shared"].help == "shared help" and ini.stop_key == "config_file"
    assert_prefigure_agrees(text, tmp_path / "pf")


def test_a_key_opening_a_bracket_is_still_found_on_its_line(tmp_path: Path) -> None:
    text = "[DEFAULTS]\n# odd, but configparser's key\n[x = 1\n"
    (entry,) = parse_defaults_ini(text).entries.values()
    assert (entry.key, entry.line, entry.help) == ("[x", 3, "odd, but configparser's key")
    assert ini_namespace(text, tmp_path / "pf")["[x"] == 1


LAYOUTS = [  # (INI text, [(key, line)]) as configparser reads the keys
    ("[DEFAULTS]\n  a = 1\n  b = 2\n", [("a", 2), ("b", 3)]),  # indented alike: two keys
    ("[DEFAULTS]\n\xa0y = 2\nz = 3\n", [("y", 2), ("z", 3)]),  # any whitespace indents
    ("[DEFAULTS]\nv = first\n  second\n\n  # kept\n  third\nw = 4\n", [("v", 2), ("w", 7)]),
    ("[a]b]\nq = 1\n[DEFAULTS]\nk : 5\n", [("k", 4)]),  # `:` is a delimiter too
    ("  [DEFAULTS]\n  k = 1\n    cont\n  j = 2\n", [("k", 2), ("j", 4)]),
    ("[DEFAULTS]\nlong = [1,\n    2]\nafter = 1\n", [("long", 2), ("after", 4)]),
    # a value goes on past blank and comment lines: `w = ...` there is text, not the key
    ("[DEFAULTS]\nv = first\n\n  w = text\nw = 1\n", [("v", 2), ("w", 5)]),
    ("[DEFAULTS]\nv = first\n# c\n  w = text\nw = 1\n", [("v", 2), ("w", 5)]),
    ("[DEFAULTS]\nv = first\n; c\n  w = text\nw = 1\n", [("v", 2), ("w", 5)]),
]


@pytest.mark.parametrize(("text", "where"), LAYOUTS)
def test_every_key_is_found_on_its_line(tmp_path: Path, text: str,
                                        where: list[tuple[str, int]]) -> None:
    ini = parse_defaults_ini(text)
    assert [(k, e.line) for k, e in ini.entries.items()] == where
    assert_prefigure_agrees(text, tmp_path / "pf")
