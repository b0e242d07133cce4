"""Example plug-in strategies (see docs/strategies.md)."""
