"""trader: a command-line trading bot and operations toolkit for IB Australia and Gemini."""

__version__ = "0.1.0"
