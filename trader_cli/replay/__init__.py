"""Recordings of a venue's wire traffic: capture through a proxy, sanitise, serve back, compare."""
