"""Export: notebook cells into modules of a real Python package, and new projects."""

from kerasnb.errors import not_an_extension

load_ipython_extension = not_an_extension(__name__)
