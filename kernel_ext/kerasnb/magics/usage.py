"""User mistakes in magics: a `KerasnbError` becomes IPython's one-line `UsageError`."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from IPython.core.error import UsageError

from kerasnb.errors import KerasnbError


@contextlib.contextmanager
def usage_errors() -> Iterator[None]:
    """Show a KerasnbError as IPython's one-line UsageError, without traceback."""
    try:
        yield
    except KerasnbError as err:
        raise UsageError(str(err)) from None
