"""``trader dashboard``: the status service as a Streamlit page (the optional ``dashboard`` extra).

:mod:`.launch` (no Streamlit import) checks the options and starts the server; :mod:`.app` is the
script Streamlit runs; :mod:`.page` and :mod:`.estimator` draw it. Read-only: nothing here sends,
cancels or changes an order.
"""

# Command-line defaults, here so ``trader --help`` needs nothing heavier than this module.
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8501
DEFAULT_REFRESH = 15.0
MIN_REFRESH = 2.0
MAX_REFRESH = 3600.0
