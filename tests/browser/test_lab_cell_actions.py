"""Cell actions in JupyterLab: compare a cell on all backends, export it to a module.

From the cell's context menu and by keyboard shortcut; the shortcuts come from
the extension's settings schema, so they are listed in the Settings editor.
"""

from __future__ import annotations

import re

from lab_harness import LabPage
from playwright.sync_api import expect

BACKENDS = ["jax", "torch", "tensorflow"]
EXPORTED = """\
def build_width():
    return 42
"""


def _context_menu(lab: LabPage, cell_index: int, item: str) -> None:
    cell = lab.page.locator(".jp-NotebookPanel:visible .jp-Cell").nth(cell_index)
    cell.locator(".jp-InputArea-editor").click(button="right")
    lab.page.locator(".lm-Menu-item", has_text=item).click()


def test_shortcuts_come_from_the_settings_schema(lab: LabPage) -> None:
    lab.open_notebook("shortcuts.ipynb", ["%load_ext kerasnb"])
    bindings = lab.page.evaluate(
        "() => window.jupyterapp.commands.keyBindings"
        ".filter(b => b.command.startsWith('kerasnb:'))"
        ".map(b => [b.command, b.keys.join(' ')])"
    )
    assert sorted(bindings) == [["kerasnb:compare-cell", "Alt C"], ["kerasnb:export-cell", "Alt E"]]
    schema = lab.page.evaluate(
        "async () => (await window.jupyterapp.serviceManager.settings.fetch("
        "'kerasnb:cell-commands')).schema['jupyter.lab.shortcuts'].map(s => s.command)"
    )
    assert schema == ["kerasnb:compare-cell", "kerasnb:export-cell"]


def test_export_dialog_writes_the_module_and_remembers_the_path(lab: LabPage) -> None:
    page = lab.page
    lab.open_notebook("export.ipynb", ["%load_ext kerasnb", EXPORTED, "y = 2"])
    lab.run_all()
    _context_menu(lab, 1, "Export cell to module…")
    dialog = page.locator(".jp-Dialog")
    field = dialog.locator("input")
    expect(field).to_have_value("")
    field.fill("tinypkg/models/width.py")
    dialog.locator(".jp-mod-accept").click()

    cell = page.locator(".jp-NotebookPanel:visible .jp-Cell").nth(1)
    expect(cell.locator(".jp-InputArea-editor")).to_contain_text(
        "%%keras_export tinypkg/models/width.py"
    )
    expect(cell.locator(".jp-OutputArea-output")).to_contain_text("width.py")
    module = lab.server.root / "tinypkg" / "models" / "width.py"
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.model.getMetadata('kerasnb')?.export_path"
        " === 'tinypkg/models/width.py'"
    )
    assert module.is_file()
    assert "def build_width():\n    return 42" in module.read_text()

    # The next export of this notebook starts from the last path; here by keyboard.
    page.locator(".jp-NotebookPanel:visible .jp-Cell").nth(2).locator(".jp-InputPrompt").click()
    page.keyboard.press("Escape")  # command mode
    page.keyboard.press("Alt+E")
    expect(dialog.locator("input")).to_have_value("tinypkg/models/width.py")
    dialog.locator(".jp-mod-reject").click()
    expect(dialog).to_have_count(0)
    expect(page.locator(".jp-NotebookPanel:visible .jp-Cell").nth(2)).to_contain_text("y = 2")


def test_context_menu_compare_shows_three_backends_as_the_cells_output(lab: LabPage) -> None:
    page = lab.page
    lab.open_notebook("compare_action.ipynb", ["%load_ext kerasnb", "1 + 1"])
    lab.run_all()
    cell = page.locator(".jp-NotebookPanel:visible .jp-Cell").nth(1)
    _context_menu(lab, 1, "Compare this cell on all backends")
    compare = cell.locator(".jp-OutputArea .kerasnb-compare")
    expect(compare).to_have_attribute("data-done", "true", timeout=540_000)
    expect(compare.locator("th.kerasnb-compare-backend")).to_have_text(BACKENDS)
    expect(compare.locator('td[data-row="status"]')).to_have_text(["ok"] * 3)
    expect(compare.locator('td[data-row="value"]')).to_have_text(["2"] * 3)
    expect(cell.locator(".jp-InputPrompt")).to_have_text(re.compile(r"\[\d+\]:"))
    expect(cell.locator(".jp-InputArea-editor")).to_have_text("1 + 1")  # the source stays
    lab.add_and_run_cell("%keras_compare --stop")
