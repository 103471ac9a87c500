"""%%keras_compare in a real JupyterLab: three columns, overlaid curves, an error's traceback."""

from __future__ import annotations

from lab_harness import LabPage
from playwright.sync_api import expect

BACKENDS = ["jax", "torch", "tensorflow"]
DATA = """\
import numpy as np
rng = np.random.default_rng(0)
x = rng.normal(size=(128, 8)).astype("float32")
y = (x[:, 0] > 0).astype("int32")
"""
SETUP = """\
%%keras_setup
import keras
def make_model():
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
"""
TRAIN = """\
%%keras_compare --push x,y -o trained
model = make_model()
model.fit(x, y, epochs=3, verbose=0)
model.count_params()
"""
PORTABLE = """\
%%keras_compare
keras.ops.ones((2,)).numpy().sum()  # no .numpy() on JAX arrays
"""


def test_three_columns_with_overlaid_curves(lab: LabPage) -> None:
    lab.open_notebook(
        "compare.ipynb",
        [
            "%load_ext kerasnb",
            DATA,
            SETUP,
            TRAIN,
            PORTABLE,
            "{name: run.ok for name, run in trained.runs.items()}",
            "%keras_compare --stop",
        ],
    )
    lab.run_all(timeout_ms=600_000)
    cells = lab.page.locator(".jp-NotebookPanel:visible .jp-CodeCell")

    trained = cells.nth(3).locator(".jp-OutputArea .kerasnb-compare")
    expect(trained).to_have_attribute("data-done", "true")
    expect(trained.locator("th.kerasnb-compare-backend")).to_have_text(BACKENDS)
    statuses = trained.locator('td[data-row="status"]')
    expect(statuses).to_have_text(["ok"] * 3)
    expect(trained.locator('td[data-row="value"]')).to_have_text(["18"] * 3)
    curves = trained.locator("img.kerasnb-compare-curves")
    expect(curves).to_be_visible()
    assert curves.evaluate("img => img.complete && img.naturalWidth > 0")

    portable = cells.nth(4).locator(".jp-OutputArea .kerasnb-compare")
    expect(portable.locator('td[data-row="status"]')).to_have_text(["error", "ok", "ok"])
    error = portable.locator('td[data-row="error"][data-backend="jax"]')
    expect(error).to_contain_text("AttributeError")
    expect(error.locator("details pre")).to_be_hidden()
    error.locator("summary").click()
    expect(error.locator("details pre")).to_contain_text(".numpy().sum()")

    expect(cells.nth(5).locator(".jp-OutputArea")).to_contain_text(
        "{'jax': True, 'torch': True, 'tensorflow': True}"
    )
