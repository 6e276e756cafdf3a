"""GIS tools, one module each and independent of each other: find, identify, measure,
export, CSV import."""
