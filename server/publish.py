"""How a committed change of a sitting reaches the screens, whoever shows them.

:mod:`server.service` hands every committed command to a :class:`Publisher` as a
:class:`Change`; :mod:`server.live.screens` implements it in-process over the hub. Neither
imports the other. When several processes share a PostgreSQL database, a publisher that sends
the change over LISTEN/NOTIFY (and a listener that hands it to each process's screens) goes
behind the same interface.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from server.domain.sitting import SittingState


@dataclass(frozen=True)
class Change:
    """One committed command of a sitting, as the screens need to hear of it.

    ``interviews`` names the interviews whose row changed (the console is sent just those);
    ``whole`` says the sitting itself changed (its posts, panel, roster order) and every screen
    needs it whole. ``links_gone_from`` closes the judge links of that seat on (seats removed),
    ``display_gone`` the display's (a removed sitting).
    """

    state: SittingState
    interviews: tuple[int, ...] = ()
    whole: bool = False
    links_gone_from: int | None = None
    display_gone: bool = False


class Publisher(Protocol):
    """Tells every screen of a sitting about a committed change (after the commit, in order)."""

    def publish(self, sitting_id: int, change: Change) -> None: ...


class Nobody:
    """A publisher with no screens (the CLI, the demo set-up, tests of the store)."""

    def publish(self, sitting_id: int, change: Change) -> None:
        pass
