"""The summary and graph widgets in a real JupyterLab: rows, nodes, clicks, nesting."""

from __future__ import annotations

import re

import pytest
from lab_harness import LabPage
from playwright.sync_api import expect

MODEL = """\
import keras
from keras import layers
a = keras.Input((8,), name="a")
b = keras.Input((8,), name="b")
shared = layers.Dense(8, name="shared")
joined = layers.Add(name="join")([shared(a), a])
inner = keras.Sequential([layers.Dense(4, name="i1"), layers.Dense(3, name="i2")], name="inner")
out1 = inner(joined)
out2 = layers.Dense(1, name="o2<i>&amp;")(layers.Concatenate(name="cat")([joined, shared(b)]))
model = keras.Model([a, b], [out1, out2], name="two_heads")
"""
TOP_LEVEL = ["a", "shared", "b", "join", "cat", "inner", "o2<i>&amp;"]


def test_summary_and_graph_widgets(lab: LabPage) -> None:
    lab.open_notebook(
        "views.ipynb",
        [
            "%load_ext kerasnb",
            "%keras_backend jax --no-devices",
            MODEL,
            "%keras_summary model",
            "%keras_plot model --show-shapes",
            "%keras_plot model --show-dtype --rankdir LR",
        ],
    )
    lab.run_all(timeout_ms=120_000)
    page = lab.page

    # Summary: one row per top-level layer, names shown as text, never as markup.
    summary = page.locator(".kerasnb-summary-widget")
    expect(summary).to_be_visible()
    names = summary.locator("tr.kn-row .kn-layer-name")
    expect(names).to_have_text(TOP_LEVEL)
    expect(summary.locator(".kn-totals")).to_contain_text("Total params: 140 (560.00 B)")
    expect(summary.locator("i")).to_have_count(0)

    # Unfold the nested model, then filter by name.
    summary.locator('tr[data-layer-id="n5"] button.kn-toggle').click()
    expect(names).to_have_text([*TOP_LEVEL[:6], "i1", "i2", TOP_LEVEL[6]])
    summary.locator("input.kn-filter").fill("i2")
    expect(names).to_have_text(["inner", "i2"])
    expect(summary.locator(".kn-count")).to_have_text("1 of 9 layers match")

    # Graph: a node per top-level layer, drawn by dot into SVG.
    graph = page.locator(".kerasnb-graph-widget").first
    nodes = graph.locator("svg g.node")
    expect(nodes).to_have_count(len(TOP_LEVEL))
    expect(graph.locator("svg")).to_contain_text("o2<i>&amp;")

    # Clicking a node shows that layer's details: shapes, weights, config.
    graph.locator('g.node[id="kn-n1"]').click()
    details = graph.locator(".kn-details")
    expect(details.locator(".kn-detail-title")).to_have_text("shared (Dense)")
    expect(details.locator(".kn-weight-table")).to_contain_text("(8, 8)")
    expect(details.locator(".kn-config")).to_contain_text('"units": 8')
    expect(graph.locator('g.node[id="kn-n1"]')).to_have_class(re.compile(r"\bkn-selected\b"))

    # Opening the nested model asks the kernel for a new layout with its layers.
    graph.locator('g.node[id="kn-n5"]').click()
    expect(details.locator(".kn-detail-title")).to_have_text("inner (Sequential)")
    details.locator("button.kn-expand").click()
    expect(graph.locator('g.node[id="kn-n5_0"]')).to_be_visible(timeout=30_000)
    expect(graph.locator('g.cluster[id="kn-n5"]')).to_have_count(1)
    expect(nodes).to_have_count(len(TOP_LEVEL) - 1 + 2)
    expect(details.locator("button.kn-expand")).to_have_text("Close nested model")

    # Double-clicking the open model's frame closes it; double-clicking the node opens it.
    graph.locator('g.cluster[id="kn-n5"] text').first.dblclick()
    expect(graph.locator('g.cluster[id="kn-n5"]')).to_have_count(0, timeout=30_000)
    graph.locator('g.node[id="kn-n5"]').dblclick()
    expect(graph.locator('g.cluster[id="kn-n5"]')).to_have_count(1, timeout=30_000)

    # Zoom with the buttons and ctrl+wheel, pan by dragging: the stage's transform follows.
    stage = graph.locator(".kn-stage")
    scale = lambda: float(stage.get_attribute("data-scale") or "nan")  # noqa: E731
    fitted = scale()
    graph.locator("button.kn-in").click()
    assert scale() == pytest.approx(fitted * 1.25, rel=1e-3)
    graph.locator("button.kn-out").click()
    assert scale() == pytest.approx(fitted, rel=1e-3)
    box = graph.locator(".kn-viewport").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.keyboard.down("Control")
    page.mouse.wheel(0, -300)
    page.keyboard.up("Control")
    expect(stage).to_have_attribute("data-scale", re.compile(r"^\d+\.\d{4}$"))
    expect(stage).not_to_have_attribute("data-scale", f"{fitted:.4f}")
    assert scale() > fitted
    before = stage.evaluate("node => node.style.transform")
    page.mouse.move(box["x"] + 20, box["y"] + 20)
    page.mouse.down()
    page.mouse.move(box["x"] + 120, box["y"] + 80, steps=5)
    page.mouse.up()
    after = stage.evaluate("node => node.style.transform")
    moved = [float(v) for v in re.findall(r"translate\(([-\d.]+)px, ([-\d.]+)px\)", after)[0]]
    start = [float(v) for v in re.findall(r"translate\(([-\d.]+)px, ([-\d.]+)px\)", before)[0]]
    assert moved[0] - start[0] == pytest.approx(100, abs=1)
    assert moved[1] - start[1] == pytest.approx(60, abs=1)

    # show_dtype (plot_model's option) puts each layer's output dtype in its node.
    dtyped = page.locator(".kerasnb-graph-widget").nth(1)
    expect(dtyped.locator('g.node[id="kn-n1"]')).to_contain_text("dtype: float32")
    expect(graph.locator('g.node[id="kn-n1"]')).not_to_contain_text("dtype:")
