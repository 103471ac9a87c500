"""User mistakes in magics: a `KerasnbError` becomes IPython's one-line `UsageError`."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from IPython.core.error import UsageError

from kerasnb.errors import KerasnbError


@contextlib.contextmanager
def usage_errors() -> Iterator[None]:
    """Show a KerasnbError as IPython's one-line UsageError, without traceback."""
    try:
        yield
    except KerasnbError as err:
        raise UsageError(str(err)) from None


def lookup(shell: Any, expression: str, what: str = "the model") -> Any:
    """The object a magic's argument names (`model`, `nets[0]`), or a one-line error."""
    assert shell is not None  # magics run inside a shell
    try:
        return shell.ev(expression)
    except NameError:
        raise KerasnbError(
            f"no variable {expression!r} in this notebook; run the cell that creates "
            f"{what} first, or check the name"
        ) from None
    except SyntaxError:
        raise KerasnbError(
            f"{expression!r} is not a Python expression; pass a variable name"
        ) from None
