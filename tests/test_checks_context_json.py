"""What every check reads: JSON configs read as train.py would (each problem one finding with
its line), the run's values through `Context`, and the order findings are shown in."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from satconf.checks import Finding, findings_from_errors, sort_findings
from satconf.checks.context import Context
from satconf.checks.finding import error, info, warning
from satconf.checks.jsonfile import MAX_JSON_BYTES, _size, load_json

from checks_support import config_for, good_workspace

MODEL = "model config"


def _load(path: Path, text: str | bytes) -> tuple[object, list[Finding]]:
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return load_json(path, "model_config", MODEL)


def test_sizes_in_words() -> None:
    sizes = (0, 1023, 1024, 1536, 5 * 2**20, 3 * 2**30, 2**50)
    assert [_size(n) for n in sizes] == ["0 B", "1023 B", "1.0 KiB", "1.5 KiB", "5.0 MiB",
                                         "3.0 GiB", "1048576.0 GiB"]


def test_each_unreadable_json_is_one_error(tmp_path: Path) -> None:
    p = tmp_path / "m.json"
    assert _load(p, '{"a": 1}') == ({"a": 1}, [])
    assert _load(p, '\ufeff{"a": 1}') == ({"a": 1}, [])  # a UTF-8 BOM, as json.load allows
    cases = {
        "  \n": (f"{p} is empty", "a model config is a JSON object"),
        '{\n  "a": 1\n  "b": 2}': (f"{p}: line 3 column 3: Expecting ',' delimiter",
                                "fix the JSON syntax there (train.py would stop with "
                                "json.decoder.JSONDecodeError)"),
        "[1, 2]": (f"{p} holds a JSON list, but a model config must be a JSON object {{...}}",
                   ""),
        "[" * 100000: (f"{p} is nested too deeply to read", ""),
    }
    for text, (message, hint) in cases.items():
        assert _load(p, text) == (None, [Finding("error", "model_config", message, hint)])
    assert _load(p, b'{"a": 1}\n\n"\xff"') == (None, [error(
        "model_config", f"{p} is not UTF-8 text (line 3)", "save the file as UTF-8 JSON")])
    # only the first 64 KiB are searched for a NUL byte: one after them is a JSON error
    late_nul = _load(p, b"{" + b" " * 65535 + b"\x00}")[1][0]
    assert late_nul.message.startswith(f"{p}: line 1 column 65537: ")
    assert _load(p, b"PK\x03\x04\x00\x00") == (None, [error(
        "model_config", f"{p} is a binary file, not a JSON model config",
        "point it at the .json config file")])


def test_a_file_too_large_is_not_read(tmp_path: Path) -> None:
    p = tmp_path / "big.json"
    with p.open("wb") as f:
        f.truncate(MAX_JSON_BYTES)  # sparse: costs no disk; at the limit it is read
    assert load_json(p, "model_config", MODEL)[1][0].message.endswith(" is a binary file, not "
                                                                      "a JSON model config")
    with p.open("wb") as f:
        f.truncate(MAX_JSON_BYTES + 1)
    assert load_json(p, "model_config", MODEL) == (None, [error(
        "model_config", f"{p} is 8.0 MiB, far too large for a model config",
        "point it at the JSON config; is this a checkpoint or audio file?")])
    assert load_json(tmp_path, "model_config", MODEL) == (None, [error(
        "model_config", f"{tmp_path} cannot be read: Is a directory")])


def test_findings_in_order_once_each() -> None:
    a, b = info("x", "a"), warning("y", "b", "fix")
    c, d = error(None, "c"), error("z", "d")
    assert sort_findings([a, b, c, a, d, b]) == [c, d, b, a]
    assert b.to_json() == {"level": "warning", "field": "y", "message": "b", "hint": "fix"}
    assert [f.hint for f in (info("k", "m"), warning("k", "m"), error("k", "m"))] == [""] * 3
    assert findings_from_errors({"__root__": ["whole"], "batch_size": ["not an int", "<1"]}) == [
        Finding("error", None, "whole", "fix the value in the form, the profile or --set"),
        Finding("error", "batch_size", "not an int", "fix the value in the form, the profile "
                "or --set"),
        Finding("error", "batch_size", "<1", "fix the value in the form, the profile or --set")]


def test_the_context_reads_values_paths_and_json_once(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    ctx = Context.of(config_for(ws, batch_size="many", name="  run  ", val_dataset_config=""),
                     None)
    assert ctx.root == ws and ctx.bad == {"batch_size"}
    assert not ctx.has("batch_size") and not ctx.has("no_such_key") and ctx.has("name")
    assert ctx.value("batch_size", 7) == 7 and ctx.value("no_such_key") is None
    assert ctx.value("seed") == 42 and ctx.text("name") == "run" and ctx.text("seed") == ""
    assert ctx.path("val_dataset_config") is None
    assert ctx.resolve("~/x") == Path.home() / "x" and ctx.resolve("/abs") == Path("/abs")
    assert ctx.path("model_config") == ws / "configs" / "model.json"
    model = ctx.json("model_config", MODEL)
    assert model[0]["model_type"] == "autoencoder" and model[1] == []
    (ws / "configs" / "model.json").write_text("[]")
    assert ctx.json("model_config", MODEL) is model  # once per run of the checks
    assert ctx.json("val_dataset_config", "x") == (None, [])
    missing = Context.of(config_for(ws, dataset_config="nope.json"), None)
    assert missing.json("dataset_config", "x") == (None, [])  # the path checks say why
    too_long = Context.of(config_for(ws, dataset_config="x" * 300), None)
    assert too_long.json("dataset_config", "x") == (None, [])
    empty = ws / "configs" / "empty.json"
    empty.write_text("")
    bad = Context.of(config_for(ws, dataset_config=str(empty)), None)
    assert bad.json("dataset_config", "dataset config") == (None, [error(
        "dataset_config", f"{empty} is empty", "a dataset config is a JSON object")])


def test_the_context_reads_train_py_once(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    config = config_for(ws)
    ctx = Context.of(config, None)
    text = ctx.train_py_text()
    assert "get_all_args()" in text and ctx.reads("seed") and not ctx.reads("project")
    (ws / "train.py").write_text("other")
    assert ctx.train_py_text() == text
    (ws / "train.py").unlink()
    fresh = Context.of(config, None)
    assert fresh.train_py_text() == "" and fresh.reads("project")  # cannot be told: may read
    (ws / "train.py").write_bytes(b"args = get_all_args()\nprint(args.seed)  # \xff\n")
    assert dataclasses.replace(fresh, _json={}).train_py_text().endswith("# \ufffd\n")
