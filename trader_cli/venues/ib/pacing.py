"""A pacer that keeps historical-data requests inside IB's pacing rules by queueing, not failing.

IB's rules (https://interactivebrokers.github.io/tws-api/historical_limitations.html):
no more than 60 requests in any 10 minutes; no identical request within 15 seconds; no six or
more requests for the same contract, exchange and tick type within 2 seconds.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass

from trader_cli.clock import REAL_CLOCK, Clock


@dataclass(frozen=True, slots=True)
class PacingRules:
    """The limits, with a little safety margin over IB's own numbers by default."""

    max_requests: int = 60
    window: float = 600.0
    identical_gap: float = 15.0
    same_contract_max: int = 5
    same_contract_window: float = 2.0
    margin: float = 0.05


class HistoricalPacer:
    """Hands out request slots so no IB pacing rule is broken; waits on the injected clock."""

    def __init__(self, rules: PacingRules | None = None, clock: Clock = REAL_CLOCK) -> None:
        self.rules = rules or PacingRules()
        self.clock = clock
        self._all: deque[float] = deque()
        self._by_contract: dict[Hashable, deque[float]] = {}
        self._last_identical: dict[Hashable, float] = {}
        self._lock = asyncio.Lock()
        self._blocked_until = 0.0
        self.waited = 0.0  # total seconds spent waiting, for reports

    def _now(self) -> float:
        return self.clock.now().timestamp()

    def _delay(self, contract_key: Hashable, request_key: Hashable, now: float) -> float:
        r = self.rules
        while self._all and now - self._all[0] >= r.window:
            self._all.popleft()
        recent = self._by_contract.setdefault(contract_key, deque())
        while recent and now - recent[0] >= r.same_contract_window:
            recent.popleft()
        delay = max(0.0, self._blocked_until - now)
        if len(self._all) >= r.max_requests:
            delay = max(delay, self._all[-r.max_requests] + r.window - now)
        if len(recent) >= r.same_contract_max:
            delay = max(delay, recent[-r.same_contract_max] + r.same_contract_window - now)
        last = self._last_identical.get(request_key)
        if last is not None and now - last < r.identical_gap:
            delay = max(delay, last + r.identical_gap - now)
        return delay + r.margin if delay > 0 else 0.0

    async def acquire(self, contract_key: Hashable, request_key: Hashable) -> None:
        """Wait until a request for ``contract_key`` (identity ``request_key``) may be sent."""
        async with self._lock:
            while True:
                now = self._now()
                delay = self._delay(contract_key, request_key, now)
                if delay <= 0:
                    break
                self.waited += delay
                await self.clock.sleep(delay)
            self._all.append(now)
            self._by_contract[contract_key].append(now)
            self._last_identical.pop(request_key, None)  # re-inserted last: oldest first
            self._last_identical[request_key] = now
            self._forget_before(now - self.rules.identical_gap)

    def _forget_before(self, cutoff: float) -> None:
        """Drop the identical requests made before ``cutoff``: no rule looks at them any more,
        and a long run (a new end time each cycle) would otherwise keep every one."""
        identical = self._last_identical
        while identical:
            key = next(iter(identical))
            if identical[key] >= cutoff:
                break
            del identical[key]

    def estimate(self, requests: int, *, response_seconds: float = 0.0) -> float:
        """Seconds ``requests`` distinct requests for one contract take from a fresh start.

        Pure: replays the rules on a virtual clock, adding ``response_seconds`` per request for
        the venue to answer. This pacer's own state is not touched.
        """
        shadow = HistoricalPacer(self.rules, self.clock)
        t = 0.0
        for i in range(requests):
            t += shadow._delay("contract", i, t)
            shadow._all.append(t)
            shadow._by_contract["contract"].append(t)
            shadow._last_identical[i] = t
            t += response_seconds
        return t

    def penalise(self, seconds: float) -> None:
        """After a pacing violation anyway (another client, a restart), hold every request back."""
        self._blocked_until = max(self._blocked_until, self._now() + seconds)
