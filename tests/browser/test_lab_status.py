"""The backend at a glance: the status bar item and the toolbar switcher, in JupyterLab.

The status bar follows the current notebook's kernel through kerasnb's comm:
after `%keras_backend`, after a pick in the switcher, after a restart, and
from one notebook to another. Without kerasnb in the kernel, every part of
the extension shows the disabled state with its reason, and runs nothing.
"""

from __future__ import annotations

import re

from lab_harness import LabPage, LabServer
from playwright.sync_api import expect

NOT_LOADED = "Keras: not loaded"
# Records [msg_type, code or comm target] of every message the page sends the
# current notebook's kernel.
SPY_ON_SENT_MESSAGES = """() => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  window.__kerasnbSent = [];
  kernel.anyMessage.connect((_, {msg, direction}) => {
    if (direction === 'send') {
      const content = msg.content || {};
      window.__kerasnbSent.push([msg.header.msg_type, content.code ?? content.target_name ?? null]);
    }
  });
}"""


def test_extension_is_enabled_on_the_server(lab_server: LabServer) -> None:
    extensions = {ext["name"]: ext for ext in lab_server.get_json("lab/api/extensions")}
    assert extensions["kerasnb"]["enabled"] is True
    assert extensions["kerasnb"]["installed"] is True


def test_without_kerasnb_everything_is_disabled_and_nothing_runs(lab: LabPage) -> None:
    page = lab.page
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    lab.open_notebook("plain.ipynb", ["x = 1", "x + 1"])
    assert "kerasnb: JupyterLab extension activated" in console
    status = page.locator(".jp-kerasnb-status")
    expect(status).to_have_text(NOT_LOADED)
    expect(status).to_have_attribute("data-kerasnb-state", "unavailable")
    expect(status).to_have_attribute(
        "title", "kerasnb is not loaded in this kernel: run %load_ext kerasnb"
    )
    switcher = page.locator(".jp-NotebookPanel:visible .jp-kerasnb-switcher")
    expect(switcher).to_be_disabled()
    expect(switcher).to_have_attribute("title", re.compile("run %load_ext kerasnb"))

    # Watch what the page sends the kernel from now on, across a restart (which
    # makes kerasnb ask again) and a run of both cells.
    page.evaluate(SPY_ON_SENT_MESSAGES)
    lab.restart_kernel()
    lab.run_all()
    expect(status).to_have_text(NOT_LOADED)
    sent = page.evaluate("() => window.__kerasnbSent")
    assert ["comm_open", "kerasnb"] in sent  # asking is opening a comm...
    executed = [detail for kind, detail in sent if kind == "execute_request"]
    assert executed == ["x = 1", "x + 1"]  # ...and the only code run is the user's
    # The cell actions are not offered where kerasnb does not run.
    visible = page.evaluate(
        "() => ['kerasnb:compare-cell', 'kerasnb:export-cell', 'kerasnb:use-backend']"
        ".map(id => window.jupyterapp.commands.isVisible(id, {backend: 'jax'}) &&"
        " window.jupyterapp.commands.isEnabled(id, {backend: 'jax'}))"
    )
    assert visible == [False, False, False]


def test_status_follows_the_magic_the_switcher_a_restart_and_a_new_kernel(lab: LabPage) -> None:
    page = lab.page
    lab.open_notebook(
        "status.ipynb",
        [
            "%load_ext kerasnb",
            "%keras_backend torch",
            "import keras\nmodel = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])",
        ],
    )
    status = page.locator(".jp-kerasnb-status")
    switcher = page.locator(".jp-NotebookPanel:visible .jp-kerasnb-switcher")
    lab.run_all(timeout_ms=120_000)
    expect(status).to_have_text("Keras: torch · cpu")
    expect(status).to_have_attribute("data-kerasnb-backend", "torch")
    expect(status).to_have_attribute(
        "title", re.compile(r"^Keras 3\.\S+ runs on PyTorch on cpu\. Click to switch\.$")
    )
    expect(switcher).to_be_enabled()
    expect(switcher).to_have_text("PyTorch")

    # A pick in the toolbar's switcher switches in place and names what is stale.
    switcher.click()
    menu = page.locator(".jp-kerasnb-switcher-menu")
    items = menu.locator("li.lm-Menu-item")
    expect(items.locator(".lm-Menu-itemLabel")).to_have_text(["JAX", "PyTorch", "TensorFlow"])
    expect(items.nth(1)).to_have_class(re.compile(r"\blm-mod-toggled\b"))
    items.nth(0).click()
    # Switched in place; JAX starts its device with the first model, and says so then.
    expect(status).to_have_text("Keras: jax", timeout=60_000)
    expect(switcher).to_have_text("JAX")
    toast = page.locator(".Toastify__toast").filter(has_text="Keras now runs on JAX")
    expect(toast).to_contain_text("still on PyTorch: model. Re-run the cells that made them.")
    lab.add_and_run_cell("model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])")
    expect(status).to_have_text("Keras: jax · cpu")

    # Clicking the status bar item opens the same switcher.
    status.click()
    expect(menu.locator("li.lm-mod-toggled .lm-Menu-itemLabel")).to_have_text("JAX")
    page.keyboard.press("Escape")
    expect(menu).to_have_count(0)

    # A restarted kernel has forgotten kerasnb; loading it again brings the status back.
    lab.restart_kernel()
    expect(status).to_have_text(NOT_LOADED)
    expect(switcher).to_be_disabled()
    lab.run_all(timeout_ms=120_000)
    expect(status).to_have_text("Keras: torch · cpu")

    # So does a change of kernel: the new one has not loaded kerasnb.
    page.evaluate(
        "() => { void window.jupyterapp.shell.currentWidget.sessionContext"
        ".changeKernel({name: 'python3'}); }"
    )
    expect(status).to_have_text(NOT_LOADED)
    lab.wait_for_idle_kernel()
    lab.run_all(timeout_ms=120_000)
    expect(status).to_have_text("Keras: torch · cpu")


def test_two_notebooks_on_two_backends_each_show_their_own(lab: LabPage) -> None:
    page = lab.page
    lab.open_notebook("on_jax.ipynb", ["%load_ext kerasnb", "%keras_backend jax"])
    lab.run_all()
    status = page.locator(".jp-kerasnb-status")
    expect(status).to_have_text("Keras: jax")
    lab.open_another_notebook(
        "on_tf.ipynb", ["%load_ext kerasnb", "%keras_backend tensorflow --no-devices"]
    )
    expect(status).to_have_text(NOT_LOADED)  # not run yet: kerasnb not loaded there
    lab.run_all()
    expect(status).to_have_text("Keras: tensorflow")
    lab.activate_notebook("on_jax.ipynb")
    expect(status).to_have_text("Keras: jax")
    expect(page.locator(".jp-NotebookPanel:visible .jp-kerasnb-switcher")).to_have_text("JAX")
    lab.activate_notebook("on_tf.ipynb")
    expect(status).to_have_text("Keras: tensorflow")
    expect(page.locator(".jp-NotebookPanel:visible .jp-kerasnb-switcher")).to_have_text(
        "TensorFlow"
    )
