"""`%%keras_export` in a real kernel: run, export, re-export, mistakes, and
agreement with the headless `kerasnb export` of the saved notebook."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from kernel_session import KernelSession, Reply

TARGET = "pkg/models/geo.py"


def run_cell(
    kernel: KernelSession, code: str, cell_id: str | None = None, store_history: bool = True
) -> Reply:
    """Execute like JupyterLab, which sends the cell id in the request's metadata
    (or like nbval, which sends none and keeps no history)."""
    client = kernel.client
    content = {"code": code, "silent": False, "store_history": store_history,
               "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}  # fmt: skip
    metadata = {"cellId": cell_id} if cell_id else {}
    msg = client.session.msg("execute_request", content, metadata=metadata)
    client.shell_channel.send(msg)
    reply = Reply(status="ok")
    while True:
        message = client.get_iopub_msg(timeout=120)
        if message["parent_header"].get("msg_id") != msg["header"]["msg_id"]:
            continue
        kind, body = message["msg_type"], message["content"]
        if kind in ("display_data", "execute_result"):
            reply.outputs.append(body)
        elif kind == "stream" and body["name"] == "stdout":
            reply.stdout += body["text"]
        elif kind == "error":
            reply.error, reply.status = body, "error"
        elif kind == "status" and body["execution_state"] == "idle":
            return reply


@pytest.fixture(scope="module")
def kernel() -> Iterator[KernelSession]:
    src = str(Path(__file__).parents[1] / "kernel_ext")
    path = os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])
    with KernelSession(env={"PYTHONPATH": path}) as session:
        session.ok("%load_ext kerasnb")
        yield session


@pytest.mark.kernel
def test_magic_runs_the_cell_then_exports_and_reexports_in_place(
    kernel: KernelSession, tmp_path: Path
) -> None:
    kernel.ok(f"import math\nROOT = {str(tmp_path)!r}")
    cell = f"%%keras_export --root {{ROOT}} {TARGET}\ndef area(r):\n    return math.pi * r**2\narea(1.0)"
    reply = run_cell(kernel, cell, cell_id="cell-a")
    assert reply.status == "ok", reply.error
    assert reply.texts == ["3.141592653589793", (
        "Exported area into the new module pkg/models/geo.py. "
        "Import it with `from pkg.models.geo import area`.")]  # fmt: skip
    assert kernel.value("area(2.0)") == pytest.approx(12.566, rel=1e-3)
    again = run_cell(kernel, cell.replace("r**2", "r * r"), cell_id="cell-a")
    assert again.texts[-1].startswith(
        "Re-exported area into pkg/models/geo.py (replaced its block)"
    )
    text = (tmp_path / TARGET).read_text()
    assert "# %% kerasnb cell cell-a\n" in text and text.count("def area") == 1
    assert "area(1.0)" in text and "import math\n" in text


@pytest.mark.kernel
def test_magic_without_a_cell_id_still_replaces_its_block(
    kernel: KernelSession, tmp_path: Path
) -> None:
    kernel.ok(f"ROOT = {str(tmp_path)!r}")
    cell = "%%keras_export --root {ROOT} pkg/consts.py\nSCALE = 2\n"
    for value in (2, 3):
        kernel.ok(cell.replace("2", str(value)))
    text = (tmp_path / "pkg/consts.py").read_text()
    assert text.count("SCALE =") == 1 and "SCALE = 3" in text and "kerasnb cell auto-" in text


@pytest.mark.kernel
def test_magic_finds_imports_of_cells_run_without_history(
    kernel: KernelSession, tmp_path: Path
) -> None:
    """nbval runs cells with store_history=False: IPython's history misses them."""
    run_cell(kernel, f"import fractions as fr\nROOT = {str(tmp_path)!r}", store_history=False)
    cell = "%%keras_export --root {ROOT} pkg/half.py\nHALF = fr.Fraction(1, 2)\n"
    assert run_cell(kernel, cell, store_history=False).status == "ok"
    assert "import fractions as fr\n" in (tmp_path / "pkg/half.py").read_text()


@pytest.mark.kernel
def test_magic_user_mistakes_are_one_line_and_write_nothing(
    kernel: KernelSession, tmp_path: Path
) -> None:
    kernel.ok(f"ROOT = {str(tmp_path)!r}")
    outside = kernel.run("%%keras_export --root {ROOT} ../evil.py\nx = 1\n")
    assert outside.error_line == (
        "UsageError: target '../evil.py' leaves the package root through `..`; "
        "e.g. mypkg/models/mlp.py"
    )
    # The cell's own traceback shows first, then why nothing was exported.
    raised = kernel.run("%%keras_export --root {ROOT} pkg/bad.py\nboom = 1\n1 / 0\n")
    assert raised.error_line == "ZeroDivisionError: division by zero"
    assert raised.stderr.strip() == (
        "UsageError: the cell raised, so nothing was exported; fix it and run it again"
    )
    missing = kernel.run("%%keras_export\nx = 1\n")
    assert missing.error_line.startswith("UsageError: %%keras_export : ")
    assert "the following arguments are required: target" in missing.error_line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.kernel
def test_magic_output_matches_the_headless_export_of_the_saved_notebook(
    kernel: KernelSession, tmp_path: Path
) -> None:
    """What JupyterLab writes cell by cell is what `kerasnb export --check` expects."""
    import nbformat

    from kerasnb import export_notebook

    root = tmp_path / "project"
    root.mkdir()
    sources = [
        "%load_ext kerasnb\nimport math\nimport statistics as stats",
        "%%keras_export pkg/geo.py\ndef area(r):\n    return math.pi * r**2",
        "SIDE = 3  # not exported",
        "%%keras_export pkg/stats.py\ndef middle(xs):\n    return stats.median(xs)",
        "%%keras_export pkg/geo.py\ndef square(a):\n    return a * a",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    notebook = tmp_path / "analysis.ipynb"
    nbformat.write(nb, notebook)
    kernel.ok(f"import os\nos.chdir({str(root)!r})\n__session__ = {str(notebook)!r}")
    try:
        for cell in nb.cells:
            assert run_cell(kernel, cell.source, cell_id=cell.id).status == "ok"
    finally:
        kernel.ok(f"os.chdir({os.getcwd()!r})\ndel __session__")
    check = export_notebook(notebook, root, check=True)
    assert check.in_sync, str(check)
    assert str(check) == "pkg/geo.py: in sync (2 cells)\npkg/stats.py: in sync (1 cell)"
    header = (root / "pkg/geo.py").read_text().splitlines()[0]
    assert (
        header == "# Generated by kerasnb from ../analysis.ipynb: edit the notebook, not this file."
    )


@pytest.mark.kernel
def test_unloading_stops_remembering_cells(kernel: KernelSession) -> None:
    ours = (
        "sum(type(getattr(c, '__self__', None)).__name__ == 'ExportMagics' "
        "for c in get_ipython().events.callbacks['pre_run_cell'])"
    )
    assert kernel.value(ours) == 1
    kernel.ok("%unload_ext kerasnb")
    try:
        assert kernel.value(ours) == 0
    finally:
        kernel.ok("%load_ext kerasnb")
    assert kernel.value(ours) == 1
