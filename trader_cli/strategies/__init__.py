"""Strategies: given market context, return trade plans (or reasons to hold)."""
