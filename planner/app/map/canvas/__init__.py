"""The map canvas: tiled static layers under the app's interactive items."""

from planner.app.map.canvas.layers import GeomLayer, prepare_layer
from planner.app.map.canvas.overlays import ScaleBar, nice_number, scale_bar
from planner.app.map.canvas.render import TILE_PX, level_for_res, level_res
from planner.app.map.canvas.view import OSM_ATTRIBUTION, MapCanvas
from planner.app.map.canvas.view_layers import LAYER_IDS, LayerInfo, LegendEntry

__all__ = [
    "LAYER_IDS",
    "OSM_ATTRIBUTION",
    "TILE_PX",
    "GeomLayer",
    "LayerInfo",
    "LegendEntry",
    "MapCanvas",
    "ScaleBar",
    "level_for_res",
    "level_res",
    "nice_number",
    "prepare_layer",
    "scale_bar",
]
