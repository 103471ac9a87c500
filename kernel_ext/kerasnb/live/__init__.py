"""Live training: the LiveMetrics callback, its stream of points, its display, `%keras_live`."""

from kerasnb.errors import not_an_extension

load_ipython_extension = not_an_extension(__name__)
