"""JupyterLab loads kerasnb's extension and shows the backend a notebook chose."""

from __future__ import annotations

import re

from lab_harness import LabPage, LabServer
from playwright.sync_api import expect


def test_extension_is_enabled_on_the_server(lab_server: LabServer) -> None:
    extensions = {ext["name"]: ext for ext in lab_server.get_json("lab/api/extensions")}
    assert extensions["kerasnb"]["enabled"] is True
    assert extensions["kerasnb"]["installed"] is True


def test_status_bar_follows_the_backend_a_notebook_chooses(lab: LabPage) -> None:
    console: list[str] = []
    lab.page.on("console", lambda message: console.append(message.text))
    lab.open_notebook(
        "smoke.ipynb", ["%load_ext kerasnb", "%keras_backend torch", "%keras_backend"]
    )
    status = lab.page.locator(".jp-kerasnb-status")
    expect(status).to_have_text("Keras: –")
    expect(status).to_have_attribute("data-kerasnb-backend", "")
    assert "kerasnb: JupyterLab extension activated" in console

    lab.run_all()

    output = lab.page.locator(".jp-Cell").nth(2).locator(".jp-OutputArea .kerasnb-backend")
    expect(output).to_contain_text("torch")
    expect(status).to_have_text("Keras: torch")
    expect(status).to_have_attribute("data-kerasnb-backend", "torch")
    expect(status).to_have_attribute("title", re.compile(r"^Keras 3\.\S+ on torch"))
