"""Pure commission and cost models for the venues trader uses."""
