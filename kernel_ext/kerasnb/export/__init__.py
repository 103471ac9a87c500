"""Export: notebook cells become modules of a real Python package.

Several notebooks may write into one module: each block's marker names its
notebook and cell, a notebook replaces only its own blocks, and anything
refused (a name two cells define, a hand-edited file) writes nothing.

    cell           kerasnb.export_cell: plan, check, write one cell's block
    notebook       kerasnb export NB... --to DIR: every marked cell, headless, orphans
    report         what an export did or found, one line per module
    ownership      which notebook owns a block: its id, its path, its cells' ids
    assemble       blocks -> module text; conflicts, imports, compile check
    notebook_file  saved notebooks: cells, ids, folders and globs
    scan           the generated modules under a package root
    magic_line     the `%%keras_export` line, declared once
    source         a cell as module code: body, imports, names
    imports        the imports a module needs, gathered and rendered
    module_format  the generated module: header, imports, __all__, blocks, digest
    paths          where an export may write, atomic writes and backups
    project        kerasnb new-project

Uses kerasnb.backend's names (new-project) and the helpers below it.
"""

from __future__ import annotations


def shutdown() -> None:
    """Nothing to undo: export keeps no session state outside its magic."""
