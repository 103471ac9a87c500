"""Rich display of plain data types, without the data importing its view.

A data type's `_repr_mimebundle_` asks `bundle(self)`; the view module of
that type registers how it looks (`@bundle.register`), and is imported by the
public function that makes the data. So data never imports a view, the view
imports the data, and IPython still shows the view. Until a view is
registered (the type was built by hand), IPython shows the plain repr.
"""

from __future__ import annotations

from functools import singledispatch
from typing import Any


@singledispatch
def bundle(data: Any) -> dict[str, str] | None:
    """The mime bundle of `data`, or None when no view is registered for its type."""
    return None
