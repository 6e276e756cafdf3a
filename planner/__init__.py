"""Camera-siting planner: checks ALPR camera placements against protected sites."""

__version__ = "0.1.0"
