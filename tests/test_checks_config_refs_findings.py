"""Paths inside the model and dataset JSON, and conditioner ids: the exact finding for each input.

The checks are called on real workspaces, in-process, without the training python.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from satconf.checks.config_refs import (
    check_conditioning,
    check_config_paths,
    conditioner_ids,
    looks_like_path,
)
from satconf.checks.context import Context

from checks_support import GOOD_MODEL, config_for, good_workspace, write_json

HINT = ("point it at the real file (relative paths are taken from train.py's folder), "
        "or remove the entry")


def _ctx(ws: Path, **values: Any) -> Context:
    return Context.of(config_for(ws, **values), None)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return good_workspace(tmp_path / "ws")


PATH_CASES = [
    ("x", "/abs/file", True),
    ("x", "./here", True),
    ("x", "../up", True),
    ("x", "~/home", True),
    ("x", "  /padded  ", True),
    ("x", "path/to/thing", True),  # a placeholder, whatever the key
    ("x", "see /PATH/TO/it", True),  # placeholders in any case
    ("x", "<path to clap>", True),
    ("x", "Your/Path/here", True),
    ("x", "lists/train.txt", True),  # a file suffix and a folder
    ("clap_ckpt_path", "clap.ckpt", True),  # a file suffix under a path-ish key
    ("Pretrained_CKPT", "w.safetensors", True),
    ("model_path", "weights.bin", True),
    ("some_file", "notes.TXT", True),
    ("x", "clap.ckpt", False),  # a bare name under any other key: a name, not a path
    ("path", "no_suffix", False),
    ("x", "", False),
    ("x", "   ", False),
    ("x", "https://host/a/b.ckpt", False),
    ("x", "/first\n/second", False),
    ("x", "/" + "a" * 4095, True),  # 4096 characters: still judged
    ("x", "/" + "a" * 4096, False),  # longer: prose or data, not a path
]


def test_what_counts_as_a_path() -> None:
    assert [looks_like_path(key, text) for key, text, _ in PATH_CASES] == [
        path for _, _, path in PATH_CASES]


def test_a_missing_path_names_its_json_location_and_the_fix(ws: Path) -> None:
    model = {**GOOD_MODEL, "model": {"encoder": {"weights": "enc/w.ckpt",
                                                 "files": ["a.txt", "/no/such/b.txt"]}}}
    write_json(ws / "configs" / "model.json", model)
    (ws / "enc").mkdir()
    (ws / "enc" / "w.ckpt").write_bytes(b"w")  # relative to train.py's folder: present
    (found,) = check_config_paths(_ctx(ws))
    assert (found.level, found.field, found.hint) == ("error", "model_config", HINT)
    assert found.message == ("the model config's model.encoder.files[1] is a path that does "
                             "not exist: '/no/such/b.txt'; train.py would fail when it opens it")


def test_a_placeholder_is_reported_even_where_it_exists(ws: Path) -> None:
    (ws / "path" / "to").mkdir(parents=True)
    (ws / "path" / "to" / "clap.ckpt").write_bytes(b"w")
    write_json(ws / "configs" / "model.json", {**GOOD_MODEL, "clap": " path/to/clap.ckpt"})
    (found,) = check_config_paths(_ctx(ws))
    assert found.message.startswith("the model config's clap is a placeholder path: "
                                    "' path/to/clap.ckpt'")


def test_a_path_the_os_refuses_is_one_that_does_not_exist(ws: Path) -> None:
    long = "/" + "x" * 300 + ".ckpt"  # too long a name: stat raises, not False
    write_json(ws / "configs" / "model.json", {**GOOD_MODEL, "ckpt": long})
    (found,) = check_config_paths(_ctx(ws))
    assert "ckpt is a path that does not exist" in found.message


def test_the_dataset_entries_own_keys_are_left_to_the_dataset_checks(ws: Path) -> None:
    entry = {"id": "a", "path": "/missing/data", "custom_metadata_module": "/missing/m.py",
             "s3_path": "/missing/s3", "extra_file": "/missing/list.txt"}
    write_json(ws / "configs" / "dataset.json", {"dataset_type": "audio_dir",
                                                 "datasets": [entry]})
    write_json(ws / "configs" / "val.json", {"dataset_type": "audio_dir",
                                             "datasets": [entry]})
    ctx = _ctx(ws, val_dataset_config="configs/val.json")
    assert [(f.field, f.message.split(" is ")[0]) for f in check_config_paths(ctx)] == [
        ("dataset_config", "the dataset config's datasets[0].extra_file"),
        ("val_dataset_config", "the validation dataset config's datasets[0].extra_file")]
    # In a model config the same keys are ordinary paths.
    write_json(ws / "configs" / "model.json", {**GOOD_MODEL, "datasets": [entry]})
    model = [f.message.split(" is ")[0] for f in check_config_paths(_ctx(ws))
             if f.field == "model_config"]
    assert model == [f"the model config's datasets[0].{k}" for k in
                     ("path", "custom_metadata_module", "s3_path", "extra_file")]


def test_a_json_that_is_not_an_object_is_not_read(ws: Path) -> None:
    write_json(ws / "configs" / "dataset.json", {"dataset_type": "audio_dir",
                                                 "datasets": [{"path": "data",
                                                               "list": "/missing/l.txt"}]})
    assert check_config_paths(_ctx(ws))
    write_json(ws / "configs" / "dataset.json", ["/missing/l.txt"])
    assert check_config_paths(_ctx(ws)) == []


def test_conditioner_ids_follow_default_keys() -> None:
    model = {"model": {"conditioning": {
        "default_keys": {"prompt": "text"},
        "configs": [{"id": "prompt"}, "junk", {"id": ""}, {"id": 3}, {"type": "t5"},
                    {"id": "seconds_total"}]}}}
    assert conditioner_ids(model) == [("model.conditioning.configs[0].id", "text"),
                                      ("model.conditioning.configs[5].id", "seconds_total")]
    model["model"]["conditioning"]["default_keys"] = ["not", "a", "dict"]
    assert conditioner_ids(model)[0] == ("model.conditioning.configs[0].id", "prompt")
    for broken in ({}, {"model": []}, {"model": {"conditioning": []}},
                   {"model": {"conditioning": {}}},
                   {"model": {"conditioning": {"configs": {"id": "prompt"}}}}):
        assert conditioner_ids(broken) == []


def _conditioned(ws: Path, model_type: str = "diffusion_cond", *,
                 datasets: list[dict[str, Any]] | None = None,
                 dataset_type: str = "audio_dir") -> Context:
    write_json(ws / "configs" / "model.json", {**GOOD_MODEL, "model_type": model_type, "model": {
        "conditioning": {"configs": [{"id": "prompt"}, {"id": "seconds_start"},
                                     {"id": "artist"}]}}})
    write_json(ws / "configs" / "dataset.json", {
        "dataset_type": dataset_type,
        "datasets": [{"id": "a", "path": "data"}] if datasets is None else datasets})
    return _ctx(ws)


def test_each_id_the_audio_dir_dataset_cannot_supply_is_one_error(ws: Path) -> None:
    found = check_conditioning(_conditioned(ws, datasets=[
        {"id": "a", "path": "data"}, {"id": "b", "path": "data",
                                      "custom_metadata_module": "m.py"},
        "junk", {"id": "c", "path": "data", "custom_metadata_module": ""}]))
    assert [(f.level, f.field) for f in found] == [("error", "dataset_config")] * 2
    assert found[0].message == (
        "the model config's model.conditioning.configs[0].id needs 'prompt' in each batch's "
        "metadata, but datasets[0], datasets[3] has no custom_metadata_module: train.py would "
        "stop at the first step with \"ValueError: Conditioner key prompt not found in batch "
        "metadata\"")
    assert found[0].hint == ("add \"custom_metadata_module\": a .py file whose "
                             "get_custom_metadata(info, audio) returns {\"prompt\": ...}")
    assert "configs[2].id needs 'artist'" in found[1].message


def test_every_conditioned_model_type_is_judged(ws: Path) -> None:
    for model_type in ("diffusion_cond_inpaint", "lm", "diffusion_autoencoder"):
        assert len(check_conditioning(_conditioned(ws, model_type))) == 2, model_type


def test_nothing_to_say_about_conditioning(ws: Path) -> None:
    assert check_conditioning(_conditioned(ws, "autoencoder")) == []
    assert check_conditioning(_conditioned(ws, dataset_type="s3")) == []
    assert check_conditioning(_conditioned(ws, datasets=[
        {"id": "a", "path": "data", "custom_metadata_module": "m.py"}])) == []
    assert check_conditioning(_conditioned(ws, datasets=[])) == []
    write_json(ws / "configs" / "dataset.json", {"dataset_type": "audio_dir", "datasets": 5})
    assert check_conditioning(_ctx(ws)) == []  # the dataset checks say what is wrong
    ctx = _conditioned(ws)
    write_json(ws / "configs" / "dataset.json", ["not an object"])
    assert check_conditioning(ctx) == []
    assert check_conditioning(_ctx(ws, dataset_config="")) == []
