"""Venue adapters (ib, gemini, sim) behind one protocol; only ``ib`` imports ib_async."""
