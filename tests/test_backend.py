"""Backend facts and naming, in this process (no kernel, no backend import)."""

from __future__ import annotations

import json

import pytest

from kerasnb.backend import api as backend
from kerasnb.backend.view import render_info, render_switch
from kerasnb.errors import KerasnbError


@pytest.mark.parametrize(
    ("typed", "name"),
    [("jax", "jax"), ("TF", "tensorflow"), ("pytorch", "torch"), (" torch ", "torch")],
)
def test_names_and_aliases(typed: str, name: str) -> None:
    assert backend.normalize_name(typed) == name


def test_unknown_name_lists_valid_ones() -> None:
    with pytest.raises(KerasnbError, match="use one of: jax, torch, tensorflow, tf, pytorch"):
        backend.normalize_name("mxnet")


def test_configured_backend_order(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    assert backend.configured_backend() == ("tensorflow", "Keras' default")
    (tmp_path / "keras.json").write_text(json.dumps({"backend": "jax"}))
    assert backend.configured_backend() == ("jax", str(tmp_path / "keras.json"))
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    assert backend.configured_backend() == ("torch", "KERAS_BACKEND environment variable")


def test_broken_keras_json_falls_back(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    (tmp_path / "keras.json").write_text("{not json")
    assert backend.configured_backend() == ("tensorflow", "Keras' default")


def _info(**changes: object) -> backend.BackendInfo:
    statuses = (
        backend.BackendStatus("jax", True, "0.1", "%pip install jax", ("cpu:0",)),
        backend.BackendStatus("torch", False, None, "%pip install torch"),
        backend.BackendStatus("tensorflow", True, "2.0", "%pip install tensorflow", None),
    )
    fields = dict(
        active="jax",
        keras_imported=False,
        source="KERAS_BACKEND environment variable",
        keras_version="3.15.1",
        backends=statuses,
    )
    fields.update(changes)
    return backend.BackendInfo(**fields)  # type: ignore[arg-type]


def test_info_view_has_html_and_text_twins() -> None:
    bundle = render_info(_info(), pending=True)
    assert set(bundle) == {"text/plain", "text/html"}
    text = bundle["text/plain"]
    assert "the next `import keras` uses jax (from KERAS_BACKEND environment variable)" in text
    assert "install with: %pip install torch" in text
    assert "asking…" in text and "cpu:0" in text
    assert 'class="kerasnb-backend" data-backend="jax"' in bundle["text/html"]


def test_info_view_escapes_everything() -> None:
    evil = "<img src=x onerror=alert(1)>"
    bundle = render_info(_info(source=evil, active=evil))
    assert "<img" not in bundle["text/html"]
    assert "&lt;img src=x onerror=alert(1)&gt;" in bundle["text/html"]


def test_switch_view_names_stale_variables() -> None:
    result = backend.SwitchResult(
        "jax", "torch", True, rebound=("keras",), stale=(("model", "Sequential (keras)"),)
    )
    text = render_switch(result)["text/plain"]
    assert "Switched Keras from jax to torch." in text
    assert "Re-bound to the new backend: keras." in text
    assert "model (Sequential (keras))" in text


def test_import_kerasnb_imports_no_backend() -> None:
    import subprocess
    import sys

    code = (
        "import sys, kerasnb, kerasnb.backend.api, kerasnb.magics.backend\n"
        "print([m for m in ('keras', 'jax', 'torch', 'tensorflow') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
