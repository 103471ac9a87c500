"""Export: notebook cells become modules of a real Python package.

    cell           kerasnb.export_cell: plan, check, write one cell's block
    notebook       kerasnb export NB --to DIR: every marked cell, headless
    magic_line     the `%%keras_export` line, declared once
    source         a cell as module code: body, imports, names
    module_format  the generated module: header, imports, __all__, blocks, digest
    paths          where an export may write, atomic writes and backups
    project        kerasnb new-project

Uses kerasnb.backend's names (new-project) and the helpers below it.
"""

from __future__ import annotations


def shutdown() -> None:
    """Nothing to undo: export keeps no session state outside its magic."""
