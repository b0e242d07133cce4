"""``trader dashboard``: the status service as a Streamlit page (the optional ``dashboard`` extra).

:mod:`.launch` (no Streamlit import) checks the options and starts the server; :mod:`.app` is the
script Streamlit runs; :mod:`.page` and :mod:`.estimator` draw it. Read-only: nothing here sends,
cancels or changes an order.
"""
