"""OpenStreetMap sources read into a pack's layers: XML/Overpass/PBF, tag rules,
entrances of protected sites, camera directions."""
