"""LiveMetrics in a real JupyterLab: points appear during a real fit, Stop ends it, NaN shows."""

from __future__ import annotations

import math
import re

from lab_harness import LabPage
from playwright.sync_api import expect

POSITIVE = re.compile(r"^[1-9]\d*$")  # a count above zero (a missing attribute fails)
SETUP = """\
import numpy as np, keras, kerasnb
rng = np.random.default_rng(0)
x = rng.normal(size=(4096, 8)).astype("float32")
y = x[:, :1] * 2 - x[:, 1:2]
keras.utils.set_random_seed(0)
model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                          keras.layers.Dense(1)])
model.compile("adam", "mse", metrics=["mae"])
"""
# Far more epochs than the test waits for: only the Stop button ends it.
FIT = """\
live = kerasnb.LiveMetrics(title="<b>run</b> 1")
history = model.fit(x, y, batch_size=32, epochs=2000, validation_split=0.2, callbacks=[live])
"""
# Labels turn NaN two thirds into the epoch: the loss goes NaN mid-curve.
NAN_FIT = """\
y_bad = y.copy()
y_bad[2000:] = np.nan
nan_live = kerasnb.LiveMetrics(title="nan")
h = model.fit(x, y_bad, batch_size=32, epochs=2, shuffle=False, callbacks=[nan_live])
"""
AFTER = """\
print("after:", live.state, live.stopped_at is not None,
      len(live.history["loss"]) == len(history.history["loss"]) < 2000,
      model.predict(x[:2], verbose=0).shape)
"""


# How often the smoothed loss line turns (up to down or back) next to the raw one,
# from each SVG path, read in one go so both come from the same redraw.
_TURNS_JS = """() => {
  const turns = (cls) => {
    const path = document.querySelector(`svg.kn-chart[data-metric="loss"] path.${cls}`);
    if (!path) return null;
    const ys = [...path.getAttribute("d").matchAll(/[ML][\\d.]+,([\\d.]+)/g)].map(m => Number(m[1]));
    const steps = ys.slice(1).map((y, i) => Math.sign(y - ys[i])).filter((d) => d !== 0);
    return steps.slice(1).filter((d, i) => d !== steps[i]).length;
  };
  const raw = turns("kn-batch"), smooth = turns("kn-smooth");
  return raw > 10 && smooth !== null ? smooth / raw : null;  // null: too few points yet
}"""


def test_points_appear_during_fit_stop_ends_it_nan_is_marked(lab: LabPage) -> None:
    page = lab.page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    lab.open_notebook(
        "live.ipynb",
        ["%load_ext kerasnb", "%keras_backend jax --no-devices", SETUP, FIT, AFTER, NAN_FIT],
    )
    lab.command("runmenu:run-all")  # fit runs until Stop: do not wait for the cells

    view = page.locator(".kerasnb-live")
    expect(view).to_have_attribute("data-state", "running", timeout=120_000)
    expect(view.locator(".kn-title")).to_have_text("<b>run</b> 1")  # text, never markup
    expect(view.locator(".kn-title b")).to_have_count(0)

    # Points arrive while fit runs, and keep arriving.
    expect(view).to_have_attribute("data-batch-points", POSITIVE, timeout=60_000)
    seen = int(view.get_attribute("data-batch-points") or 0)
    page.wait_for_function(
        "n => Number(document.querySelector('.kerasnb-live').dataset.batchPoints) > n",
        arg=seen,
        timeout=60_000,
    )
    expect(view).to_have_attribute("data-epoch-points", POSITIVE, timeout=60_000)
    expect(view.locator(".kn-status")).to_contain_text(re.compile(r"epoch \d+/2000 · .*steps/s"))
    # The progress line carries the ETA (known steps per epoch) and Adam's learning rate.
    expect(view.locator(".kn-status")).to_contain_text(re.compile(r" · ETA \d+( h \d+)? min"))
    expect(view.locator(".kn-status")).to_contain_text(re.compile(r" · lr 0\.001$"))
    loss = view.locator('svg.kn-chart[data-metric="loss"]')
    expect(loss.locator("path.kn-batch")).to_have_attribute("d", re.compile(r"^M[\d.]+,[\d.]+L"))
    expect(loss.locator("circle.kn-val").first).to_be_visible()

    # Hover shows the values under the cursor.
    loss.locator("rect.kn-hover").hover()
    expect(view.locator(".kn-tip").first).to_contain_text(re.compile(r"step \d+\nloss: "))

    # Smoothing draws a calmer line than the raw batches, calmer the higher it is set.
    below = "(limit => { const r = (" + _TURNS_JS + ")(); return r !== null && r < limit; })"
    page.wait_for_function(below, arg=0.9, timeout=30_000)
    light = page.evaluate(_TURNS_JS)
    view.locator("input.kn-smoothing").fill("0.95")
    page.wait_for_function(below, arg=light * 0.6, timeout=30_000)
    view.locator("input.kn-smoothing").fill("0")
    expect(loss.locator("path.kn-smooth")).to_have_count(0)

    # Log scale changes the axis itself: ticks at powers of ten.
    linear_ticks = loss.locator("text.kn-ytick").all_text_contents()
    view.locator("input.kn-log").check()
    expect(loss.locator(".kn-chart-title")).to_have_text("loss (log scale)")
    page.wait_for_function(
        "ticks => JSON.stringify([...document.querySelectorAll("
        "'svg.kn-chart[data-metric=\"loss\"] text.kn-ytick')].map(t => t.textContent)) !== ticks",
        arg=str(linear_ticks).replace("'", '"'),
        timeout=30_000,
    )
    log_ticks = [float(t) for t in loss.locator("text.kn-ytick").all_text_contents()]
    assert log_ticks and all(math.log10(t) == round(math.log10(t)) for t in log_ticks)

    # Stop ends training after the current batch; the kernel keeps everything.
    view.locator("button.kn-stop").click()
    expect(view.first).to_have_attribute("data-state", "stopped", timeout=60_000)
    expect(view.first.locator(".kn-status")).to_contain_text(
        re.compile(r"fit stopped with the Stop button at epoch \d+/2000, step \d+/103")
    )
    outputs = page.locator(".jp-OutputArea-output")
    expect(outputs.filter(has_text="after:")).to_have_text(
        re.compile(r"after: stopped True True \(2, 1\)"), timeout=60_000
    )
    # At cell end the output carries the final table (and its static twins).
    expect(page.locator(".kerasnb-live .kn-table").first).to_contain_text("validation")

    # NaN losses are marked, and the finite part of the curve is still drawn.
    nan_view = page.locator(".kerasnb-live").filter(has_text="nan").last
    expect(nan_view).to_have_attribute("data-state", "finished", timeout=60_000)
    nan_loss = nan_view.locator('svg.kn-chart[data-metric="loss"]')
    expect(nan_loss).to_have_attribute("data-bad-points", POSITIVE)
    expect(nan_loss.locator("path.kn-bad").first).to_be_attached()
    expect(nan_loss.locator("path.kn-batch")).to_have_attribute(
        "d", re.compile(r"^M[\d.]+,[\d.]+L")
    )
    expect(nan_view.locator(".kn-table")).to_contain_text("NaN")
    assert errors == []
