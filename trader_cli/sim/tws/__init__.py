"""The sim's TWS API server: codec, messages, requests, sessions, server, and its notifier."""
