"""SIMULATED Gemini: Gemini's REST API (signed, nonce-checked) on loopback over the sim engine."""

from __future__ import annotations

from trader_cli.sim.gemini_rest.server import DEFAULT_PORT, GeminiSimServer, run_gemini_sim

__all__ = ["DEFAULT_PORT", "GeminiSimServer", "run_gemini_sim"]
