"""Interactive Brokers venue; ``ib_async`` is imported only inside this package, lazily."""
