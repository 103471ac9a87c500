"""The "Keras" sidebar in JupyterLab: the kernel's models, refreshed after each cell,
with Summary and Graph inserting and running a cell below the active one."""

from __future__ import annotations

import re

from lab_harness import LabPage
from playwright.sync_api import expect

MODELS = """\
import keras
mlp = keras.Sequential(
    [keras.Input((4,)), keras.layers.Dense(8, name="hidden"), keras.layers.Dense(1, name="out")],
    name="tiny",
)
mlp.get_layer("hidden").trainable = False
head = keras.layers.Dense(3)
"""


def test_sidebar_lists_the_models_and_inserts_summary_and_graph(lab: LabPage) -> None:
    page = lab.page
    lab.open_notebook(
        "sidebar.ipynb", ["%load_ext kerasnb", "%keras_backend jax --no-devices", MODELS]
    )
    page.locator('.jp-SideBar .lm-TabBar-tab[data-id="kerasnb-sidebar"]').click()
    sidebar = page.locator("#kerasnb-sidebar")
    expect(sidebar).to_be_visible()
    notice = sidebar.locator(".jp-kerasnb-sidebar-notice")
    expect(notice).to_have_text("kerasnb is not loaded in this kernel: run %load_ext kerasnb.")

    lab.run_all(timeout_ms=120_000)
    rows = sidebar.locator(".jp-kerasnb-model")
    expect(rows.locator(".jp-kerasnb-model-name")).to_have_text(["mlp", "head"])
    expect(rows.locator(".jp-kerasnb-model-class")).to_have_text(["Sequential", "Dense"])
    mlp = rows.filter(has_text="mlp")
    expect(mlp.locator("[data-fact]")).to_have_text(["49 params", "9 trainable", "jax", "float32"])
    expect(rows.nth(1).locator("[data-fact]")).to_have_text(["not built", "jax", "float32"])
    expect(sidebar.locator(".jp-kerasnb-sidebar-backend")).to_have_text("jax · cpu")
    # The refresh rode on comm messages: the model cell has no output.
    cells = page.locator(".jp-NotebookPanel:visible .jp-Cell")
    expect(cells.nth(2).locator(".jp-OutputArea-output")).to_have_count(0)

    # A later cell changes the list.
    lab.add_and_run_cell("head.build((None, 2))")
    expect(rows.nth(1).locator("[data-fact]")).to_have_text(
        ["9 params", "9 trainable", "jax", "float32"]
    )

    # Summary: a new cell below the active one, with the magic, run.
    count = cells.count()
    mlp.click()
    expect(mlp).to_have_attribute("aria-expanded", "true")
    mlp.get_by_role("button", name="Summary").click()
    expect(cells).to_have_count(count + 1)
    summary_cell = cells.nth(count)
    expect(summary_cell.locator(".jp-InputArea-editor")).to_have_text("%keras_summary mlp")
    expect(summary_cell.locator(".jp-InputPrompt")).to_have_text(re.compile(r"\[\d+\]:"))
    summary = summary_cell.locator(".kerasnb-summary-widget")
    expect(summary.locator("tr.kn-row .kn-layer-name")).to_have_text(["hidden", "out"])

    # Graph, from the same row, still open.
    expect(mlp).to_have_attribute("aria-expanded", "true")
    mlp.get_by_role("button", name="Graph").click()
    expect(cells).to_have_count(count + 2)
    graph_cell = cells.nth(count + 1)
    expect(graph_cell.locator(".jp-InputArea-editor")).to_have_text("%keras_plot mlp")
    expect(graph_cell.locator(".kerasnb-graph-widget svg g.node")).to_have_count(2)
