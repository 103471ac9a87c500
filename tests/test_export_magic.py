"""`%%keras_export` in a real kernel: run, export, re-export, mistakes, and
agreement with the headless `kerasnb export` of the saved notebook."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kernel_session import KernelSession, Reply

TARGET = "pkg/models/geo.py"


def run_cell(
    kernel: KernelSession, code: str, cell_id: str | None = None, store_history: bool = True
) -> Reply:
    """Execute like JupyterLab, which sends the cell id in the request's metadata
    (or like nbval, which sends none and keeps no history).

    The status is the shell reply's: `%%keras_export` refuses with a UsageError,
    which IPython shows on stderr with no error message on IOPub.
    """
    client = kernel.client
    content = {"code": code, "silent": False, "store_history": store_history,
               "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}  # fmt: skip
    metadata = {"cellId": cell_id} if cell_id else {}
    msg = client.session.msg("execute_request", content, metadata=metadata)
    client.shell_channel.send(msg)
    msg_id = msg["header"]["msg_id"]
    reply = Reply(status="ok")
    while True:
        message = client.get_iopub_msg(timeout=120)
        if message["parent_header"].get("msg_id") == msg_id and reply.add(message):
            break
    while True:
        answer = client.get_shell_msg(timeout=120)
        if answer["parent_header"].get("msg_id") == msg_id:
            reply.status = answer["content"]["status"]
            return reply


def ok_cell(kernel: KernelSession, code: str, **options: Any) -> Reply:
    """`run_cell` for a cell that must succeed; its error line is the message."""
    reply = run_cell(kernel, code, **options)
    assert reply.status == "ok", reply.error_line or reply.stderr
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
    reply = ok_cell(kernel, cell, cell_id="cell-a")
    assert reply.texts == ["3.141592653589793", (
        "Exported area into the new module pkg/models/geo.py. "
        "Import it with `from pkg.models.geo import area`.")]  # fmt: skip
    assert kernel.value("area(2.0)") == pytest.approx(12.566, rel=1e-3)
    again = ok_cell(kernel, cell.replace("r**2", "r * r"), cell_id="cell-a")
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
    ok_cell(kernel, f"import fractions as fr\nROOT = {str(tmp_path)!r}", store_history=False)
    cell = "%%keras_export --root {ROOT} pkg/half.py\nHALF = fr.Fraction(1, 2)\n"
    ok_cell(kernel, cell, store_history=False)
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
            ok_cell(kernel, cell.source, cell_id=cell.id)
    finally:
        kernel.ok(f"os.chdir({os.getcwd()!r})\ndel __session__")
    check = export_notebook(notebook, root, check=True)
    assert check.in_sync, str(check)
    assert str(check) == "pkg/geo.py: in sync (2 cells)\npkg/stats.py: in sync (1 cell)"
    header = (root / "pkg/geo.py").read_text().splitlines()[0]
    assert (
        header == "# Generated by kerasnb from ../analysis.ipynb: edit the notebook, not this file."
    )


def saved_notebook(path: Path, *sources: str, notebook_id: str | None = None) -> Any:
    import nbformat

    cells = [nbformat.v4.new_code_cell(s, id=f"{path.stem}-{n}") for n, s in enumerate(sources, 1)]
    nb = nbformat.v4.new_notebook(cells=cells)
    if notebook_id:
        nb.metadata["kerasnb"] = {"id": notebook_id}
    nbformat.write(nb, path)
    return nb


@contextlib.contextmanager
def running_as(kernel: KernelSession, notebook: Path | None, cwd: Path) -> Iterator[None]:
    """The kernel as Jupyter's server starts it for `notebook` (None: as nbval does)."""
    session = f"__session__ = {str(notebook)!r}" if notebook else "pass"
    kernel.ok(f"import os\nos.chdir({str(cwd)!r})\n{session}")
    try:
        yield
    finally:
        kernel.ok(f"os.chdir({os.getcwd()!r})\nglobals().pop('__session__', None)")


@pytest.mark.kernel
def test_magic_keeps_other_notebooks_blocks_and_refuses_their_names(
    kernel: KernelSession, tmp_path: Path
) -> None:
    """`%%keras_export` follows the rules of `kerasnb export`, in a running notebook."""
    from kerasnb import export_notebooks

    root = tmp_path / "project"
    root.mkdir()
    saved_notebook(tmp_path / "data.ipynb", "import math",
                          "%%keras_export pkg/shared.py\ndef area(r):\n    return math.pi * r**2",
                          notebook_id="id-data")  # fmt: skip
    export_notebooks([tmp_path / "data.ipynb"], root)
    export = "%%keras_export pkg/shared.py\n"
    model = saved_notebook(tmp_path / "model.ipynb", "import statistics as st",
                           export + "def middle(xs):\n    return st.median(xs)",
                           export + "def area(r):\n    return r")  # fmt: skip
    shared = root / "pkg/shared.py"
    with running_as(kernel, tmp_path / "model.ipynb", root):
        for cell in model.cells[:2]:
            ok_cell(kernel, cell.source, cell_id=cell.id)
        text = shared.read_text()
        clash = run_cell(kernel, model.cells[2].source, cell_id=model.cells[2].id)
    assert clash.status == "error" and clash.stderr.count("\n") == 1
    assert clash.stderr.startswith(
        "UsageError: pkg/shared.py: `area` is defined by this cell and by the block "
        "`# %% kerasnb cell data-2 of ../data.ipynb (notebook id id-data)`; rename it in this cell"
    )
    assert shared.read_text() == text  # refused before the cell ran: nothing written
    assert kernel.value("area(1.0)") == pytest.approx(3.14159, rel=1e-5)  # nor did it run
    assert "# %% kerasnb cell model-2 of ../model.ipynb\n" in text
    assert text.index("cell data-2") < text.index("cell model-2")
    del model.cells[2]
    import nbformat

    nbformat.write(model, tmp_path / "model.ipynb")
    check = export_notebooks([tmp_path / "model.ipynb", tmp_path / "data.ipynb"], root, check=True)
    assert check.in_sync, str(check)


@pytest.mark.kernel
def test_a_test_run_of_an_exported_notebook_leaves_the_package_as_it_is(
    kernel: KernelSession, tmp_path: Path
) -> None:
    """nbval sends no cell id and no notebook name: each cell finds its block by its names."""
    from kerasnb import export_notebooks

    root = tmp_path / "project"
    root.mkdir()
    sources = ["import math", "%%keras_export pkg/geo.py\ndef area(r):\n    return math.pi * r**2",
               "%%keras_export pkg/geo.py\nUNIT = 1.0"]  # fmt: skip
    for name in ("a", "b"):
        saved_notebook(tmp_path / f"{name}.ipynb", *(s.replace("area", f"area_{name}")
                       .replace("UNIT", f"UNIT_{name}") for s in sources))  # fmt: skip
    export_notebooks([tmp_path], root)
    before = (root / "pkg/geo.py").read_bytes()
    with running_as(kernel, None, tmp_path):
        for source in sources:
            source = source.replace("area", "area_b").replace("UNIT", "UNIT_b")
            source = source.replace("keras_export", "keras_export --root project")
            ok_cell(kernel, source, store_history=False)
    assert (root / "pkg/geo.py").read_bytes() == before
    assert export_notebooks([tmp_path], root, check=True).in_sync


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
