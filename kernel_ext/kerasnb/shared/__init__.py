"""Helpers every feature uses: HTML escaping and tables, the widgets' shared
front-end code, PNG encoding, metric ordering and rich display of plain data.

The bottom floor: imports nothing of kerasnb.
"""
