"""The TWS API side of the sim: what turns the engine's state and events into TWS messages."""
