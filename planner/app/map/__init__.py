"""The map: the tiled canvas, its layers, labels, styles and overlays, the basemap.

Knows nothing of plans, cameras or windows (imports only :mod:`planner.app.common`)."""
