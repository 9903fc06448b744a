"""Migration corner cases: odd keys, multi-line values, stop keys, empty INIs, Hydra limits."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from satconf.defaults_ini import format_value, read_defaults_ini
from satconf.migrate import FORMATS, MigrateError, migrate, read_source
from test_migrate import assert_same_ini

ODD_INI = """\
[DEFAULTS]
# keys YAML and TOML must quote
my key = 1
a.b = 'dotted'
Üml = ü
on = off
null = ~
# a value over two lines
desc = first line
  second line
blank =
underscored = 1_000
hexed = 0x10
trailing_dot = 1.
minus = -
config_file = other.ini
after = 'not registered by prefigure'

[other]
ignored = 1
"""

OUT = {"toml": "out.toml", "yaml": "out.yaml", "hydra": "tree", "ini": "out.ini"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_odd_keys_and_values_round_trip(fmt: str, tmp_path: Path) -> None:
    src = tmp_path / "odd.ini"
    src.write_text(ODD_INI, encoding="utf-8")
    result = migrate(src, fmt, tmp_path / OUT[fmt])
    assert any("[other]" in n.reason for n in result.notes)
    migrate(tmp_path / OUT[fmt], "ini", tmp_path / "back.ini")
    back = read_defaults_ini(tmp_path / "back.ini")
    assert_same_ini(read_defaults_ini(src), back)
    assert back.entries["desc"].value == "first line\nsecond line"
    assert back.stop_key == "config_file" and not back.entries["after"].registered


@pytest.mark.parametrize("fmt", FORMATS)
def test_empty_ini_round_trips(fmt: str, tmp_path: Path) -> None:
    src = tmp_path / "empty.ini"
    src.write_text("[DEFAULTS]\n", encoding="utf-8")
    migrate(src, fmt, tmp_path / OUT[fmt])
    migrate(tmp_path / OUT[fmt], "ini", tmp_path / "back.ini")
    assert read_defaults_ini(tmp_path / "back.ini").entries == {}


def test_hydra_keeps_a_value_no_option_file_can_name(tmp_path: Path) -> None:
    src = tmp_path / "s.ini"
    src.write_text("[DEFAULTS]\nstrategy = 2\nlogger = 'my logger/x'\nseed = 1\n",
                   encoding="utf-8")
    result = migrate(src, "hydra", tmp_path / "tree")
    reasons = {n.key: n.reason for n in result.notes}
    assert "cannot name a Hydra option file" in reasons["strategy"]
    assert "cannot name a Hydra option file" in reasons["logger"]
    base = (tmp_path / "tree" / "config" / "training" / "base.yaml").read_text(encoding="utf-8")
    assert "strategy: 2\n" in base and 'logger: "my logger/x"' in base
    migrate(tmp_path / "tree", "ini", tmp_path / "back.ini")
    assert_same_ini(read_defaults_ini(src), read_defaults_ini(tmp_path / "back.ini"))


@pytest.mark.parametrize("key", ["defaults", "hydra"])
def test_hydra_reserved_keys_are_refused(key: str, tmp_path: Path) -> None:
    src = tmp_path / "r.ini"
    src.write_text(f"[DEFAULTS]\n{key} = 1\n", encoding="utf-8")
    with pytest.raises(MigrateError, match="reserved by Hydra"):
        migrate(src, "hydra", tmp_path / "tree")
    assert not (tmp_path / "tree" / "config").exists()


def test_interpolation_text_is_reported_for_hydra(tmp_path: Path) -> None:
    src = tmp_path / "i.ini"
    src.write_text("[DEFAULTS]\nsave_dir = '${oc.env:HOME}/runs'\n", encoding="utf-8")
    result = migrate(src, "hydra", tmp_path / "tree")
    assert any(n.key == "save_dir" and "interpolation" in n.reason for n in result.notes)


def test_stale_kind_in_an_edited_file_is_reported(tmp_path: Path) -> None:
    src = tmp_path / "k.ini"
    src.write_text("[DEFAULTS]\nrecover = False\n", encoding="utf-8")  # kind "bool" recorded
    migrate(src, "yaml", tmp_path / "k.yaml")
    path = tmp_path / "k.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("recover: false", "recover: 3"),
                    encoding="utf-8")
    result = migrate(path, "ini", tmp_path / "k2.ini")
    assert [n.key for n in result.notes] == ["recover"]
    assert read_defaults_ini(tmp_path / "k2.ini").entries["recover"].value == 3


def test_bad_metadata_line_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("# x\n# satconf:ini {not json\na: 1\n", encoding="utf-8")
    with pytest.raises(MigrateError) as err:
        read_source(path)
    assert err.value.line == 2


def test_non_text_yaml_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "k.yaml"
    path.write_text("a: 1\n3: x\n", encoding="utf-8")
    with pytest.raises(MigrateError) as err:
        read_source(path)
    assert err.value.line == 2 and "not text" in err.value.reason


# -- property: any INI prefigure can read survives every format -------------------------

_SCALARS = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
            | st.floats(allow_nan=False) | st.text(max_size=12))
_VALUES = (_SCALARS | st.lists(_SCALARS, max_size=3) | st.tuples(_SCALARS, _SCALARS)
           | st.dictionaries(st.text(max_size=4), _SCALARS, max_size=2))
_RAW = st.from_regex(r"[A-Za-z][A-Za-z0-9 ./-]{0,12}", fullmatch=True).map(str.strip)
# Help comments: any letters, digits, spaces and punctuation but the comment marks.
_HELP = st.text(st.characters(categories=("L", "N", "Zs", "P", "S"), exclude_characters="#;"),
                max_size=20).map(str.strip)
_KEYS = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True).filter(
    lambda k: k not in ("defaults", "hydra"))


def _text(value: object) -> str:
    if isinstance(value, (list, tuple, dict)):
        return repr(value).replace("%", "%%")
    return format_value(value)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(_KEYS, st.tuples(_VALUES.map(_text) | _RAW, _HELP), min_size=1,
                      max_size=8))
@pytest.mark.parametrize("fmt", ["toml", "yaml", "hydra"])
def test_any_ini_round_trips(fmt: str, tmp_path: Path, texts: dict[str, tuple[str, str]]
                             ) -> None:
    with tempfile.TemporaryDirectory(dir=tmp_path) as tmp:
        src = Path(tmp) / "any.ini"
        body = "".join(f"# {h}\n{k} = {t}\n" if h else f"\n{k} = {t}\n"
                       for k, (t, h) in texts.items())
        src.write_text("[DEFAULTS]\n" + body, encoding="utf-8")
        migrate(src, fmt, Path(tmp) / OUT[fmt])
        migrate(Path(tmp) / OUT[fmt], "ini", Path(tmp) / "back.ini")
        assert_same_ini(read_defaults_ini(src), read_defaults_ini(Path(tmp) / "back.ini"))


def test_plain_toml_mapping_is_read_as_values(tmp_path: Path) -> None:
    path = tmp_path / "plain.toml"
    path.write_text('# audio format of the demos\nformat = "wav"\nlr = 3e-4\n'
                    'tags = ["a", "b"]\n', encoding="utf-8")
    migrate(path, "ini", tmp_path / "plain.ini")
    entries = read_defaults_ini(tmp_path / "plain.ini").entries
    assert entries["format"].value == "wav"
    assert entries["format"].help == "audio format of the demos"
    assert entries["lr"].value == 3e-4 and entries["tags"].value == ["a", "b"]


# Fragments of YAML, TOML and INI, glued at random: whatever comes out, it is a
# clean MigrateError or a migration, never a traceback.
_FRAGMENTS = st.lists(st.sampled_from([
    "a: 1", "b: [1, 2", "- x", "defaults: [_self_, {strategy: auto}]", "defaults: 3",
    "c: {d: e}", "k: !!binary aGk=", "e: !!set {a, b}", "? [1]\n: 2", "f: &x [*x]",
    "g: 2001-01-01", '# satconf:ini {"kinds": {"a": "literal"}}', '# satconf:ini {"kinds": 3}',
    "# satconf:ini []", "h: .nan", "i: 1e999", "[DEFAULTS]", "x = 1", "format = 1", "[values]",
    'name = "n"', "values = 3", "[none]", 'values = ["a"]', "[literal_values]", 'a = "(1,"',
    "\t", "%", "y = %(x)s", "x = (1, [2, {3: None}])",
]), max_size=8).map("\n".join)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_FRAGMENTS, st.sampled_from([".yaml", ".toml", ".ini", ".txt"]),
       st.sampled_from(["ini", "yaml", "toml", "hydra"]))
def test_odd_sources_fail_cleanly(tmp_path: Path, text: str, suffix: str, to: str) -> None:
    with tempfile.TemporaryDirectory(dir=tmp_path) as tmp:
        src = Path(tmp) / f"src{suffix}"
        src.write_text(text, encoding="utf-8")
        out = Path(tmp) / ("tree" if to == "hydra" else f"out.{to}")
        try:
            migrate(src, to, out)
        except MigrateError as exc:
            assert str(exc).startswith(str(src)) or str(exc).startswith(str(out))
            assert not out.exists()


@pytest.mark.parametrize(("data", "line", "reason"), [
    (b"name: run\nformat: \xe9t\xe9\n", 2, "is not UTF-8 text (byte 0xe9)"),
    (b"\x7fELF\x00\x00\x01", None, "is a binary file, not a text file"),
])
def test_a_source_that_is_not_text_names_the_file_and_line(tmp_path: Path, data: bytes,
                                                           line: int | None, reason: str) -> None:
    src = tmp_path / "src.yaml"
    src.write_bytes(data)
    with pytest.raises(MigrateError) as info:
        migrate(src, "ini", tmp_path / "out.ini")
    assert (info.value.line, info.value.reason) == (line, reason)
    assert not (tmp_path / "out.ini").exists()
