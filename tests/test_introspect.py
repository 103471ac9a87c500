"""ModelData equals Keras' own figures, on all three backends, for every model kind."""

from __future__ import annotations

import json

import pytest

from kernel_session import KernelSession

pytestmark = [pytest.mark.kernel, pytest.mark.backends]

# Builds one model of each kind and a function that puts Keras' figures
# (parsed from the text model.summary() prints, and counted from the variables'
# values) beside ours, which come from introspection's own calls.
SETUP = r"""
import json, os, re
import keras
import numpy as np
from keras import layers
from keras.src.models.functional import Functional
from kerasnb.model_views.introspect import introspect
from kerasnb.model_views.summary_view import totals_lines

def _keras_figures(model):
    # Each row and the totals as `model.summary()` prints them; trainable counts
    # from the sizes of the variables' values (the summary does not print those).
    os.environ["COLUMNS"] = os.environ["JUPYTER_COLUMNS"] = "300"  # rich: no cell wraps
    lines = []
    model.summary(line_length=300, print_fn=lambda text, line_break=True: lines.append(text))
    text = "\n".join(lines).splitlines()
    totals = [line.strip() for line in text
              if re.match(r"\s*(Total|Trainable|Non-trainable|Optimizer) params:", line)]
    printed = [[c.strip() for c in line.strip("│").split("│")] for line in text
               if line.startswith("│")]
    items = model._operations if isinstance(model, Functional) else model.layers
    sizes = lambda ws: sum(int(np.size(keras.ops.convert_to_numpy(w))) for w in ws)
    rows = [[*cells[0].rsplit(" (", 1)[0:1], cells[0].rsplit(" (", 1)[1].rstrip(")"), cells[1],
             int(cells[2].replace(",", "")), sizes(getattr(op, "trainable_weights", [])),
             sizes(getattr(op, "non_trainable_weights", []))]
            for cells, op in zip(printed, items, strict=True)]
    return {"totals": totals, "rows": rows}

def _our_figures(model):
    data = introspect(model)
    rows = [[l.name, l.class_name, l.output_shape, l.params, l.trainable_params,
             l.non_trainable_params] for l in data.layers if l.depth == 0]
    return {"totals": totals_lines(data.totals), "rows": rows}

def compare(name):
    model = MODELS[name]
    return json.dumps({"keras": _keras_figures(model), "ours": _our_figures(model)})

def sequential():
    return keras.Sequential([keras.Input((16,)), layers.Dense(32, activation="relu"),
                             layers.BatchNormalization(), layers.Dense(10)], name="seq")

def functional():
    a, b = keras.Input((8,), name="a"), keras.Input((8,), name="b")
    shared = layers.Dense(8, name="shared")
    joined = layers.Add(name="join")([shared(a), a])
    inner = keras.Sequential([layers.Dense(4, name="i1"), layers.Dense(3, name="i2")], name="inner")
    out2 = layers.Dense(1, name="o2")(layers.Concatenate(name="cat")([joined, shared(b)]))
    return keras.Model([a, b], [inner(joined), out2], name="multi")

def nested():
    x = keras.Input((6,))
    block = keras.Model(x, layers.Dense(6, activation="relu")(x), name="block")
    y = keras.Input((6,))
    h = block(y)
    h = layers.Add()([h, y])
    stack = keras.Sequential([keras.Input((6,)), block, layers.Dense(2)], name="stack")
    return keras.Model(y, [stack(h), layers.Dense(3, name="head")(h)], name="outer")

class Residual(keras.Model):
    def __init__(self):
        super().__init__(name="residual")
        self.d1 = layers.Dense(8, activation="relu")
        self.norm = layers.LayerNormalization()
        self.d2 = layers.Dense(2)
    def call(self, x):
        h = self.d1(x)
        return self.d2(self.norm(h) + h)

def subclassed():
    model = Residual()
    model(np.zeros((2, 8), "float32"))
    return model

def lora():
    model = sequential()
    model.layers[0].enable_lora(4)
    return model

def quantized():
    model = keras.Sequential([keras.Input((16,)), layers.Dense(32), layers.Dense(10)], name="q")
    model.quantize("int8")
    return model

def trained():
    model = sequential()
    model.layers[1].trainable = False
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.zeros((4, 16), "float32"), np.zeros((4, 10), "float32"), epochs=1, verbose=0)
    return model

MODELS = {f.__name__: f() for f in (sequential, functional, nested, subclassed, lora, quantized, trained)}
"""

KINDS = ("sequential", "functional", "nested", "subclassed", "lora", "quantized", "trained")


@pytest.fixture(scope="module")
def kernel(backend_kernel: KernelSession) -> KernelSession:
    backend_kernel.ok(SETUP)
    return backend_kernel


def _data(kernel: KernelSession, expression: str) -> dict:
    return json.loads(kernel.value(f"json.dumps(introspect({expression}, details=True).to_dict())"))


@pytest.mark.parametrize("kind", KINDS)
def test_rows_and_totals_equal_keras_summary(kernel: KernelSession, kind: str) -> None:
    figures = json.loads(kernel.value(f"compare({kind!r})"))
    assert figures["ours"]["totals"] == figures["keras"]["totals"]
    assert figures["ours"]["rows"] == figures["keras"]["rows"]
    assert figures["ours"]["rows"], "a model with no rows shows nothing"


def test_functional_connections_edges_and_shared_layers(kernel: KernelSession) -> None:
    data = _data(kernel, "MODELS['functional']")
    assert data["backend"] == kernel.backend  # type: ignore[attr-defined]
    assert data["model_kind"] == "functional" and data["sequential_like"] is False
    rows = {layer["name"]: layer for layer in data["layers"]}
    assert rows["shared"]["connected_to"] == ["a[0][0]", "b[0][0]"]
    assert rows["cat"]["connected_to"] == ["join[0][0]", "shared[1][0]"]
    assert rows["join"]["input_shape"] == "[(None, 8), (None, 8)]"
    ids = {layer["name"]: layer["id"] for layer in data["layers"]}
    top = {(e["source"], e["target"]) for e in data["edges"] if e["parent"] is None}
    assert (ids["shared"], ids["join"]) in top and (ids["a"], ids["join"]) in top  # residual
    assert (ids["a"], ids["shared"]) in top and (ids["b"], ids["shared"]) in top  # shared
    inner = rows["inner"]
    assert inner["kind"] == "model" and inner["model_kind"] == "sequential"
    assert inner["entries"] == [ids["i1"]] and inner["exits"] == [[ids["i2"], 0]]
    assert [rows["i1"]["parent"], rows["i1"]["depth"]] == [inner["id"], 1]
    kernel_weight = rows["shared"]["weights"][0]
    assert kernel_weight["path"].endswith("shared/kernel")
    assert [kernel_weight["shape"], kernel_weight["dtype"], kernel_weight["trainable"]] == [
        [8, 8],
        "float32",
        True,
    ]
    assert json.loads(rows["shared"]["config"])["units"] == 8


def test_nested_functional_inside_sequential(kernel: KernelSession) -> None:
    data = _data(kernel, "MODELS['nested']")
    rows = {(layer["parent"], layer["name"]): layer for layer in data["layers"]}
    stack = next(layer for layer in data["layers"] if layer["name"] == "stack")
    block_in_stack = rows[(stack["id"], "block")]
    assert block_in_stack["depth"] == 1 and block_in_stack["model_kind"] == "functional"
    children = [
        layer["class_name"] for layer in data["layers"] if layer["parent"] == block_in_stack["id"]
    ]
    assert children == ["InputLayer", "Dense"]
    assert block_in_stack["entries"][0].startswith(block_in_stack["id"] + "_")


def test_lora_and_quantized_layers_show_real_trainable_counts(kernel: KernelSession) -> None:
    lora = _data(kernel, "MODELS['lora']")["layers"][0]
    assert lora["lora_rank"] == 4
    assert [lora["trainable_params"], lora["non_trainable_params"]] == [
        16 * 4 + 4 * 32 + 32,
        16 * 32,
    ]
    quant = _data(kernel, "MODELS['quantized']")["layers"][0]
    assert quant["quantization"] == "int8"
    assert quant["dtype_policy"] == "int8_from_float32"
    assert quant["trainable_params"] == 32  # the bias; the int8 kernel is frozen
    assert {w["path"].split("/")[-1]: w["dtype"] for w in quant["weights"]}["kernel"] == "int8"


def test_subclassed_and_frozen_layers(kernel: KernelSession) -> None:
    sub = _data(kernel, "MODELS['subclassed']")
    assert sub["model_kind"] == "subclassed" and sub["edges"] == []
    assert [layer["output_shape"] for layer in sub["layers"]] == ["(2, 8)", "(2, 8)", "(2, 2)"]
    trained = _data(kernel, "MODELS['trained']")
    frozen = trained["layers"][1]
    assert frozen["trainable"] is False and frozen["trainable_params"] == 0
    assert trained["totals"]["optimizer"] is not None


def test_model_data_is_json_and_round_trips(kernel: KernelSession) -> None:
    assert kernel.value(
        "__import__('kerasnb.model_views.modeldata').model_views.modeldata.ModelData.from_dict("
        "json.loads(json.dumps(introspect(MODELS['nested'], details=True).to_dict())))"
        " == introspect(MODELS['nested'], details=True)"
    )


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (
            "introspect([1, 2])",
            "needs a Keras model (keras.Model, keras.Sequential or a subclass); got list",
        ),
        ("introspect(layers.Dense(2))", "shows a model, not a single Dense layer; wrap it first"),
        (
            "introspect(keras.Sequential([layers.Dense(2)], name='raw'))",
            "model 'raw' is not built yet, so it has no shapes or weights to show; build it first",
        ),
        ("introspect(Residual())", "model 'residual' is not built yet"),
    ],
)
def test_bad_input_gets_one_clear_error(kernel: KernelSession, code: str, message: str) -> None:
    reply = kernel.run(code)
    assert reply.error is not None and reply.error["ename"] == "KerasnbError"
    assert message in reply.error["evalue"] and "\n" not in reply.error["evalue"]
