"""Data packs: the GeoPackage format (write, validate, fast read with sqlite3), the record
of their sources (the data basis), the importer that builds one from OSM and city GIS
layers, and the demo town."""
