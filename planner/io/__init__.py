"""Readers and writers for plan, site, building, policy and data-pack files."""
