"""The kernel every decider shares: recorded events and the fold over one audit chain.

A sitting (:mod:`server.domain.sitting`) and a campaign (:mod:`server.campaign.decider`) each
own their state, their kinds and their rules; what is the same for both lives here: the shape of
an event before and after the store records it, and the skeleton of ``evolve`` (one opening
kind, each next event's ``seq`` following the state's ``version``, a table of kind → move) and
``fold``. Like the deciders, this module knows no SQL, sockets or clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol, TypeVar


@dataclass(frozen=True)
class Event:
    """An event decided but not yet recorded: the store gives it its ``seq``, ``at`` and hash."""

    kind: str
    actor: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Recorded:
    """An event as the chain holds it."""

    seq: int
    at: str  # ISO 8601 UTC, as the chain writes it ("…Z")
    actor: str
    kind: str
    data: Mapping[str, Any]

    @classmethod
    def of(cls, event: Event, seq: int, at: str) -> Recorded:
        return cls(seq, at, event.actor, event.kind, event.data)

    @classmethod
    def from_line(cls, line: Mapping[str, Any]) -> Recorded:
        """Take one parsed ``audit.jsonl`` line (``prev`` and ``hash`` are the chain's business)."""
        return cls(line["seq"], line["at"], line["actor"], line["kind"], line["data"])

    @property
    def moment(self) -> datetime:
        return datetime.fromisoformat(self.at)  # "…Z" is UTC (Python 3.11+)


class Versioned(Protocol):
    """A state that knows the ``seq`` of the last event folded into it."""

    @property
    def version(self) -> int: ...


S = TypeVar("S", bound=Versioned)


def make_evolve(
    opening_kind: str,
    opening: Callable[[Recorded], S],
    table: Mapping[str, Callable[[S, Recorded], S]],
    what: str,
) -> Callable[[S | None, Recorded], S]:
    """Build ``evolve`` for a chain opened by ``opening_kind`` and moved by ``table``.

    ``what`` names the chain in the errors ("a sitting's", "a campaign's").
    """

    def evolve(state: S | None, event: Recorded) -> S:
        """Return the state after one recorded event (``None``: the state before the first)."""
        if event.kind == opening_kind:
            if state is not None:
                raise ValueError(f"{opening_kind} may only open a chain")
            return opening(event)
        if state is None:
            raise ValueError(f"{what} chain opens with {opening_kind}, not {event.kind}")
        if event.seq != state.version + 1:
            raise ValueError(f"event seq {event.seq} does not follow {state.version}")
        try:
            move = table[event.kind]
        except KeyError:
            raise ValueError(f"{what} chain holds no {event.kind!r} event") from None
        return replace(move(state, event), version=event.seq)  # type: ignore[type-var]  # S is a frozen dataclass

    return evolve


def fold(
    evolve: Callable[[S | None, Recorded], S], events: Iterable[Recorded], state: S | None = None
) -> S | None:
    """Return the state after every event in ``events``, in order."""
    for event in events:
        state = evolve(state, event)
    return state


def stamp(events: Iterable[Event], version: int, at: str) -> list[Recorded]:
    """Record ``events`` after the chain's ``version``, each stamped ``at``."""
    return [Recorded.of(event, version + n, at) for n, event in enumerate(events, start=1)]
