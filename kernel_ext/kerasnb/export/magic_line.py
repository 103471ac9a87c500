"""The `%%keras_export` line, declared once: the magic and `kerasnb export` both read it.

The magic shows these arguments in `%%keras_export?`; the headless exporter
parses the same line out of saved notebooks, without the IPython magics.
"""

from __future__ import annotations

from argparse import Namespace
from collections.abc import Callable
from typing import Any, TypeVar

from IPython.core.error import UsageError
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from kerasnb.errors import KerasnbError

MAGIC = "%%keras_export"
_F = TypeVar("_F", bound=Callable[..., Any])


def arguments(func: _F) -> _F:
    """Give `func` the arguments of `%%keras_export` (IPython's magic_arguments)."""
    func = argument(
        "--force",
        action="store_true",
        help="replace a file kerasnb did not write, or one edited by hand since; "
        "the old file is kept as NAME.~N~",
    )(func)
    func = argument(
        "--root",
        default=".",
        help="the package root the target must stay inside (default: the notebook's folder)",
    )(func)
    func = argument(
        "target",
        help="the module to write, relative to --root, e.g. mypkg/models/mlp.py; "
        "missing folders are created as packages",
    )(func)
    return magic_arguments()(func)


@arguments
def _keras_export_line(line: str) -> None:
    """Run the cell, then write its code into a module of your package."""


def parse(line: str) -> Namespace:
    """The arguments of a `%%keras_export` line (what follows the magic's name)."""
    try:
        return parse_argstring(_keras_export_line, line)
    except UsageError as err:
        raise KerasnbError(f"{MAGIC} {line.strip()}: {err}") from None
