"""The widgets' front-end code: a view's ES module with the shared helpers in front.

anywidget loads a widget's `_esm` as one module, with no bundler, so the
helpers every view uses (`common.js`, and any other file a view names) are
put in front of the view's own file here rather than imported.
"""

from __future__ import annotations

from pathlib import Path

COMMON_JS = Path(__file__).parent / "common.js"


def esm(*files: Path) -> str:
    """One ES module: common.js, then each of `files` in order (the view's own last)."""
    return "\n".join(path.read_text(encoding="utf-8") for path in (COMMON_JS, *files))
