"""defaults.ini lines prefigure reads differently from what they say: each trap's exact finding."""

from __future__ import annotations

from pathlib import Path

from satconf.checks import Finding
from satconf.checks.context import Context
from satconf.checks.ini_traps import check_ini_traps

from checks_support import TRAIN_PY, config_for
from conftest import SEED_INI, make_workspace

BARE = "satconf passes the bare flag when on; by hand, never give it a value"


def _traps(tmp_path: Path, replacements: dict[str, str], extra: str = "",
           train_py: str = TRAIN_PY) -> dict[str | None, Finding]:
    ini = SEED_INI.read_text(encoding="utf-8")
    for old, new in replacements.items():
        assert old in ini
        ini = ini.replace(old, new)
    ws = make_workspace(tmp_path / "ws", ini + extra, train_py)
    found = check_ini_traps(Context.of(config_for(ws), None))
    by_key = {f.field: f for f in found}
    assert len(by_key) == len(found)  # one finding per key here
    return by_key


def test_the_seed_ini_has_no_trap(tmp_path: Path) -> None:
    # recover = false is the text 'false', but this train.py never reads it
    assert _traps(tmp_path, {}) == {}


def test_a_number_where_a_choice_is_expected(tmp_path: Path) -> None:
    found = _traps(tmp_path, {'precision = "16-mixed"': "precision = 16.0"})
    assert found == {"precision": Finding(
        "warning", "precision", "defaults.ini line 26: `precision = 16.0` is a number, so "
        "prefigure's --precision accepts only numbers (e.g. bf16-mixed is rejected)",
        'quote it: `precision = "16.0"`')}
    # a number for a key without choices is what it seems
    assert _traps(tmp_path / "n", {"batch_size = 4": "batch_size = 8"}) == {}


def test_quoted_dir_paths_keep_their_quotes(tmp_path: Path) -> None:
    found = _traps(tmp_path, {"save_dir = ''": 'save_dir = "my_dir"'})
    assert found == {"save_dir": Finding(
        "info", "save_dir", 'defaults.ini line 62: `save_dir = "my_dir"` contains `_dir`, so '
        "prefigure keeps the quotes in the path; train.py run by hand would use \"my_dir\" with "
        "its quotes (satconf always passes the flag)",
        "write it without quotes: `save_dir = my_dir`")}
    single = _traps(tmp_path / "s", {"save_dir = ''": "save_dir = 'my_dir/x'"})
    assert single["save_dir"].hint == "write it without quotes: `save_dir = my_dir/x`"
    assert _traps(tmp_path / "u", {"save_dir = ''": "save_dir = my_dir/x"}) == {}


def test_true_and_false_make_bare_switches(tmp_path: Path) -> None:
    found = _traps(tmp_path, {}, extra="use_ema = True\nfast = False\n")
    assert found == {
        "use_ema": Finding("warning", "use_ema", "defaults.ini line 72: `use_ema = True` makes "
                           "--use-ema a bare switch: without the flag it is False whatever the "
                           "INI says, and `--use-ema False` means True", BARE),
        "fast": Finding("info", "fast", "defaults.ini line 73: `fast = False` makes --fast a "
                        "bare switch: without the flag it is False whatever the INI says, and "
                        "`--fast False` means True", BARE)}


def test_boolean_words_as_text_where_train_py_reads_them(tmp_path: Path) -> None:
    reads = TRAIN_PY.replace("seed = args.seed",
                             "seed = (args.seed, args.a, args.b, args.c, args.e)")
    found = _traps(tmp_path, {}, extra="a = ' True '\nb = \"false\"\nc = maybe\nd = 'false'\n"
                   "e = 'XTrue'\n", train_py=reads)
    assert set(found) == {"a", "b"}  # c and e are no boolean words, d is never read
    assert found["a"] == Finding(
        "warning", "a", "defaults.ini line 72: `a = ' True '` is the text ' True ', not a "
        "boolean: any non-empty text is true in Python, \"false\" too",
        "write `a = True` or `False` if train.py tests it")
    assert found["b"].message.startswith("defaults.ini line 73: `b = \"false\"` is the text "
                                         "'false', not a boolean")


def test_keys_after_a_stop_key_get_no_flag(tmp_path: Path) -> None:
    found = _traps(tmp_path, {}, extra="config_file = ''\nlate = 1\nlater = 'x'\n")
    assert found == {"config_file": Finding(
        "warning", "config_file", "prefigure stops reading defaults.ini at `config_file` (one "
        "of wandb_config, config_file): late, later get no flag and train.py never sees them",
        "move `config_file` to the end of [DEFAULTS]")}
    # a stop key at the very end hides nothing
    assert _traps(tmp_path / "end", {}, extra="wandb_config = ''\n") == {}


def test_a_seed_key_missing_from_the_ini_hides_no_later_trap(tmp_path: Path) -> None:
    found = _traps(tmp_path, {"project = None\n": ""}, extra="use_ema = True\n")
    assert list(found) == ["use_ema"]
