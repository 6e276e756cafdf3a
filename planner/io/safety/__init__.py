"""Input safety shared by every reader and writer: bounded reads, JSON and TOML checks,
GIS files opened without indirection, printable text, atomic saves, where outputs may go."""
