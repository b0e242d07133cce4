"""The offline venue: the SIMULATED gateway in-process, traded through the real IB adapter."""
