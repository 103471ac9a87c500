"""Model views: a Keras model as plain data (ModelData), then as a summary or a graph.

    api           kerasnb.summary / kerasnb.graph
    introspect    keras.Model -> ModelData (with shapes, layer_config)
    modeldata     ModelData: plain, JSON-able
    summary_view  the summary table: its rules, the widget and its static twins
    graph_layout  ModelData -> Graphviz DOT (laid out by `dot`)
    graph_view    the pan-and-zoom graph widget and its SVG twin

Uses only the shared helpers below it.
"""

from __future__ import annotations


def shutdown() -> None:
    """Nothing to undo: model views keep no session state."""
