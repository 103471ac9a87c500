"""kerasnb in Jupyter Notebook 7 (served by the same server): the views work there too.

Notebook 7 is built from JupyterLab's parts but is another app, without a
status bar; the widgets are anywidget modules, which it must load the same
way, and kerasnb's lab extension must not break the page.
"""

from __future__ import annotations

import re

from lab_harness import LabPage
from playwright.sync_api import expect

CELLS = [
    "%load_ext kerasnb",
    "%keras_backend jax --no-devices",
    """\
import numpy as np, keras, kerasnb
x = np.random.default_rng(0).normal(size=(512, 4)).astype("float32")
y = x[:, :1] - x[:, 1:2]
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu", name="hidden"),
                          keras.layers.Dense(1, name="out")], name="tiny")
model.compile("adam", "mse")
""",
    "%keras_summary model",
    "%keras_plot model",
    "live = kerasnb.LiveMetrics(title='nb7')\n"
    "history = model.fit(x, y, batch_size=32, epochs=3, callbacks=[live])",
]


def test_summary_graph_and_live_training_in_notebook7(lab: LabPage) -> None:
    page = lab.page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"{error}\n{error.stack}"))
    lab.open_in_notebook7("nb7.ipynb", CELLS)
    expect(page.locator(".jp-StatusBar-Widget")).to_have_count(0)  # really Notebook 7
    lab.run_all(timeout_ms=120_000)

    summary = page.locator(".kerasnb-summary-widget")
    expect(summary.locator("tr.kn-row .kn-layer-name")).to_have_text(["hidden", "out"])
    expect(summary.locator(".kn-totals")).to_contain_text("Total params: 49")

    graph = page.locator(".kerasnb-graph-widget")
    expect(graph.locator("svg g.node")).to_have_count(2)  # as plot_model draws a Sequential
    expect(graph.locator("svg")).to_contain_text("hidden")

    view = page.locator(".kerasnb-live")
    expect(view).to_have_attribute("data-state", "finished", timeout=60_000)
    expect(view.locator(".kn-status")).to_contain_text(re.compile(r"fit finished: 3 epochs"))
    expect(view).to_have_attribute("data-batch-points", "48")  # 16 steps x 3 epochs
    expect(view.locator('svg.kn-chart[data-metric="loss"] path.kn-batch')).to_have_attribute(
        "d", re.compile(r"^M[\d.]+,[\d.]+L")
    )
    # Notebook 7.6.5 itself throws one error while loading settings (also with
    # kerasnb's extension disabled); anything thrown elsewhere fails the test.
    assert [error for error in errors if not _only_notebook7_frames(error)] == []


def _only_notebook7_frames(error: str) -> bool:
    frames = [
        line for line in error.splitlines() if line.strip().startswith("at ") and "://" in line
    ]
    return bool(frames) and all("/static/notebook/" in frame for frame in frames)
