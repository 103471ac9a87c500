"""The widgets' front-end code: each view's ES module with the shared helpers in front.

anywidget loads a widget's `_esm` as one module, with no bundler, so the
helpers every view uses (`common.js`) are put in front of each view's file
here rather than imported.
"""

from pathlib import Path

from kerasnb.errors import not_an_extension

load_ipython_extension = not_an_extension(__name__)

HERE = Path(__file__).parent


def esm(name: str) -> str:
    """The text of the view module `name` (e.g. "graph.js"), helpers first."""
    return (HERE / "common.js").read_text() + "\n" + (HERE / name).read_text()
