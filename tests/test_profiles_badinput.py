"""Bad profile files and folders: reported with file, line and reason; nothing is lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from readonly_support import read_only_folder
from satconf.profiles import Profile, ProfileError, ProfileStore


@pytest.fixture
def store(tmp_path: Path) -> ProfileStore:
    return ProfileStore(tmp_path / "profiles")

# ------------------------------------------------------------------ bad files

def _good(store: ProfileStore) -> bytes:
    store.save(Profile("good", values={"batch_size": 8, "project": None}))
    return store.path_for("good").read_bytes()


def _plant(store: ProfileStore, name: str, data: bytes) -> Path:
    store.root.mkdir(parents=True, exist_ok=True)
    path = store.root / f"{name}.toml"
    path.write_bytes(data)
    return path


def _check_reported(store: ProfileStore, name: str, path: Path, data: bytes, *fragments: str,
                    line: int | None = None) -> ProfileError:
    with pytest.raises(ProfileError) as info:
        store.load(name)
    err = info.value
    assert err.path == path and str(path) in str(err)
    for fragment in fragments:
        assert fragment in str(err)
    if line is not None:
        assert err.line == line and f"{path}:{line}:" in str(err)
    profiles, errors = store.list()
    assert [p.name for p in profiles] == ["good"]
    assert [e.path for e in errors] == [path]
    assert path.read_bytes() == data  # reading never changes a file
    return err


def test_truncated_toml(store: ProfileStore) -> None:
    good = _good(store)
    cut = good[: good.index(b"[values]\n") + len(b"[values]\n")] + b'project = "unterminat'
    path = _plant(store, "cut", cut)
    line = cut.count(b"\n") + 1
    _check_reported(store, "cut", path, cut, "not valid TOML", line=line)
    half = good[: len(good) // 2]
    _plant(store, "cut", half)
    with pytest.raises(ProfileError, match=r"cut\.toml"):
        store.load("cut")
    assert store.load("good").values == {"batch_size": 8, "project": None}


def test_empty_file(store: ProfileStore) -> None:
    _good(store)
    path = _plant(store, "empty", b"")
    _check_reported(store, "empty", path, b"", "not a satconf profile")


def test_binary_garbage(store: ProfileStore) -> None:
    _good(store)
    junk = bytes(range(256)) * 4
    path = _plant(store, "junk", junk)
    _check_reported(store, "junk", path, junk, "binary file")
    latin = "format = 1\nname = 'caf\xe9'\n".encode("latin-1")
    path = _plant(store, "junk", latin)
    _check_reported(store, "junk", path, latin, "not UTF-8", line=2)


@pytest.mark.parametrize(("body", "fragments", "line"), [
    ('format = "1"\n', ("`format` must be a whole number, not text",), 1),
    ("format = true\n", ("`format` must be a whole number",), 1),
    ('format = 1\ncreated = "yesterday"\n', ("`created` must be a date and time",), 2),
    ("format = 1\ndescription = 3\n", ("`description` must be text",), 2),
    ("format = 1\nworkspace = [1]\n", ("`workspace` must be text",), 2),
    ('format = 1\n\n[launch]\ngpus = ["a"]\n', ("`launch.gpus` must be a list",), 4),
    ("format = 1\n\n[launch]\ngpus = [-1]\n", ("`launch.gpus`",), 4),
    ("format = 1\n\n[launch]\npython = 3\n", ("`launch.python` must be text",), 4),
    ("format = 1\nlaunch = 5\n", ("`launch` must be a table",), 2),
    ("format = 1\nvalues = 3\n", ("`values` must be a table",), 2),
    ('format = 1\n\n[none]\nvalues = "project"\n', ("`none.values` must be a list",), 4),
    ('format = 1\n\n[values]\nproject = "p"\n\n[none]\nvalues = ["project"]\n',
     ("listed in [none] and also has a value",), 7),
    ('format = 1\n\n[literal_values]\nshape = "(1,"\n', ("not a Python literal",), 4),
    ("format = 1\n\n[literal_values]\nshape = 3\n", ("must be a Python literal",), 4),
    ("format = 2\n", ("newer satconf", "format 2"), 1),
    ("format = 0\n", ("unknown profile format 0",), 1),
    ('name = "x"\n', ("no `format` key",), None),
])
def test_wrong_types(store: ProfileStore, body: str, fragments: tuple[str, ...],
                     line: int | None) -> None:
    _good(store)
    data = body.encode()
    path = _plant(store, "bad", data)
    err = _check_reported(store, "bad", path, data, *fragments, line=line)
    assert err.line == line


def test_file_name_wins_over_inner_name(store: ProfileStore) -> None:
    _plant(store, "outer", b'format = 1\nname = "inner"\n\n[values]\nseed = 3\n')
    prof = store.load("outer")
    assert prof.name == "outer" and prof.values == {"seed": 3}
    assert any("'inner'" in w and ":2:" in w for w in prof.warnings)


def test_list_reports_badly_named_files_and_skips_temporaries(store: ProfileStore) -> None:
    good = _good(store)
    _plant(store, "a..b", good)
    (store.root / ".good.toml.x1y2.tmp").write_bytes(good[:10])  # a save cut short
    (store.root / "notes.txt").write_text("hi")
    profiles, errors = store.list()
    assert [p.name for p in profiles] == ["good"]
    assert len(errors) == 1 and "a..b.toml" in str(errors[0]) and "rename the file" in str(
        errors[0])


# ------------------------------------------------------------------ operations


def test_profile_folder_is_a_file(tmp_path: Path) -> None:
    # Root ignores permissions, so this (and the next test) fail the folder in ways
    # that hold for every user; the chmod test below covers ordinary users.
    root = tmp_path / "profiles"
    root.write_text("not a folder")
    store = ProfileStore(root)
    with pytest.raises(ProfileError, match="the profile folder is a file, not a folder"):
        store.save(Profile("x"))
    with pytest.raises(ProfileError, match="not a folder"):
        store.load("x")
    profiles, errors = store.list()
    assert profiles == [] and len(errors) == 1 and "is a file" in str(errors[0])
    assert root.read_text() == "not a folder"


def test_profile_file_is_a_folder(store: ProfileStore) -> None:
    _good(store)
    (store.root / "dir.toml").mkdir()
    with pytest.raises(ProfileError, match=r"dir\.toml: cannot be saved .*any earlier version"):
        store.save(Profile("dir", values={"seed": 1}))
    with pytest.raises(ProfileError, match="is a folder"):
        store.load("dir")
    assert [p.name for p in store.list()[0]] == ["good"]
    assert sorted(p.name for p in store.root.iterdir()) == ["dir.toml", "good.toml"]


def test_read_only_folder(store: ProfileStore) -> None:
    old = _good(store)
    with read_only_folder(store.root) as why:  # as root: a read-only bind mount
        with pytest.raises(ProfileError, match=f"cannot be saved .*{why}"):
            store.save(Profile("good", values={"batch_size": 99}))
        with pytest.raises(ProfileError, match=why):
            store.save(Profile("new"))
        with pytest.raises(ProfileError, match="cannot be removed"):
            store.delete("good")
        assert store.load("good").values == {"batch_size": 8, "project": None}
        assert store.path_for("good").read_bytes() == old
