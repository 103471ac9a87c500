"""%%keras_compare in a real JupyterLab: the live arena, overlaid curves, Stop, an error's traceback."""

from __future__ import annotations

import re

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
# torch would train for 300 epochs: only the arena's Stop ends it early.
RACE = """\
%%keras_compare --push x,y -o raced
import os
model = make_model()
epochs = 300 if os.environ["KERAS_BACKEND"] == "torch" else 20
len(model.fit(x, y, epochs=epochs, batch_size=4, verbose=0).history["loss"])
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
    # The arena keeps every backend's per-batch curves, overlaid in one chart per metric.
    arena = cells.nth(3).locator(".kerasnb-arena")
    expect(arena).to_have_attribute("data-done", "true")
    expect(arena.locator(".kn-column")).to_have_count(3)
    expect(arena.locator(".kn-legend-item")).to_have_text(BACKENDS)
    loss = arena.locator('svg.kn-chart[data-metric="loss"]')
    expect(loss.locator("path.kn-batch")).to_have_count(3)
    expect(arena.locator(".kn-col-timing").first).to_contain_text("first epoch")

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


def test_curves_grow_while_backends_train_and_stop_ends_one(lab: LabPage) -> None:
    lab.open_notebook(
        "arena.ipynb",
        ["%load_ext kerasnb", DATA, SETUP, RACE, "{b: r.value for b, r in raced.runs.items()}"],
    )
    lab.command("runmenu:run-all")  # the race runs until Stop: do not wait for the cells
    page = lab.page
    arena = page.locator(".kerasnb-arena")
    expect(arena).to_be_visible(timeout=300_000)
    torch = arena.locator('.kn-column[data-backend="torch"]')
    expect(torch).to_have_attribute("data-status", "running", timeout=300_000)
    # Points keep arriving while the compare runs: the overlaid curves grow.
    page.wait_for_function(
        "() => Number(document.querySelector('.kerasnb-arena').dataset.batchPoints) > 50",
        timeout=300_000,
    )
    seen = int(arena.get_attribute("data-batch-points") or 0)
    page.wait_for_function(
        "n => Number(document.querySelector('.kerasnb-arena').dataset.batchPoints) > n",
        arg=seen,
        timeout=120_000,
    )
    expect(arena).to_have_attribute("data-done", "false")
    expect(torch.locator(".kn-col-progress")).to_contain_text(re.compile(r"epoch \d+/300"))
    torch.locator("button.kn-stop").click()
    expect(arena).to_have_attribute("data-done", "true", timeout=300_000)
    values = page.locator(".jp-CodeCell").nth(4).locator(".jp-OutputArea")
    expect(values).to_contain_text(re.compile(r"'jax': '20', 'torch': '\d+', 'tensorflow': '20'"))
    torch_epochs = int(re.search(r"'torch': '(\d+)'", values.inner_text()).group(1))  # type: ignore[union-attr]
    assert 1 <= torch_epochs < 300
