"""The doctor: every pitfall built on purpose and found with its fix, on all three backends.

First the report's data and view in this process; then real kernels on JAX,
PyTorch and TensorFlow for the in-kernel checks; then parity and export
through the backend comparison's real kernels; then `kerasnb doctor` as a
command in a shell.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kerasnb.errors import KerasnbError
from kerasnb.pitfalls.api import _checks
from kerasnb.pitfalls.report import DoctorReport, Finding
from kerasnb.pitfalls.view import render
from kernel_session import KernelSession

EVIL = "<img src=x onerror=alert(1)>"

# -- the report, no kernel ------------------------------------------------------


def _report() -> DoctorReport:
    return DoctorReport(
        "m",
        "jax",
        (
            Finding("trainability", "pass", "one training step: finite loss"),
            Finding("serialization", "fail", f"{EVIL} (Dense) is not registered", "@register"),
            Finding(
                "export", "skip", "LiteRT from jax: Keras cannot export it here", backend="jax"
            ),
            Finding("mixed_precision", "warn", "the output is bfloat16", "dtype='float32'"),
        ),
        1.25,
    )


def test_report_lists_failures_first_and_is_plain_json() -> None:
    report = _report()
    assert report.ok is False
    assert [f.status for f in report.ordered()] == ["fail", "warn", "pass", "skip"]
    data = json.loads(report.to_json())
    assert data["ok"] is False and data["checks"][0]["name"] == "serialization"
    assert set(data["checks"][0]) == {"name", "status", "message", "fix", "backend"}
    assert DoctorReport("m", "jax", (Finding("export", "skip", "nothing"),)).ok is True


def test_view_folds_passes_and_escapes_everything() -> None:
    bundle = render(_report())
    text, html = bundle["text/plain"], bundle["text/html"]
    assert text.splitlines()[0] == (
        "keras_doctor — m on jax: problems found (1 failed, 1 warnings, 1 passed, 1 skipped; 1.2 s)"
    )
    assert text.splitlines()[1].startswith("✗ fail  serialization: <img")
    assert "fix: @register" in text
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    shown, folded = html.split("<details>")
    assert 'data-status="fail"' in shown and 'data-status="warn"' in shown
    assert 'data-status="pass"' in folded and 'data-status="skip"' in folded
    assert "<summary>2 passed or skipped</summary>" in folded


def test_unknown_checks_are_refused_naming_the_valid_ones() -> None:
    assert _checks("trainability, serialization") == ("serialization", "trainability")
    with pytest.raises(KerasnbError, match="unknown check 'speed'; choose from: serialization"):
        _checks("speed")


# -- the in-kernel checks, on each backend ---------------------------------------

SETUP = r"""
%load_ext kerasnb
import json, numpy as np, keras, kerasnb
from keras import layers
rng = np.random.default_rng(0)
x = rng.normal(size=(16, 8)).astype("float32")
labels = rng.integers(0, 3, 16).astype("int32")

@keras.saving.register_keras_serializable(package="doctor_test")
class Scale(layers.Layer):  # get_config forgets `factor`, which has no default
    def __init__(self, factor, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.factor, self.offset = factor, offset
    def call(self, t):
        return t * self.factor + self.offset
    def get_config(self):
        return {**super().get_config(), "offset": self.offset}

@keras.saving.register_keras_serializable(package="doctor_test")
class Shift(layers.Layer):  # get_config forgets `by`: load_model silently uses 1.0
    def __init__(self, by=1.0, **kwargs):
        super().__init__(**kwargs)
        self.by = by
    def call(self, t):
        return t + self.by
    def get_config(self):
        return super().get_config()

class Unregistered(layers.Layer):
    def call(self, t):
        return t + 1

@keras.saving.register_keras_serializable(package="doctor_test")
class Residual(keras.Model):  # a clean subclassed model
    def __init__(self, units=8, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.inner = layers.Dense(units, activation="relu")
        self.out = layers.Dense(3, activation="softmax")
    def call(self, t):
        return self.out(self.inner(t) + t)
    def get_config(self):
        return {**super().get_config(), "units": self.units}

def compiled(model, loss="sparse_categorical_crossentropy"):
    model.compile("adam", loss)
    return model

def mlp(name="mlp", **dense):
    return keras.Sequential([keras.Input((8,)), layers.Dense(16, activation="relu", name="hidden",
                             **dense), layers.Dense(3, activation="softmax", name="head")], name=name)

def findings(model, checks, sample=None):
    report = kerasnb.doctor(model, sample, checks=checks)
    return [[f.name, f.status, f.message, f.fix] for f in report.checks]

def state(model):
    optimizer = model.optimizer.variables if model.optimizer and model.optimizer.built else []
    return ([np.asarray(keras.ops.convert_to_numpy(v)).tolist() for v in model.variables],
            [np.asarray(keras.ops.convert_to_numpy(v)).tolist() for v in optimizer],
            keras.config.dtype_policy().name, [l.trainable for l in model.layers])
"""
IN_KERNEL = "serialization,mixed_precision,trainability"


@pytest.fixture(scope="module")
def kernel(backend_kernel: KernelSession) -> KernelSession:
    backend_kernel.ok(SETUP)
    return backend_kernel


def _found(kernel: KernelSession, model: str, checks: str = IN_KERNEL, sample: str = "x") -> list:
    return kernel.value(f"findings({model}, {checks!r}, {sample})")


def _bad(found: list) -> list:
    return [f for f in found if f[1] in ("fail", "warn")]


@pytest.mark.kernel
@pytest.mark.backends
def test_clean_models_get_no_warning_and_no_failure(kernel: KernelSession) -> None:
    kernel.ok(
        "a = keras.Input((8,)); b = keras.Input((8,)); shared = layers.Dense(8)\n"
        "joined = layers.Concatenate()([shared(a), shared(b)])\n"
        "functional = compiled(keras.Model([a, b], layers.Dense(3, activation='softmax')(joined)))\n"
        "residual = compiled(Residual()); residual(x)\n"
        "sequential = compiled(mlp())"
    )
    for model, sample in (("sequential", "x"), ("functional", "[x, x]"), ("residual", "x")):
        found = _found(kernel, model, sample=sample)
        assert _bad(found) == [], (model, found)
        assert {f[0] for f in found} == {"serialization", "mixed_precision", "trainability"}
        assert ["serialization", "pass"] in [f[:2] for f in found]


@pytest.mark.kernel
@pytest.mark.backends
def test_serialization_names_the_class_and_the_argument(kernel: KernelSession) -> None:
    kernel.ok(
        "broken = keras.Sequential([keras.Input((8,)), Scale(2.0, offset=1.0), Shift(by=5.0),"
        " Unregistered()], name='broken')"
    )
    found = _found(kernel, "broken", "serialization")
    messages = [f[2] for f in found if f[1] == "fail"]
    assert any(
        m.startswith("Scale ('scale'): get_config() leaves out `factor`, so load_model fails")
        for m in messages
    )
    assert any("Shift ('shift'): get_config() leaves out by (given 5.0" in m for m in messages)
    assert any(
        m == "Unregistered ('unregistered') is not registered, so load_model fails with "
        "\"Could not locate class 'Unregistered'\""
        for m in messages
    )
    fixes = "\n".join(f[3] for f in found)
    assert '"factor": self.factor' in fixes
    assert '@keras.saving.register_keras_serializable(package="my_project")' in fixes
    assert any(m.startswith("model.save works, but load_model fails") for m in messages)

    kernel.ok("shifted = keras.Sequential([keras.Input((8,)), Shift(by=5.0)], name='shifted')")
    round_trip = [f for f in _found(kernel, "shifted", "serialization") if "outputs" in f[2]]
    assert round_trip and round_trip[0][1] == "fail"  # loads, but with by=1.0: caught by outputs
    assert "gives other outputs (max |Δ| 4)" in round_trip[0][2]


@pytest.mark.kernel
@pytest.mark.backends
def test_mixed_precision_pitfalls_and_the_float32_fix(kernel: KernelSession) -> None:
    kernel.ok(
        "keras.config.set_dtype_policy('mixed_float16')\n"
        "half_out = compiled(mlp('half_out'))\n"
        "pinned = compiled(keras.Sequential([keras.Input((8,)), layers.Dense(16),"
        " layers.Dense(3), layers.Activation('softmax', dtype='float32')], name='pinned'))\n"
        "half_vars = compiled(keras.Sequential([keras.Input((8,)), layers.Dense(16, dtype='float16'),"
        " layers.Dense(3, activation='softmax', dtype='float32')], name='half_vars'))\n"
        "class OwnStep(keras.Model):\n"
        "    def train_step(self, data):\n"
        "        return super().train_step(data)  # (no loss scaling of its own)\n"
        "inputs = keras.Input((8,))\n"
        "own_step = compiled(OwnStep(inputs, layers.Dense(3, activation='softmax', dtype='float32')"
        "(layers.Dense(8)(inputs))))\n"
        "keras.config.set_dtype_policy('float32')"
    )
    half = [f for f in _found(kernel, "half_out", "mixed_precision") if f[1] == "fail"]
    assert half and half[0][2].startswith("the output of 'half_out' is float16: the loss reads")
    assert half[0][3].startswith(
        'keras.layers.Dense(..., activation="softmax", dtype="float32", name=\'head\')'
    )
    assert 'Activation("softmax", dtype="float32")' in half[0][3]
    assert _bad(_found(kernel, "pinned", "mixed_precision")) == []
    variables = _bad(_found(kernel, "half_vars", "mixed_precision"))
    assert [f[1] for f in variables] == ["fail"]
    assert "keeps its trainable variables in float16" in variables[0][2]
    scaling = _bad(_found(kernel, "own_step", "mixed_precision"))
    assert [(f[1], f[2].split(":")[0]) for f in scaling] == [
        ("warn", "OwnStep.train_step computes gradients under float16 without scaling the loss")
    ]
    assert "self.optimizer.scale_loss(loss)" in scaling[0][3]


@pytest.mark.kernel
@pytest.mark.backends
def test_trainability_pitfalls(kernel: KernelSession) -> None:
    kernel.ok(
        "changed = compiled(mlp('changed')); changed.fit(x, labels, verbose=0)\n"
        "changed.layers[0].trainable = False\n"
        "lora = compiled(mlp('lora')); lora.layers[0].enable_lora(2)\n"
        "lora.trainable = False; lora.trainable = True; lora = compiled(lora)\n"
        "quantized = mlp('quantized'); quantized.quantize('int8'); quantized = compiled(quantized)\n"
        "frozen = compiled(mlp('frozen'), 'mse'); frozen.trainable = False\n"
        "inputs = keras.Input((8,)); h = layers.Dense(8, name='base')(inputs)\n"
        "h = layers.BatchNormalization(name='bn')(h)\n"
        "partly = keras.Model(inputs, layers.Dense(3, activation='softmax')(h), name='partly')\n"
        "partly.get_layer('base').trainable = False; partly = compiled(partly)\n"
        "inputs = keras.Input((8,)); h = layers.Dense(8, name='cut')(inputs)\n"
        "h = layers.Lambda(lambda t: t * 0.0)(h)\n"
        "out = layers.Dense(3, activation='softmax', name='out')(h)\n"
        "dead = compiled(keras.Model(inputs, out, name='dead'))\n"
        "nan = compiled(mlp('nan')); bad_x = x.copy(); bad_x[0, 0] = np.nan"
    )
    statuses = lambda model, sample="x": [  # noqa: E731
        (f[1], f[2]) for f in _found(kernel, model, "trainability", sample) if f[1] != "pass"
    ]
    changed = statuses("changed")
    assert changed[0][0] == "fail" and changed[0][1].startswith(
        "`trainable` changed after the optimizer was built by the first fit (frozen since: "
        "changed/hidden/kernel"
    )
    assert ("fail", "LoRA is enabled on 'hidden'") in [(s, m[:27]) for s, m in statuses("lora")]
    assert [s for s, m in statuses("quantized") if m.startswith("int8-quantized layers")] == [
        "warn"
    ]
    assert statuses("frozen")[0] == (
        "warn",
        "'frozen' has no trainable weights (model.trainable is False): fit changes nothing",
    )
    partly = statuses("partly")
    assert partly[0][0] == "warn" and partly[0][1].startswith(
        "BatchNormalization bn stay trainable while other layers are frozen (base)"
    )
    dead = statuses("dead")
    assert dead == [
        (
            "warn",
            "trainable weights with a zero gradient on the sample: cut/kernel, cut/bias, "
            "out/kernel (not connected to the loss, or a dead activation)",
        )
    ]
    assert statuses("nan", "bad_x")[0] == (
        "fail",
        "one training step on the sample gives a loss of nan",
    )


@pytest.mark.kernel
@pytest.mark.backends
def test_the_users_model_optimizer_and_policy_are_left_exactly_as_they_were(
    kernel: KernelSession,
) -> None:
    kernel.ok(
        "keras.config.set_dtype_policy('mixed_bfloat16')\n"
        "kept = compiled(keras.Sequential([keras.Input((8,)), layers.Dense(8),"
        " layers.BatchNormalization(), layers.Dropout(0.5), layers.Dense(3, activation='softmax',"
        " dtype='float32')], name='kept'))\n"
        "kept.fit(x, labels, verbose=0)\n"
        "before = state(kept)"
    )
    kernel.ok(f"findings(kept, {IN_KERNEL!r}, x)")
    assert kernel.value("state(kept) == before") is True
    assert kernel.value("keras.config.dtype_policy().name") == "mixed_bfloat16"
    kernel.ok("keras.config.set_dtype_policy('float32')")


@pytest.mark.kernel
@pytest.mark.backends
def test_a_crashing_check_is_its_own_failure_and_the_rest_runs(kernel: KernelSession) -> None:
    # A fake stands in: no real model crashes a check once its bugs are fixed.
    kernel.ok(
        "import kerasnb.pitfalls.mixed_precision as _mp\n"
        "_real = _mp.run\n"
        "_mp.run = lambda model, sample: 1 / 0\n"
        "try:\n    crashed = findings(compiled(mlp('crash')), 'mixed_precision,trainability')\n"
        "finally:\n    _mp.run = _real"
    )
    crashed = kernel.value("crashed")
    assert crashed[0][:2] == ["mixed_precision", "fail"]
    assert crashed[0][2].startswith(
        "internal error in kerasnb's mixed_precision check: ZeroDivisionError: division by zero"
    )
    assert [f[:2] for f in crashed[1:]] == [["trainability", "pass"]]


@pytest.mark.kernel
@pytest.mark.backends
def test_bad_input_gets_one_line(kernel: KernelSession) -> None:
    kernel.ok("raw = keras.Sequential([layers.Dense(2)], name='raw')")
    for line, message in [
        (
            "%keras_doctor [1,2]",
            "kerasnb.doctor needs a Keras model (keras.Model, keras.Sequential",
        ),
        (
            "%keras_doctor raw",
            "model 'raw' is not built yet, so it has no shapes or weights to show; build it first",
        ),
        (
            "%keras_doctor mlp() --sample x[:,:5]",
            "the sample has shape (16, 5), but model 'mlp' expects inputs of shape (batch, 8)",
        ),
        ("%keras_doctor mlp() --only speed", "unknown check 'speed'; choose from: serialization"),
        ("%keras_doctor no_such_model", "no variable 'no_such_model' in this notebook"),
    ]:
        reply = kernel.run(line)
        assert reply.status == "error" and reply.error is None, line  # no traceback
        assert reply.error_line.startswith("UsageError: ") and message in reply.error_line, line
        assert "\n" not in reply.error_line


@pytest.mark.kernel
@pytest.mark.backends
def test_the_magic_shows_the_table_with_its_text_twin(kernel: KernelSession) -> None:
    kernel.ok(
        f"evil = compiled(keras.Sequential([keras.Input((8,)), Unregistered(name={EVIL!r})]))"
    )
    reply = kernel.ok("%keras_doctor evil --only serialization")
    bundle = reply.outputs[-1]["data"]
    assert bundle["text/plain"].startswith("keras_doctor — sequential")
    assert "<img" not in bundle["text/html"] and "&lt;img src=x" in bundle["text/html"]
    assert 'data-ok="false"' in bundle["text/html"]


# -- parity and export, through the backend kernels ---------------------------

PARITY_SETUP = """
import keras
from keras import layers

@keras.saving.register_keras_serializable(package="doctor_test")
class BackendBias(layers.Layer):  # code assumed to give the same numbers everywhere
    def call(self, t):
        return t + (0.0 if keras.backend.backend() == "jax" else 0.01)
"""


@pytest.fixture(scope="module")
def notebook() -> Any:
    with KernelSession(env={"KERAS_BACKEND": "jax"}) as kernel:
        kernel.ok(SETUP)
        kernel.ok(f"%%keras_setup\n{PARITY_SETUP}")
        yield kernel


@pytest.mark.kernel
@pytest.mark.backends
def test_parity_finds_a_backend_that_computes_other_numbers(notebook: KernelSession) -> None:
    notebook.ok(
        "clean = mlp('clean')\n"
        "drifting = keras.Sequential([keras.Input((8,)), layers.Dense(4), BackendBias()], name='drift')\n"
        "local_only = keras.Sequential([keras.Input((8,)), Scale(2.0), layers.Dense(2)])"
    )
    clean = _found(notebook, "clean", "parity")
    assert [(f[1], f[2][:24]) for f in clean] == [
        ("pass", "same weights on torch vs"),
        ("pass", "same weights on tensorflo"[:24]),
    ]
    drift = _found(notebook, "drifting", "parity")
    assert [f[1] for f in drift] == ["fail", "fail"]
    assert drift[0][2].startswith("same weights on torch vs jax: max |Δ| 0.01")
    assert "beyond the tolerance 0.0001" in drift[0][2]
    # A class the backend kernels do not have: reported with its error and the fix.
    local = _found(notebook, "local_only", "parity")
    assert [f[1] for f in local] == ["warn", "warn"]
    assert "the torch kernel cannot rebuild the model" in local[0][2]
    assert "%%keras_setup" in local[0][3]


@pytest.mark.kernel
@pytest.mark.backends
def test_export_tries_every_format_and_names_what_is_missing(notebook: KernelSession) -> None:
    found = notebook.value(
        "[[f.status, f.backend, f.message, f.fix] for f in kerasnb.doctor(mlp('served'), x,"
        " backends='jax,torch', checks='export').checks]"
    )
    by_format = {(f[1], f[2].split(" from ")[0]): f for f in found}
    assert by_format[("jax", ".keras")][0] == "pass" and by_format[("torch", ".keras")][0] == "pass"
    onnx = by_format[("jax", "ONNX")]
    assert onnx[0] == "pass" and "run with onnxruntime, outputs match" in onnx[2]
    assert by_format[("jax", "SavedModel")][0] == "pass"
    litert_jax = by_format[("jax", "LiteRT")]
    assert (
        litert_jax[0] == "skip" and "LiteRT export requires TensorFlow or PyTorch" in litert_jax[2]
    )
    litert_torch = by_format[("torch", "LiteRT")]
    assert litert_torch[0] == "skip" and litert_torch[3] == "%pip install litert-torch"
    assert not [f for f in found if f[0] in ("fail", "warn")]


# -- kerasnb doctor, the command --------------------------------------------------


def _doctor_command(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    bin_dir = Path(sys.executable).parent
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(cwd), "KERAS_BACKEND": "jax",
           "TF_CPP_MIN_LOG_LEVEL": "3"}  # fmt: skip
    return subprocess.run([str(bin_dir / "kerasnb"), "doctor", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip


@pytest.mark.kernel
def test_the_command_exits_1_on_a_failure_and_prints_json(tmp_path: Path) -> None:
    make = (
        "import keras, numpy as np\n"
        "m = keras.Sequential([keras.Input((8,)), keras.layers.Dense(3, activation='softmax')])\n"
        "m.compile('adam', 'sparse_categorical_crossentropy'); m.save('ok.keras')\n"
        "keras.config.set_dtype_policy('mixed_float16')\n"
        "h = keras.Sequential([keras.Input((8,)), keras.layers.Dense(3, activation='softmax')])\n"
        "h.compile('adam', 'sparse_categorical_crossentropy'); h.save('half.keras')\n"
        "np.save('x.npy', np.ones((4, 8), 'float32'))"
    )
    subprocess.run([sys.executable, "-c", make], cwd=tmp_path, check=True,
                   env={"KERAS_BACKEND": "jax", "PATH": "/usr/bin:/bin"})  # fmt: skip
    only = ["--only", IN_KERNEL]
    ok = _doctor_command(["ok.keras", "--sample", "x.npy", *only], tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.startswith("keras_doctor — sequential on jax: ok")
    half = _doctor_command(["half.keras", "--json", *only], tmp_path)
    assert half.returncode == 1, half.stdout + half.stderr
    report = json.loads(half.stdout)
    assert report["ok"] is False and report["checks"][0]["name"] == "mixed_precision"
    missing = _doctor_command(["nothing.keras"], tmp_path)
    assert missing.returncode == 2
    assert missing.stderr.strip() == (
        "kerasnb: error: 'nothing.keras' is not a file; pass a model saved with model.save('m.keras')"
    )
