"""The model config JSON: syntax with line and column, required keys, pretransform rules."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from satconf.checks import run_checks
from satconf.checks.jsonfile import MAX_JSON_BYTES

from checks_support import GOOD_MODEL, LATENT_MODEL, about, config_for, good_workspace, write_json


def _model_errors(tmp_path: Path, model: Any, **values: Any) -> list[str]:
    ws = good_workspace(tmp_path / "ws")
    write_json(ws / "configs" / "model.json", model)
    findings = run_checks(config_for(ws, **values))
    return [f.message for f in about(findings, "model_config", "error")]


def test_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    (ws / "configs" / "model.json").write_text('{\n  "model_type": "lm",\n  "sample_rate" 1\n}')
    (found,) = about(run_checks(config_for(ws)), "model_config", "error")
    assert "line 3 column 17" in found.message
    assert "Expecting ':'" in found.message


def test_binary_file_where_json_is_expected(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    (ws / "configs" / "model.json").write_bytes(b"PK\x03\x04\x00\x00" + os.urandom(2048))
    (found,) = about(run_checks(config_for(ws)), "model_config", "error")
    assert "binary file" in found.message


def test_large_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    big = ws / "configs" / "model.ckpt"
    with big.open("wb") as fh:
        fh.truncate(MAX_JSON_BYTES + 1)  # sparse: large on paper, cheap on disk
    (found,) = about(run_checks(config_for(ws, model_config="configs/model.ckpt")),
                     "model_config", "error")
    assert "far too large" in found.message and "checkpoint" in found.hint


def test_not_utf8_and_empty_and_not_an_object(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    cases = {"latin1.json": b'{"a": "\xe9"}', "empty.json": b"  \n", "list.json": b"[1, 2]"}
    expected = {"latin1.json": "not UTF-8", "empty.json": "is empty", "list.json": "JSON list"}
    for name, raw in cases.items():
        (ws / "configs" / name).write_bytes(raw)
        (found,) = about(run_checks(config_for(ws, model_config=f"configs/{name}")),
                         "model_config", "error")
        assert expected[name] in found.message


@pytest.mark.parametrize(("change", "needle"), [
    ({"model_type": None}, "no \"model_type\""),
    ({"model_type": "gan"}, "'gan' is not one"),
    ({"sample_rate": None}, "no \"sample_rate\""),
    ({"sample_size": "65536"}, "\"sample_size\" is '65536'"),
    ({"audio_channels": 0}, "audio_channels"),
    ({"model": None}, "\"model\" block is missing"),
    ({"training": []}, "\"training\" block is not a JSON object"),
])
def test_required_keys(tmp_path: Path, change: dict[str, Any], needle: str) -> None:
    model = copy.deepcopy(GOOD_MODEL)
    for key, value in change.items():
        if value is None:
            del model[key]
        else:
            model[key] = value
    found = _model_errors(tmp_path, model)
    assert len(found) == 1 and needle in found[0]


def test_latent_model_with_pretransform_checkpoint_is_clean(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    write_json(ws / "configs" / "model.json", LATENT_MODEL)
    (ws / "ae.ckpt").write_bytes(b"weights")
    findings = run_checks(config_for(ws, pretransform_ckpt_path="ae.ckpt"))
    assert about(findings, "model_config", "error") == []
    assert about(findings, "model_config", "warning") == []


def test_autoencoder_pretransform_without_weights_trains_on_noise(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    write_json(ws / "configs" / "model.json", LATENT_MODEL)
    (warn,) = about(run_checks(config_for(ws)), "model_config", "warning")
    assert "noise" in warn.message


def test_pretransform_rules(tmp_path: Path) -> None:
    model = copy.deepcopy(LATENT_MODEL)
    model["sample_size"] = 100000
    model["model"]["io_channels"] = 32
    model["model"]["pretransform"]["type"] = "vae"
    found = _model_errors(tmp_path, model, pretrained_ckpt_path="configs/model.json")
    assert any("'vae' is not a known pretransform" in m for m in found)
    assert any("does not divide by the pretransform's downsampling_ratio 2048" in m for m in found)
    assert any("io_channels is 32 but the pretransform's latent_dim is 64" in m for m in found)
    del model["model"]["pretransform"]["config"]
    found = _model_errors(tmp_path / "2", model, pretrained_ckpt_path="configs/model.json")
    assert any("no \"config\" object" in m for m in found)


def test_diffusion_cond_demo_keys(tmp_path: Path) -> None:
    model = copy.deepcopy(LATENT_MODEL)
    model["training"]["demo"] = {"num_demos": 3, "demo_cond": [{}, {}]}
    found = _model_errors(tmp_path, model, pretransform_ckpt_path="configs/model.json")
    assert any("no \"demo_cfg_scales\"" in m for m in found)
    assert any("num_demos is 3 but demo_cond has 2" in m for m in found)
    model["training"] = {}
    found = _model_errors(tmp_path / "2", model, pretransform_ckpt_path="configs/model.json")
    assert any("needs a training.demo block" in m for m in found)


def test_pretransform_options_on_a_model_without_one(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    (ws / "ae.ckpt").write_bytes(b"weights")
    findings = run_checks(config_for(ws, remove_pretransform_weight_norm="post_load",
                                     pretransform_ckpt_path="ae.ckpt"))
    assert about(findings, "remove_pretransform_weight_norm", "error")
    assert about(findings, "pretransform_ckpt_path", "error")
    write_json(ws / "configs" / "model.json", LATENT_MODEL)
    findings = run_checks(config_for(ws, remove_pretransform_weight_norm="post_load",
                                     pretransform_ckpt_path="ae.ckpt"))
    assert not about(findings, "remove_pretransform_weight_norm")
    assert not about(findings, "pretransform_ckpt_path", "error")


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
    | st.sampled_from(["audio_dir", "pre_encoded", "s3", "diffusion_cond", "autoencoder", ".",
                       "data", "configs/model.json"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                               max_size=4),
    max_leaves=12,
)
_model_keys = st.sampled_from(["model_type", "sample_rate", "sample_size", "audio_channels",
                               "model", "training", "pretransform", "demo", "config", "type",
                               "downsampling_ratio", "latent_dim", "io_channels", "num_demos",
                               "dataset_type", "datasets", "id", "path", "s3_path",
                               "custom_metadata_module"])
_shaped = st.recursive(_json_values, lambda inner: st.dictionaries(_model_keys, inner,
                                                                   max_size=6), max_leaves=20)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(model=_shaped, dataset=_shaped, junk=st.binary(max_size=64))
def test_any_json_or_bytes_gives_findings_not_a_crash(tmp_path: Path, model: Any,
                                                      dataset: Any, junk: bytes) -> None:
    ws = tmp_path / "ws"
    if not ws.exists():
        good_workspace(ws)
    write_json(ws / "configs" / "model.json", model)
    write_json(ws / "configs" / "dataset.json", dataset)
    (ws / "configs" / "junk.json").write_bytes(junk)
    for findings in (run_checks(config_for(ws)),
                     run_checks(config_for(ws, val_dataset_config="configs/junk.json"))):
        assert all(f.level in ("error", "warning", "info") and f.message for f in findings)
    if not isinstance(model, dict):
        assert about(run_checks(config_for(ws)), "model_config", "error")


def test_values_with_type_errors_are_findings_too(tmp_path: Path) -> None:
    ws = good_workspace(tmp_path / "ws")
    findings = run_checks(config_for(ws, batch_size="many", precision="fp8", save_dir=3))
    fields = {f.field for f in findings if f.level == "error"}
    assert {"batch_size", "precision", "save_dir"} <= fields
