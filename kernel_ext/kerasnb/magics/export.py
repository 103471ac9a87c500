"""`%%keras_export`: run a cell and write its code into a package module."""

from __future__ import annotations

import os
from argparse import Namespace
from pathlib import Path
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from IPython.display import display

from kerasnb import extension
from kerasnb.errors import KerasnbError, not_an_extension
from kerasnb.magics import usage_errors

load_ipython_extension = not_an_extension(__name__)


@magics_class
class ExportMagics(Magics):
    """`%%keras_export`, and what it needs to know about the cells run before.

    Earlier cells lend an exported cell their imports. IPython's history
    misses cells run with `store_history=False` (nbval does that), so cells
    are also remembered as they run; that is also where the frontend's cell
    id arrives.
    """

    def __init__(self, shell: Any = None) -> None:
        super().__init__(shell)
        self._ran: list[str] = []
        self._cell_id: str | None = None
        if shell is not None:
            shell.events.register("pre_run_cell", self._remember)
            extension.on_unload(self._forget)

    def _remember(self, info: Any) -> None:
        self._ran.append(info.raw_cell)
        self._cell_id = getattr(info, "cell_id", None)

    def _forget(self) -> None:
        self.shell.events.unregister("pre_run_cell", self._remember)  # type: ignore[union-attr]

    @magic_arguments()
    @argument(
        "target",
        help="the module to write, relative to --root, e.g. mypkg/models/mlp.py; "
        "missing folders are created as packages",
    )
    @argument(
        "--root",
        default=".",
        help="the package root the target must stay inside (default: the notebook's folder)",
    )
    @argument(
        "--force",
        action="store_true",
        help="replace a file kerasnb did not write, or one edited by hand since; "
        "the old file is kept as NAME.~N~",
    )
    @cell_magic
    def keras_export(self, line: str, cell: str) -> None:
        """Run the cell, then write its code into a module of your package.

        Running the cell again replaces its block in the module instead of
        adding a copy. Imports the code needs move to the top of the module;
        magics and shell escapes are not exported. `kerasnb export
        NOTEBOOK.ipynb --to DIR` does the same for every such cell, headless.

        Examples::

            %%keras_export mypkg/models/mlp.py
            def build_model(input_shape, num_classes):
                ...

            %%keras_export --root ../myproject mypkg/data/digits.py
        """
        shell: Any = self.shell
        with usage_errors():
            args = parse_magic_line(line)
            from kerasnb.export import cell as export  # at first use: keeps %load_ext cheap

            result = export.export_cell(
                f"%%keras_export {line}\n{cell}",
                args.target,
                args.root,
                args.force,
                cell_id=self._cell_id,
                notebook=_notebook(shell),
                earlier_cells=_latest_last([*shell.history_manager.input_hist_raw, *self._ran]),
                before_write=lambda: self._run(cell),
            )
            display(result)

    def _run(self, cell: str) -> None:
        shell: Any = self.shell
        if not shell.run_cell(cell, store_history=False).success:
            raise KerasnbError("the cell raised, so nothing was exported; fix it and run it again")


def parse_magic_line(line: str) -> Namespace:
    """Arguments of a `%%keras_export` line; `kerasnb export` reads cells with it."""
    try:
        return parse_argstring(ExportMagics.keras_export, line)
    except UsageError as err:
        raise KerasnbError(f"%%keras_export {line.strip()}: {err}") from None


def _latest_last(cells: list[str]) -> list[str]:
    """Each distinct cell once, where it last ran, so the latest import wins."""
    return list(reversed(dict.fromkeys(reversed(cells))))


def _notebook(shell: Any) -> Path | None:
    """The notebook's file, which Jupyter's server tells the kernel when it knows."""
    session = shell.user_ns.get("__session__") or os.environ.get("JPY_SESSION_NAME")
    if not isinstance(session, str) or not session.endswith(".ipynb"):
        return None
    path = Path(session)
    # A relative name is relative to the server's root; the kernel runs in
    # the notebook's folder.
    return path if path.is_absolute() else Path.cwd() / path.name


MAGICS = ExportMagics
