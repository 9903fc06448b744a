"""Migration round trips: INI -> TOML / YAML / Hydra -> INI, value for value, help for help."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from satconf import kinds
from satconf.defaults_ini import DefaultsIni, Kind, read_defaults_ini
from satconf.fields import build_fieldset
from satconf.migrate import FORMATS, MigrateError, OutputExistsError, migrate, read_source
from satconf.profiles import ProfileStore
from satconf.profiles.transfer import import_profile

from conftest import SEED_INI

# A fork's INI with the values that trip converters up. `%%` is configparser's literal `%`.
EDGE_INI = """\
[DEFAULTS]

# Ünïcödé help ♪ with "quotes" and 100%% sure
name = run ♪ 'x'

# the project (None: no project)
project = None
batch_size = -3

# resume from the latest checkpoint?
recover = true
lr = 1e-05
neg_float = -2.5
demo_every = 250
flag_on = True
flag_off = False
lower_true = true
empty = ''
quoted = "it's \\"q\\""
percent = 50%%
percent_quoted = '100%% done'
list_val = [1, 'a%%b', None, 2.5]
tuple_val = (1, (2, 'x'))
dict_val = {'a': [1, 2], 'b': None}
set_val = {1, 2}
out_dir = /tmp/my_dir
quoted_dir = '/x/run_dir'
bigint = 123456789012345678901234567890
precision = "16-mixed"
gradient_clip_val = 0.5
strategy = ddp_spawn
logger = 'none'
bare = plain words here
inf_val = 1e999
on = yes
wandb_config = ''
after_stop = 1
"""

# An INI written with Python literals where the seed uses lowercase text.
LITERAL_INI = """\
[DEFAULTS]
recover = False
logger = None
strategy = 'deepspeed'
precision = 32
seed = 0
"""

STRUCTURED = ("toml", "yaml", "hydra")


def _out(tmp: Path, fmt: str) -> Path:
    return tmp / {"toml": "out.toml", "yaml": "out.yaml", "hydra": "tree", "ini": "out.ini"}[fmt]


def _write_ini(tmp: Path, text: str) -> Path:
    path = tmp / "source.ini"
    path.write_text(text, encoding="utf-8")
    return path


def assert_same_ini(a: DefaultsIni, b: DefaultsIni) -> None:
    """Same keys in the same order, and prefigure types each the same (type included)."""
    assert list(a.entries) == list(b.entries)
    for key, ea in a.entries.items():
        eb = b.entries[key]
        assert type(ea.value) is type(eb.value), key
        assert repr(ea.value) == repr(eb.value), key
        assert ea.kind is eb.kind, key
        assert ea.registered == eb.registered, key
        assert ea.help == eb.help, key
    assert a.stop_key == b.stop_key
    # The judge is the real prefigure: train.py gets the same args from both files.
    assert prefigure_reading(a.path) == prefigure_reading(b.path)


def prefigure_reading(ini: Path) -> object:
    """{dest: (type, repr)} of the namespace the real prefigure 0.0.9 builds from `ini`
    with no flags, or how it refused the file."""
    import tempfile

    from prefig import PrefigureExit, ini_namespace

    with tempfile.TemporaryDirectory() as folder:
        try:
            got = ini_namespace(ini.read_text(encoding="utf-8"), Path(folder))
        except PrefigureExit as exc:
            return ("refused", exc.stderr.strip().splitlines()[-1:])
        except Exception as exc:  # e.g. configparser's own errors
            return ("raised", type(exc).__name__)
    return {k: (type(v).__name__, repr(v)) for k, v in got.items()}


@pytest.fixture(params=["seed", "edge", "literal"])
def source_ini(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    if request.param == "seed":
        return SEED_INI
    return _write_ini(tmp_path, EDGE_INI if request.param == "edge" else LITERAL_INI)


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_ini_to_format_and_back(source_ini: Path, fmt: str, tmp_path: Path) -> None:
    there = migrate(source_ini, fmt, _out(tmp_path, fmt))
    assert all(p.is_file() for p in there.written)
    back = migrate(_out(tmp_path, fmt), "ini", tmp_path / "back.ini")
    assert back.source_format == fmt
    assert_same_ini(read_defaults_ini(source_ini), read_defaults_ini(tmp_path / "back.ini"))


@pytest.mark.parametrize("fmt", STRUCTURED)
def test_fieldset_defaults_survive(fmt: str, tmp_path: Path) -> None:
    src = _write_ini(tmp_path, EDGE_INI)
    migrate(src, fmt, _out(tmp_path, fmt))
    migrate(_out(tmp_path, fmt), "ini", tmp_path / "back.ini")
    before = build_fieldset(read_defaults_ini(src)).defaults()
    after = build_fieldset(read_defaults_ini(tmp_path / "back.ini")).defaults()
    assert list(before) == list(after)
    assert {k: repr(v) for k, v in before.items()} == {k: repr(v) for k, v in after.items()}


def test_chained_formats_keep_values(tmp_path: Path) -> None:
    src = _write_ini(tmp_path, EDGE_INI)
    migrate(src, "yaml", tmp_path / "a.yaml")
    migrate(tmp_path / "a.yaml", "toml", tmp_path / "b.toml")
    migrate(tmp_path / "b.toml", "hydra", tmp_path / "c")
    migrate(tmp_path / "c", "yaml", tmp_path / "d.yaml")
    migrate(tmp_path / "d.yaml", "ini", tmp_path / "back.ini")
    assert_same_ini(read_defaults_ini(src), read_defaults_ini(tmp_path / "back.ini"))


def test_yaml_values_follow_the_seed_conversions(tmp_path: Path) -> None:
    src = _write_ini(tmp_path, EDGE_INI)
    result = migrate(src, "yaml", tmp_path / "out.yaml")
    text = (tmp_path / "out.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    fields = build_fieldset(read_defaults_ini(src))
    assert fields["recover"].kind is kinds.SWITCH
    assert data["recover"] is True  # lowercase text in a bool field becomes a boolean
    assert data["lower_true"] == "true"  # ... but stays text in a field that is not bool
    assert data["flag_on"] is True and data["flag_off"] is False
    assert data["project"] is None
    assert data["empty"] == ""
    assert data["precision"] == "16-mixed"
    assert data["batch_size"] == -3 and data["demo_every"] == 250
    assert data["lr"] == 1e-05 and isinstance(data["lr"], float)
    assert math.isinf(data["inf_val"])
    assert data["quoted"] == "it's \"q\""
    assert data["percent"] == "50%" and data["percent_quoted"] == "100% done"
    assert data["list_val"] == [1, "a%b", None, 2.5]
    assert data["dict_val"] == {"a": [1, 2], "b": None}
    assert data["name"] == "run ♪ 'x'"
    assert data["on"] == "yes"
    assert list(data) == list(read_defaults_ini(src).entries)
    # help text rides along as the comment above each key
    assert "# Ünïcödé help ♪ with \"quotes\" and 100%% sure\nname:" in text
    assert "# resume from the latest checkpoint?\nrecover: true" in text
    # what YAML cannot hold is reported, with the key and why
    reasons = {n.key: n.reason for n in result.notes}
    assert "tuple" in reasons["tuple_val"] and "set" in reasons["set_val"]
    assert "Path" in reasons["out_dir"] and "Path" in reasons["quoted_dir"]
    assert data["tuple_val"] == "(1, (2, 'x'))"
    assert "project" not in reasons and "list_val" not in reasons


def test_seed_yaml_matches_the_seed_layout(tmp_path: Path) -> None:
    migrate(SEED_INI, "yaml", tmp_path / "out.yaml")
    data = yaml.safe_load((tmp_path / "out.yaml").read_text(encoding="utf-8"))
    ini = read_defaults_ini(SEED_INI)
    expected: dict[str, Any] = {k: e.value for k, e in ini.entries.items()}
    expected["recover"] = False
    assert data == expected
    assert "recover: false\n" in (tmp_path / "out.yaml").read_text(encoding="utf-8")


def test_toml_is_a_profile_the_store_imports(tmp_path: Path) -> None:
    src = _write_ini(tmp_path, EDGE_INI)
    result = migrate(src, "toml", tmp_path / "fork-run.toml")
    prof = import_profile(tmp_path / "fork-run.toml")
    assert prof.name == "fork-run"
    ini = read_defaults_ini(src)
    for key, entry in ini.entries.items():
        want = entry.text if entry.kind is Kind.PATH else entry.value
        if key == "recover":
            want = True
        assert repr(prof.values[key]) == repr(want), key
    store = ProfileStore(tmp_path / "profiles")
    store.save(prof, overwrite=False)
    assert repr(store.load("fork-run").values["tuple_val"]) == "(1, (2, 'x'))"
    reasons = {n.key: n.reason for n in result.notes}
    assert "None" in reasons["project"]
    assert "[literal_values]" in reasons["tuple_val"]
    assert "[literal_values]" in reasons["bigint"]


def test_literal_kinds_recorded_for_the_way_back(tmp_path: Path) -> None:
    src = _write_ini(tmp_path, LITERAL_INI)
    migrate(src, "yaml", tmp_path / "out.yaml")
    text = (tmp_path / "out.yaml").read_text(encoding="utf-8")
    assert '# satconf:ini {"kinds": {"recover": "bool"}}' in text
    assert yaml.safe_load(text)["precision"] == 32


def test_hand_written_yaml_needs_no_metadata(tmp_path: Path) -> None:
    (tmp_path / "hand.yaml").write_text(
        "# how many per step\nbatch_size: 16\nrecover: true\nlr: 3e-4\nlogger: null\n"
        "save_dir: runs/my_dir\nprecision: bf16-mixed\ntags: [a, b]\n", encoding="utf-8")
    migrate(tmp_path / "hand.yaml", "ini", tmp_path / "out.ini")
    entries = read_defaults_ini(tmp_path / "out.ini").entries
    assert entries["batch_size"].value == 16 and entries["batch_size"].help == "how many per step"
    assert entries["recover"].value == "true"  # the seed's lowercase style for a bool field
    assert entries["lr"].value == 3e-4  # read as Hydra reads it: a float
    assert entries["logger"].value is None
    assert entries["save_dir"].kind is Kind.PATH and entries["save_dir"].value == Path(
        "runs/my_dir")
    assert entries["precision"].value == "bf16-mixed"
    assert entries["tags"].value == ["a", "b"]


def test_unrepresentable_in_ini_is_reported(tmp_path: Path) -> None:
    # A string holding `_dir` can only reach prefigure as a Path.
    (tmp_path / "x.yaml").write_text('# satconf:ini {"kinds": {"a": "str"}}\n\na: "x_dir"\n',
                                     encoding="utf-8")
    result = migrate(tmp_path / "x.yaml", "ini", tmp_path / "x.ini")
    assert [n.key for n in result.notes] == ["a"]
    assert "Path" in result.notes[0].reason


def test_never_overwrites_without_force(tmp_path: Path) -> None:
    for fmt in FORMATS:
        out = _out(tmp_path, fmt)
        migrate(SEED_INI, fmt, out)
        with pytest.raises(OutputExistsError):
            migrate(SEED_INI, fmt, out)
        migrate(_write_ini(tmp_path, LITERAL_INI), fmt, out, force=True)
        _, doc = read_source(out)
        assert doc.get("strategy") is not None and doc.get("strategy").value == "deepspeed"


@pytest.mark.parametrize(("name", "text", "line"), [
    ("bad.ini", "[DEFAULTS]\nx = %(nope)s\n", 2),
    ("bad.yaml", "a: 1\nb: [1, 2\n", 3),
    ("dup.yaml", "a: 1\na: 2\n", 2),
    ("list.yaml", "- 1\n- 2\n", 1),
    ("bad.toml", "a = 1\nb = \n", 2),
    ("bad.toml", 'format = 1\nname = "x"\n[none]\nvalues = 3\n', 4),
])
def test_bad_sources_name_file_and_line(tmp_path: Path, name: str, text: str, line: int) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MigrateError) as err:
        migrate(path, "ini", tmp_path / "out.ini")
    assert err.value.line == line
    assert str(err.value).startswith(f"{path}:{line}: ")
    assert not (tmp_path / "out.ini").exists()


def test_unknown_source_kind_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("just some words\n", encoding="utf-8")
    with pytest.raises(MigrateError, match=r"not a defaults\.ini, YAML or TOML"):
        migrate(path, "ini", tmp_path / "out.ini")
    with pytest.raises(MigrateError, match="Hydra"):
        migrate(tmp_path, "ini", tmp_path / "out.ini")


def test_content_sniffing_without_suffix(tmp_path: Path) -> None:
    (tmp_path / "defaults").write_text(SEED_INI.read_text(), encoding="utf-8")
    assert migrate(tmp_path / "defaults", "yaml", tmp_path / "a.yaml").source_format == "ini"
    (tmp_path / "conf").write_text("batch_size: 3\n", encoding="utf-8")
    assert migrate(tmp_path / "conf", "ini", tmp_path / "b.ini").source_format == "yaml"
