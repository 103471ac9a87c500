"""Which metrics get a chart, in which order: one rule for every view.

The live view, its static PNG and the compare chart all draw one panel per
metric, loss first and then in the order Keras reports them; a `val_x`
shares the panel of `x`, and the learning rate is shown as text, not charted.
The browser draws the panels it is sent, so this is the only copy of the rule.
"""

from __future__ import annotations

from collections.abc import Iterable

LEARNING_RATE_KEYS = ("learning_rate", "lr")


def panel_names(names: Iterable[str]) -> list[str]:
    """Metric names to chart, one panel each, from log keys in the order seen."""
    ordered = list(dict.fromkeys(names))
    base = [n for n in ordered if not n.startswith("val_") and n not in LEARNING_RATE_KEYS]
    base += [n[4:] for n in ordered if n.startswith("val_") and n[4:] not in base]
    base = list(dict.fromkeys(n for n in base if n not in LEARNING_RATE_KEYS))
    return sorted(base, key=lambda n: (n != "loss", base.index(n)))
