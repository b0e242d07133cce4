"""The venues trader can talk to, and how a user picks one (``--venue``, ``ACTIVE_EXCHANGE``)."""

from __future__ import annotations

from enum import StrEnum

from trader_cli.domain.scope import Backend


class Venue(StrEnum):
    """Where orders go: Interactive Brokers or Gemini (what answers is the :class:`Backend`)."""

    IB = "ib"
    GEMINI = "gemini"

    def __str__(self) -> str:
        return self.value


class VenueChoice(StrEnum):
    """What ``--venue`` and ``ACTIVE_EXCHANGE`` accept: a venue, or ``sim`` (IB on the sim)."""

    IB = "ib"
    GEMINI = "gemini"
    SIM = "sim"

    def __str__(self) -> str:
        return self.value

    @property
    def venue(self) -> Venue:
        """The venue chosen (``sim`` is Interactive Brokers)."""
        return Venue.IB if self is VenueChoice.SIM else Venue(self.value)

    @property
    def backend(self) -> Backend:
        """The backend the choice implies when none is given: the sim for ``sim``, else the API."""
        return Backend.SIM if self is VenueChoice.SIM else Backend.API


def venue_name(venue: Venue | str, backend: Backend) -> str:
    """How outputs name a venue on a backend: ``sim`` for IB on the simulator, else the venue.

    ``sim`` is the name outputs have always used for IB on the simulator (the ``--venue sim``
    alias); JSON consumers rely on it, so it stays.
    """
    name = Venue(venue).value
    return VenueChoice.SIM.value if (name, backend) == ("ib", Backend.SIM) else name
