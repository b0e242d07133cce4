"""Gemini venue; ``ccxt`` is imported only inside this package, lazily."""
