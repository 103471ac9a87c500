"""Summary and graph views: static twins, escaping, Graphviz layout, magics in a kernel."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from kerasnb.errors import KerasnbError
from kerasnb.model_views import graph_layout
from kerasnb.model_views.graph_layout import GraphOptions
from kerasnb.model_views.graph_view import describe, layout_svg
from kerasnb.model_views.modeldata import EdgeData, LayerData, ModelData, Totals
from kerasnb.model_views.summary_view import SummaryWidget, render_summary
from kernel_session import KernelSession

EVIL = "<img src=x onerror=alert(1)>&\"'"


def _model(name: str = "net") -> ModelData:
    """Input -> dense -> nested Sequential(d1 -> d2) -> evil, like introspect makes."""
    layers = (
        LayerData("n0", "inp", "InputLayer", "input", output_shape="(None, 4)"),
        LayerData(
            "n1",
            "dense",
            "Dense",
            "layer",
            output_shape="(None, 8)",
            input_shape="(None, 4)",
            params=40,
            trainable_params=8,
            non_trainable_params=32,
            has_weights=True,
            lora_rank=2,
            dtype_policy="float32",
            connected_to=("inp[0][0]",),
        ),
        LayerData(
            "n2",
            "block",
            "Sequential",
            "model",
            params=22,
            trainable_params=22,
            has_weights=True,
            model_kind="sequential",
            entries=("n2_0",),
            exits=(("n2_1", 0),),
            output_shape="(None, 2)",
        ),
        LayerData("n2_0", "d1", "Dense", "layer", parent="n2", depth=1, params=18),
        LayerData(
            "n2_1",
            "d2",
            "Dense",
            "layer",
            parent="n2",
            depth=1,
            params=4,
            quantization="int8",
            dtype_policy="int8_from_float32",
        ),
        LayerData(
            "n3",
            EVIL,
            "Dense",
            "layer",
            params=3,
            has_weights=True,
            trainable=False,
            non_trainable_params=3,
            activation=EVIL,
            output_shape="(None, 1)",
        ),
    )
    edges = (
        EdgeData("n0", "n1"),
        EdgeData("n1", "n2"),
        EdgeData("n2", "n3"),
        EdgeData("n2_0", "n2_1", parent="n2"),
    )
    totals = Totals(30, 35, "120.00 B", "140.00 B", "260.00 B")
    return ModelData(
        name, "Functional", "functional", "jax", "3.15.1", False, totals, layers, edges
    )


# --- the summary's static twins ---------------------------------------------


def test_summary_text_has_keras_totals_and_marks_lora_quantized_frozen() -> None:
    text = render_summary(_model())["text/plain"]
    assert text.splitlines()[0] == 'Model: "net" (Functional)'
    assert text.splitlines()[-3:] == [
        "Total params: 65 (260.00 B)",
        "Trainable params: 30 (120.00 B)",
        "Non-trainable params: 35 (140.00 B)",
    ]
    assert "dense (Dense) [LoRA rank 2]" in text
    assert f"{EVIL} (Dense) [frozen]" in text
    assert "d1 (Dense)" not in text  # nested models start folded, as in Keras


def test_summary_opens_nested_models_and_filters_by_name() -> None:
    opened = render_summary(_model(), opened=["n2"])["text/plain"]
    assert "   └ d2 (Dense) [quantized int8]" in opened
    filtered = render_summary(_model(), filter_text="D2")["text/plain"]
    rows = [line.split(" (")[0].strip(" └") for line in filtered.splitlines()[4:-3]]
    assert rows == ["block", "d2"]  # the match and the model holding it
    assert "layers whose name contains 'D2'" in filtered


def test_summary_widget_draws_the_rows_the_kernel_computes() -> None:
    widget = SummaryWidget(_model())
    assert [row["id"] for row in widget.rows] == ["n0", "n1", "n2", "n3"]
    assert widget.rows[1]["notes"] == [["lora", "LoRA rank 2"]]
    assert widget.rows[1]["cells"][:2] == ["(None, 8)", "40"]
    assert widget.count == "6 layers" and widget.nested is True
    widget.expanded = ["n2"]  # the browser folds the nested model open
    assert [row["id"] for row in widget.rows] == ["n0", "n1", "n2", "n2_0", "n2_1", "n3"]
    widget.filter = "d2"  # the browser types in the filter box
    assert [(row["id"], row["match"]) for row in widget.rows] == [("n2", False), ("n2_1", True)]
    assert widget.count == "1 of 6 layers match"
    text = widget._repr_mimebundle_()[0]["text/plain"]
    assert "layers whose name contains 'd2'" in text  # the static twin follows the widget


def test_summary_html_escapes_names_and_holds_no_config() -> None:
    html = render_summary(_model("m<b>"))["text/html"]
    assert "<img" not in html and "<b>m" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;&amp;&quot;&#x27;" in html
    assert 'data-model="m&lt;b&gt;"' in html
    assert "Connected to" in html and "inp[0][0]" in html


# --- the graph ---------------------------------------------------------------


def test_graph_svg_has_a_node_per_layer_and_escapes_labels() -> None:
    options = GraphOptions(show_shapes=True, show_layer_activations=True, show_trainable=True)
    svg = layout_svg(_model(), options, None)
    ids = re.findall(r'<g id="kn&#45;(n[\d_]+)" class="node', svg)
    assert ids == ["n0", "n1", "n2", "n3"]
    assert "<img" not in svg and "&lt;img src=x onerror=alert(1)&gt;" in svg
    assert "in: (None, 4)" in svg and "LoRA rank 2" in svg and "non&#45;trainable" in svg


def test_graph_opens_nested_models_into_clusters_with_edges_to_their_layers() -> None:
    dot = graph_layout.to_digraph(_model(), GraphOptions(), expanded=["n2"]).source
    assert "subgraph cluster_n2" in dot
    assert "n1 -> n2_0" in dot and "n2_1 -> n3" in dot and "n2_0 -> n2_1" in dot
    closed = graph_layout.to_digraph(_model(), GraphOptions()).source
    assert "cluster" not in closed and "n1 -> n2" in closed and "n2_0" not in closed
    everything = graph_layout.to_digraph(_model(), GraphOptions(expand_nested=True)).source
    assert "subgraph cluster_n2" in everything


def test_graph_options_follow_plot_model() -> None:
    names = graph_layout.to_digraph(_model(), GraphOptions(show_layer_names=False)).source
    assert "<b>dense</b>" not in names and "<b>Dense</b>" in names
    assert "rankdir=LR" in graph_layout.to_digraph(_model(), GraphOptions(rankdir="LR")).source
    with pytest.raises(KerasnbError, match="rankdir must be one of TB, LR, BT, RL"):
        GraphOptions(rankdir="sideways")


def test_missing_dot_says_how_to_install_graphviz(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")  # a fake: Graphviz is installed on this machine
    with pytest.raises(KerasnbError) as caught:
        layout_svg(_model(), GraphOptions(), None)
    message = str(caught.value)
    for command in ("apt-get install graphviz", "conda install graphviz", "brew install graphviz"):
        assert command in message


def test_graph_text_twin_is_one_stable_line() -> None:
    assert describe(_model(), ["n2"]) == (
        'Graph of model "net" (Functional): 6 layers, 4 connections, '
        "1 nested model (1 open); laid out by Graphviz dot"
    )


def test_model_data_json_round_trip() -> None:
    data = _model()
    assert ModelData.from_dict(json.loads(json.dumps(data.to_dict()))) == data


# --- in a real kernel: magics, widgets, a backend switch ---------------------

MODEL = """\
import keras, kerasnb
from keras import layers
inner = keras.Sequential([layers.Dense(4, name="i1"), layers.Dense(3, name="i2")], name="inner")
x = keras.Input((8,), name="x")
model = keras.Model(x, layers.Dense(2, name="head")(inner(layers.Dense(8, name="d")(x))), name="m")
"""


@pytest.fixture(scope="module")
def kernel() -> Iterator[KernelSession]:
    with KernelSession(env={"KERAS_BACKEND": "jax"}) as session:
        session.ok("%load_ext kerasnb")
        session.ok(MODEL)
        yield session


@pytest.mark.kernel
def test_keras_summary_magic_shows_widget_with_text_and_html(kernel: KernelSession) -> None:
    reply = kernel.ok("%keras_summary model --expand-nested")
    (bundle,) = [o["data"] for o in reply.outputs]
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"].startswith('Model: "m" (Functional)\nLayer (type)')
    assert "   └ i2 (Dense)" in bundle["text/plain"]
    assert "Total params: 131 (524.00 B)" in bundle["text/html"]


@pytest.mark.kernel
def test_keras_plot_magic_shows_widget_with_svg(kernel: KernelSession) -> None:
    reply = kernel.ok("%keras_plot model --show-shapes --rankdir LR")
    (bundle,) = [o["data"] for o in reply.outputs]
    assert set(bundle) == {
        "text/plain",
        "image/svg+xml",
        "application/vnd.jupyter.widget-view+json",
    }
    assert bundle["text/plain"] == (
        'Graph of model "m" (Functional): 6 layers, 4 connections, '
        "1 nested model (0 open); laid out by Graphviz dot"
    )
    assert bundle["image/svg+xml"].count('class="node') == 4


@pytest.mark.kernel
def test_opening_a_nested_model_lays_the_graph_out_again(kernel: KernelSession) -> None:
    kernel.ok("g = kerasnb.graph(model)")
    assert kernel.value("'kn&#45;n2_0' in g.svg") is False
    kernel.ok("g.expanded = ['n2']")
    assert kernel.value("('kn&#45;n2_0' in g.svg, g.error)") == (True, "")


@pytest.mark.kernel
@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("%keras_summary nothing_here", "UsageError: no variable 'nothing_here' in this notebook"),
        ("%keras_plot model --rankdir up", "UsageError: rankdir must be one of TB, LR, BT, RL"),
        ("%keras_summary 3", "UsageError: kerasnb.summary needs a Keras model"),
        ("%keras_plot inner.layers[0]", "UsageError: kerasnb.graph shows a model, not a single"),
    ],
)
def test_magic_mistakes_are_one_line_usage_errors(
    kernel: KernelSession, line: str, message: str
) -> None:
    reply = kernel.run(line)
    assert reply.error_line.startswith(message)
    assert "\n" not in reply.error_line


@pytest.mark.kernel
def test_model_from_before_a_backend_switch_gets_a_clear_error(kernel: KernelSession) -> None:
    kernel.ok("%keras_backend torch")
    reply = kernel.run("%keras_summary model")
    assert reply.error_line == (
        "UsageError: Functional 'm' was made on the jax backend before the switch to torch; "
        "re-run the cell that creates it"
    )
    kernel.ok(MODEL)  # the re-run the message asks for works on the new backend
    reply = kernel.ok("%keras_summary model")
    assert "Total params: 131 (524.00 B)" in reply.texts[0]
