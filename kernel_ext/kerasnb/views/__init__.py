"""Views: plain data in, mime bundles or widgets out. No Keras objects here."""

from kerasnb.errors import not_an_extension

load_ipython_extension = not_an_extension(__name__)
