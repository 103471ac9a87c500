"""The JupyterLab server handle and the page driver shared by browser tests.

Kept out of conftest.py so tests can import them by a name no other module
in the suite shares.
"""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from playwright.sync_api import Page, expect

KERNEL_TIMEOUT_MS = 60_000
KERNELSPEC = {"name": "python3", "language": "python", "display_name": "Python 3 (ipykernel)"}
KERNEL_IDLE = "Python 3 (ipykernel) | Idle"


@dataclass(frozen=True)
class LabServer:
    """A running JupyterLab server on loopback."""

    url: str
    token: str
    root: Path

    def page_url(self, path: str, query: str = "") -> str:
        """URL of a lab page, with the token; `path` like 'lab/tree/a.ipynb'."""
        return f"{self.url}/{path}?{query}{'&' if query else ''}token={self.token}"

    def get_json(self, path: str) -> Any:
        """GET a server API path like 'api/status' and decode its JSON."""
        with urllib.request.urlopen(self.page_url(path), timeout=10) as response:
            return json.load(response)


class LabPage:
    """A Playwright page on the lab server, with the steps every test needs."""

    def __init__(self, page: Page, server: LabServer) -> None:
        self.page = page
        self.server = server

    def open_notebook(self, name: str, cells: list[str]) -> None:
        """Write a notebook of code cells and open it in a fresh workspace."""
        self._write_notebook(name, cells)
        workspace = re.sub(r"\W+", "-", name)
        path = f"lab/workspaces/{workspace}/tree/{urllib.parse.quote(name)}"
        self.page.goto(self.server.page_url(path, "reset"))
        expect(self.page.locator(".jp-NotebookPanel")).to_be_visible(timeout=30_000)
        self.wait_for_idle_kernel()

    def open_in_notebook7(self, name: str, cells: list[str]) -> None:
        """Write a notebook of code cells and open it in Jupyter Notebook 7 on the same server."""
        self._write_notebook(name, cells)
        self.page.goto(self.server.page_url(f"notebooks/{urllib.parse.quote(name)}"))
        expect(self.page.locator(".jp-NotebookPanel")).to_be_visible(timeout=30_000)
        # Notebook 7 has no status bar: ask its app for the kernel's status.
        self.page.wait_for_function(
            "() => window.jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel"
            "?.status === 'idle'",
            timeout=KERNEL_TIMEOUT_MS,
        )

    def _write_notebook(self, name: str, cells: list[str]) -> None:
        notebook = nbformat.v4.new_notebook(
            cells=[nbformat.v4.new_code_cell(source) for source in cells],
            metadata={"kernelspec": KERNELSPEC},
        )
        nbformat.write(notebook, self.server.root / name)

    def wait_for_idle_kernel(self) -> None:
        # The notebook's own indicator says idle before a kernel exists; the
        # status bar names the kernel only once it runs.
        expect(self.page.locator(".jp-StatusBar-Widget")).to_contain_text(
            KERNEL_IDLE, timeout=KERNEL_TIMEOUT_MS
        )

    def command(self, command_id: str) -> None:
        """Start a JupyterLab command; the server fixture exposes `window.jupyterapp`.

        Does not wait for the command to finish: wait for what it changes.
        """
        self.page.evaluate("id => { void window.jupyterapp.commands.execute(id); }", command_id)

    def run_all(self, timeout_ms: int = KERNEL_TIMEOUT_MS) -> None:
        """Run all cells afresh and wait until each code cell shows its execution count."""
        prompts = self.page.locator(".jp-NotebookPanel:visible .jp-CodeCell .jp-InputPrompt")
        count = prompts.count()
        self.command("notebook:clear-all-cell-outputs")  # forget counts of an earlier run
        expect(prompts).to_have_text(["[ ]:"] * count)
        self.command("runmenu:run-all")
        expect(prompts).to_have_text([re.compile(r"\[\d+\]:")] * count, timeout=timeout_ms)

    # --- added for the kerasnb JupyterLab plugins (tests/browser/test_lab_*.py) ---

    def open_another_notebook(self, name: str, cells: list[str]) -> None:
        """Write a notebook and open it next to the ones already open, as the current tab."""
        self._write_notebook(name, cells)
        self.page.evaluate(
            "path => { void window.jupyterapp.commands.execute('docmanager:open', {path}); }", name
        )
        self.page.wait_for_function(
            "path => window.jupyterapp.shell.currentWidget?.context?.path === path", arg=name
        )
        # The status bar may still show the other notebook's idle kernel: ask this one's.
        self.page.wait_for_function(
            "() => window.jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel"
            "?.status === 'idle'",
            timeout=KERNEL_TIMEOUT_MS,
        )

    def activate_notebook(self, name: str) -> None:
        """Make an open notebook the current tab again."""
        self.page.locator(".lm-TabBar-tab", has_text=name).first.click()
        self.page.wait_for_function(
            "path => window.jupyterapp.shell.currentWidget?.context?.path === path", arg=name
        )

    def restart_kernel(self) -> None:
        """Restart the current notebook's kernel, answering JupyterLab's question."""
        kernel = "window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
        self.page.evaluate(
            f"() => {{ window.__kerasnbRestarted = false; {kernel}.statusChanged.connect("
            "(_, status) => { if (status === 'restarting') window.__kerasnbRestarted = true; }); }"
        )
        self.command("notebook:restart-kernel")
        self.page.locator(".jp-Dialog .jp-mod-accept").click()
        # Idle again after having restarted (the status bar says idle before it starts).
        self.page.wait_for_function(
            f"() => window.__kerasnbRestarted && {kernel}.status === 'idle'",
            timeout=KERNEL_TIMEOUT_MS,
        )

    def add_and_run_cell(self, source: str, timeout_ms: int = KERNEL_TIMEOUT_MS) -> None:
        """Add a code cell at the end of the current notebook, run it and wait for its count."""
        cells = self.page.locator(".jp-NotebookPanel:visible .jp-Cell")
        count = cells.count()
        self.page.evaluate(
            """source => {
              const panel = window.jupyterapp.shell.currentWidget;
              const notebook = panel.content;
              notebook.activeCellIndex = notebook.widgets.length - 1;
              window.jupyterapp.commands.execute('notebook:insert-cell-below').then(() => {
                notebook.activeCell.model.sharedModel.setSource(source);
                return window.jupyterapp.commands.execute('notebook:run-cell');
              });
            }""",
            source,
        )
        expect(cells).to_have_count(count + 1)
        expect(cells.nth(count).locator(".jp-InputPrompt")).to_have_text(
            re.compile(r"\[\d+\]:"), timeout=timeout_ms
        )
