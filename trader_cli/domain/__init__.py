"""Venue-neutral domain: canonical symbols, money, timeframes and ccxt-shaped models."""
