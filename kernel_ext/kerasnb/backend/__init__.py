"""Backend control: which Keras backend runs, which could, and switching in place."""

from kerasnb.errors import not_an_extension

load_ipython_extension = not_an_extension(__name__)
