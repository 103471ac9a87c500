"""Backend comparison: one cell on several backends in warm subprocess kernels."""

from kerasnb.errors import not_an_extension

load_ipython_extension = not_an_extension(__name__)
