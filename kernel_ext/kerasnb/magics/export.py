"""`%%keras_export`: run a cell and write its code into a package module."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from IPython.core.magic import Magics, cell_magic, magics_class
from IPython.display import display

from kerasnb.errors import KerasnbError
from kerasnb.export import magic_line
from kerasnb.export.source import ImportBinding, cell_imports
from kerasnb.magics.usage import usage_errors


@magics_class
class ExportMagics(Magics):
    """`%%keras_export`, and what it needs to know about the cells run before.

    Earlier cells lend an exported cell their imports. IPython's history
    misses cells run with `store_history=False` (nbval does that), so the
    imports of each cell are noted as it runs (only the imports: no cell's
    source is kept); that is also where the frontend's cell id arrives.
    """

    def __init__(self, shell: Any = None) -> None:
        super().__init__(shell)
        self._imports: dict[str, ImportBinding] = {}  # bound name -> its latest import
        self._cell_id: str | None = None
        # Jupyter starts the kernel in the notebook's folder; a cell may chdir later.
        self._start_dir = Path.cwd()
        if shell is not None:
            for source in shell.history_manager.input_hist_raw:
                self._note_imports(source)
            shell.events.register("pre_run_cell", self._remember)

    def _remember(self, info: Any) -> None:
        self._note_imports(info.raw_cell)
        self._cell_id = getattr(info, "cell_id", None)

    def _note_imports(self, source: str) -> None:
        if "import" in source:
            for binding in cell_imports(source):
                self._imports.pop(binding.bound, None)  # re-insert: the latest comes last
                self._imports[binding.bound] = binding

    def forget(self) -> None:
        """Stop watching cells (`%unload_ext`)."""
        self.shell.events.unregister("pre_run_cell", self._remember)  # type: ignore[union-attr]

    @magic_line.arguments
    @cell_magic
    def keras_export(self, line: str, cell: str) -> None:
        """Run the cell, then write its code into a module of your package.

        Running the cell again replaces its block in the module instead of
        adding a copy; blocks of other notebooks stay, and a name one of them
        already defines there is refused. Imports the code needs move to the
        top of the module; magics and shell escapes are not exported.
        `kerasnb export NOTEBOOK.ipynb... --to DIR` does the same for every
        such cell, headless, and reports (or `--prune`s) orphaned blocks.

        Examples::

            %%keras_export mypkg/models/mlp.py
            def build_model(input_shape, num_classes):
                ...

            %%keras_export --root ../myproject mypkg/data/digits.py
        """
        shell: Any = self.shell
        with usage_errors():
            args = magic_line.parse(line)
            from kerasnb.export import cell as export  # at first use: keeps %load_ext cheap

            result = export.export_cell(
                f"%%keras_export {line}\n{cell}",
                args.target,
                args.root,
                args.force,
                cell_id=self._cell_id,
                notebook=_notebook(shell, self._start_dir),
                earlier_imports=tuple(self._imports.values()),
                before_write=lambda: self._run(cell),
            )
            display(result)

    def _run(self, cell: str) -> None:
        shell: Any = self.shell
        if not shell.run_cell(cell, store_history=False).success:
            raise KerasnbError("the cell raised, so nothing was exported; fix it and run it again")


def _notebook(shell: Any, start_dir: Path) -> Path | None:
    """The notebook's file, when the frontend told the kernel and it is still there.

    Jupyter's server sets `__session__` (from JPY_SESSION_NAME) when it starts
    the kernel, VS Code sets `__vsc_ipynb_file__`; nbclient and nbval say
    nothing. After a rename the kernel still holds the old name: that file
    is gone, so the notebook counts as unknown rather than as the old one.
    """
    ns = shell.user_ns
    for name in (ns.get("__session__"), os.environ.get("JPY_SESSION_NAME"),
                 ns.get("__vsc_ipynb_file__")):  # fmt: skip
        if isinstance(name, str) and name.endswith(".ipynb"):
            path = Path(name)
            # A relative name is relative to the server's root; the kernel
            # started in the notebook's folder.
            path = path if path.is_absolute() else start_dir / path.name
            return path if path.is_file() else None
    return None


MAGICS = ExportMagics
