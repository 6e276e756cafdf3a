"""The project's own files and the formats other tools use: plan (with its review member
and lock), sites, buildings, policy, catalogue, exchange formats, street tables, tiles."""
