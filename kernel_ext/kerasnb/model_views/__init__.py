"""Model views: a Keras model as plain data (ModelData), then as a summary or a graph."""

from kerasnb.errors import not_an_extension

load_ipython_extension = not_an_extension(__name__)
