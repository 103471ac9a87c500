"""The one exception kerasnb raises for user mistakes.

Magics turn it into IPython's one-line `UsageError`; plain Python callers can
catch it like any `ValueError`.
"""

from __future__ import annotations


class KerasnbError(ValueError):
    """A mistake the user can fix; the message says how."""
