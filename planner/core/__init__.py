"""The GUI-free domain: model, geometry, visibility, policy and checker.

Nothing in this package may import Qt; ``tests/test_architecture.py`` and the
import-linter contract in ``pyproject.toml`` enforce it.
"""
