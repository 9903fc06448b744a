"""The profile store on real files: round-trips, names, bad files, folder trouble."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from satconf.defaults_ini import read_defaults_ini
from satconf.fields import build_fieldset
from satconf.profiles import (
    MISSING,
    Profile,
    ProfileError,
    ProfileExistsError,
    ProfileNameError,
    ProfileNotFoundError,
    ProfileStore,
    diff_values,
    parse_profile,
    render_profile,
    same_value,
    validate_name,
)
from satconf.workspace import profiles_dir

from conftest import SEED_INI, make_workspace

# A fork's defaults.ini: every kind of value prefigure can type, beyond the seed's keys.
FORK_EXTRAS = """
# learning rate
lr = 1e-05
# a very large float and a very large int
huge = 1.5e300
big = 123456789012345678901234567890
use_ema = True
note = 'héllo "quoted" \\'single\\' 100%% ünïcødé ✓'
layers = [1, 2, None]
shape = (64, 128)
mapping = {'a': 1, 'b': [2.5, 'x']}
nested = {'k': [1, {'deep': (2, 3)}], 'n': None}
flags = {1, 2, 3}
empty_list = []
negative = -17
"""


@pytest.fixture
def store(tmp_path: Path) -> ProfileStore:
    return ProfileStore(tmp_path / "profiles")


def _fork_values(tmp_path: Path) -> dict[str, Any]:
    ws = make_workspace(tmp_path / "fork", SEED_INI.read_text() + FORK_EXTRAS)
    return build_fieldset(read_defaults_ini(ws / "defaults.ini")).defaults()


def assert_same(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert list(sorted(a)) == list(sorted(b))
    for key in a:
        assert same_value(a[key], b[key]), (key, a[key], b[key])


# ------------------------------------------------------------------ round trips

def test_default_root_follows_satconf_home(satconf_home: Path) -> None:
    assert ProfileStore().root == profiles_dir() == satconf_home / "profiles"


def test_every_field_type_round_trips_byte_stable(store: ProfileStore, tmp_path: Path) -> None:
    values = _fork_values(tmp_path)
    # The INI gave us each type; add what only a user types.
    values["name"] = "run «ünïcødé» \"quotes\" 'single' \\ back\nslash\ttab\r\n" + "x" * 5000
    values["pi"] = math.pi
    values["tiny"] = 5e-324
    values["inf"] = float("inf")
    values["ninf"] = float("-inf")
    values["zero_neg"] = -0.0
    values["ctrl"] = "\x00\x01\x1f\x7f"
    assert values["project"] is None
    assert isinstance(values["shape"], tuple) and values["layers"] == [1, 2, None]
    assert values["use_ema"] is True and values["lr"] == 1e-05
    prof = Profile("fork run", values=values, description="ünï\nline two", gpus=[0, 3],
                   python="/opt/venv/bin/python", workspace=str(tmp_path / "fork"),
                   options={"cluster": {"nodes": 2, "account": None, "tags": ["a"]}})
    path = store.save(prof)
    first = path.read_bytes()
    back = store.load("fork run")
    assert_same(back.values, values)
    assert back.options == {"cluster": {"nodes": 2, "account": None, "tags": ["a"]}}
    assert (back.gpus, back.python, back.workspace) == (prof.gpus, prof.python, prof.workspace)
    assert (back.description, back.created, back.updated) == \
        (prof.description, prof.created, prof.updated)
    assert back.warnings == []
    # A second save of what was loaded writes the same bytes (touch=False forces the write).
    store.save(back, touch=False)
    assert path.read_bytes() == first
    assert render_profile(store.load("fork run")) == first
    # An unchanged save with touch does not rewrite or re-stamp the file.
    before = path.stat().st_mtime_ns
    store.save(store.load("fork run"))
    assert path.read_bytes() == first and path.stat().st_mtime_ns == before


def test_none_is_listed_under_none_table(store: ProfileStore) -> None:
    prof = Profile("n", values={"project": None, "batch_size": 4},
                   options={"cluster": {"partition": None}, "engine": None})
    text = store.save(prof).read_text()
    assert "[none]" in text and '"project"' in text
    back = store.load("n")
    assert back.values == {"batch_size": 4, "project": None}
    assert back.options == {"cluster": {"partition": None}, "engine": None}
    # None and a missing key stay different things.
    assert diff_values({"project": None}, {}) == [("project", None, MISSING)]


def test_unknown_keys_kept_with_warning(store: ProfileStore) -> None:
    store.save(Profile("u", values={"seed": 1}))
    path = store.path_for("u")
    text = path.read_text()
    text = text.replace("format = 1\n", "format = 1\ncolor = \"red\"\n")
    text += "\n[launch]\npriority = 3\n\n[plugins.wandb]\nentity = \"me\"\n"
    path.write_text(text)
    prof = store.load("u")
    assert prof.unknown == {"color": "red", "launch": {"priority": 3},
                            "plugins": {"wandb": {"entity": "me"}}}
    joined = "\n".join(prof.warnings)
    assert "`color`" in joined and "`launch.priority`" in joined and "`plugins`" in joined
    assert f"{path}:" in joined
    prof.values["seed"] = 2
    store.save(prof)
    again = store.load("u")
    assert again.unknown == prof.unknown and again.values == {"seed": 2}
    first = path.read_bytes()
    store.save(again, touch=False)
    assert path.read_bytes() == first


# A strategy of the Python literals a defaults.ini can hold (literal_eval's types).
_scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**80), max_value=2**80)
            | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=40))
_literals = st.recursive(
    _scalars,
    lambda inner: (st.lists(inner, max_size=4) | st.tuples(inner, inner)
                   | st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.dictionaries(st.text(min_size=1, max_size=20), _literals, max_size=8),
       description=st.text(max_size=60))
def test_any_literal_round_trips(values: dict[str, Any], description: str) -> None:
    prof = Profile("prop", values=values, description=description)
    data = render_profile(prof)
    back = parse_profile(data, "prop.toml", name="prop")
    assert_same(back.values, values)
    assert back.description == description
    assert render_profile(back) == data


def test_nan_round_trips(store: ProfileStore) -> None:
    store.save(Profile("nan", values={"x": float("nan")}))
    assert math.isnan(store.load("nan").values["x"])


def test_unwritable_value_is_refused_and_nothing_written(store: ProfileStore) -> None:
    store.save(Profile("keep", values={"a": 1}))
    old = store.path_for("keep").read_bytes()
    with pytest.raises(ProfileError, match=r"`a`.*neither as TOML nor as a Python literal"):
        store.save(Profile("keep", values={"a": object()}))
    with pytest.raises(ProfileError, match=r"launch option cluster\.x"):
        store.save(Profile("keep", options={"cluster": {"x": (1, 2)}}))
    with pytest.raises(ProfileError, match="not valid Unicode"):
        store.save(Profile("keep", values={"k\udc80": 1}))
    assert store.path_for("keep").read_bytes() == old
    # A lone surrogate (from a mis-decoded file name) survives as a Python literal.
    store.save(Profile("odd", values={"path": "caf\udce9"}))
    assert store.load("odd").values == {"path": "caf\udce9"}


# ------------------------------------------------------------------ names

@pytest.mark.parametrize(("name", "rule"), [
    ("../x", "path separator"),
    ("a/b", "path separator"),
    ("a\\b", "path separator"),
    ("a..b", "`..`"),
    (".hidden", "starts with a dot"),
    ("", "empty"),
    ("   ", "empty"),
    (" lead", "space"),
    ("trail.", "ends with a dot"),
    ("x" * 65, "65 characters long; the limit is 64"),
    ("a:b", "':'"),
    ("tab\there", "'\\t'"),
    ("nul\x00", "'\\x00'"),
    ("star*", "'*'"),
])
def test_bad_names_say_which_rule(store: ProfileStore, name: str, rule: str) -> None:
    with pytest.raises(ProfileNameError) as info:
        validate_name(name)
    assert rule in str(info.value)
    with pytest.raises(ProfileNameError):
        store.save(Profile(name))
    with pytest.raises(ProfileNameError):
        store.load(name)
    assert not store.root.exists() or list(store.root.iterdir()) == []
    assert not (store.root.parent / "x.toml").exists()


@pytest.mark.parametrize("name", ["fine-tune", "run 1", "ablation_v2.1", "Übung", "实验",
                                  "x" * 64, "ρ-sweep"])
def test_good_names(store: ProfileStore, name: str) -> None:
    store.save(Profile(name, values={"seed": 1}))
    assert store.exists(name)
    assert store.load(name).name == name


def test_names_are_nfc(store: ProfileStore) -> None:
    store.save(Profile("nai\u0308ve"))
    assert store.exists("na\u00efve") and store.names() == ["na\u00efve"]


def test_rename_copy_delete(store: ProfileStore) -> None:
    store.save(Profile("a", values={"seed": 1}, description="first"))
    created = store.load("a").created
    store.rename("a", "b")
    assert not store.exists("a")
    b = store.load("b")
    assert (b.values, b.description, b.created) == ({"seed": 1}, "first", created)
    twin = store.copy("b", "c")
    assert store.load("c").values == {"seed": 1} and twin.name == "c"
    store.save(Profile("d", values={"seed": 4}))
    with pytest.raises(ProfileExistsError, match="'d' already exists"):
        store.rename("b", "d")
    with pytest.raises(ProfileExistsError):
        store.copy("b", "d")
    assert store.load("b").values == {"seed": 1} and store.load("d").values == {"seed": 4}
    store.delete("c")
    assert not store.exists("c")
    with pytest.raises(ProfileNotFoundError, match="no profile named 'c'"):
        store.delete("c")
    with pytest.raises(ProfileNotFoundError, match="did you mean 'b'"):
        store.load("bb")
    with pytest.raises(ProfileNameError):
        store.rename("b", "../escape")
    assert sorted(p.name for p in store.list()[0]) == ["b", "d"]


def test_save_stamps_updated_only_on_change(store: ProfileStore) -> None:
    old = datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    prof = Profile("t", values={"seed": 1}, created=old, updated=old)
    store.save(prof, touch=False)
    assert store.load("t").updated == old
    same = store.load("t")
    store.save(same)
    assert store.load("t").updated == old
    same.values["seed"] = 2
    store.save(same)
    back = store.load("t")
    assert back.updated > old and back.created == old


def test_diff_values_is_type_aware() -> None:
    a = {"x": 1, "y": 1.0, "z": True, "same": "s", "only_a": 0}
    b = {"x": 1.0, "y": 1.0, "z": 1, "same": "s", "only_b": None}
    assert diff_values(a, b) == [("x", 1, 1.0), ("z", True, 1), ("only_a", 0, MISSING),
                                 ("only_b", MISSING, None)]


# ------------------------------------------------------------------ folder trouble
