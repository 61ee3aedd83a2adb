"""Live sittings: each one's state held in memory, its events appended by the single writer.

A sitting's :class:`~server.domain.sitting.SittingState` is loaded on first use by folding its
audit rows (checked link by link against the chain: ``seq`` from 1, each ``prev`` the hash
before it) and kept with the chain's head hash. A command is decided against that state on the
writer thread; its events, chained with their hashes, and the rows the queries read (marks,
an interview's state and result, excusals, tokens, ...) are written with SQLAlchemy Core in the
job's savepoint of the writer's transaction. The new state is *staged* when the savepoint
holds, and becomes the sitting's state only once the transaction commits; when the commit
fails, what was staged is dropped, so memory never runs ahead of the record.

Only the writer thread decides and stages; the event loop reads :meth:`Sittings.current`,
an immutable state swapped in whole.

Adding a field the screens need (say, a sitting's criteria): put it in the event's data and in
``SittingState`` (``server.domain.sitting``: the decide and evolve functions), and, if a query
or an export reads it from a table, write its column in :func:`_project` below.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, insert, select, update

from server.domain import sitting as sd
from server.store.audit import GENESIS, link_rows
from server.store.components import Component, ComponentScore
from server.store.engine import LOCK_SITTING, advisory_lock, lock_ids, notify
from server.store.models import (
    MAX_ID,
    AuditEvent,
    Excusal,
    IdCounter,
    Interview,
    Mark,
    Position,
    Sitting,
    Token,
)

TOKEN_BYTES = 24  # 192 bits of randomness per link

_audit: Table = AuditEvent.__table__  # type: ignore[attr-defined]
_sitting: Table = Sitting.__table__  # type: ignore[attr-defined]
_position: Table = Position.__table__  # type: ignore[attr-defined]
_interview: Table = Interview.__table__  # type: ignore[attr-defined]
_mark: Table = Mark.__table__  # type: ignore[attr-defined]
_excusal: Table = Excusal.__table__  # type: ignore[attr-defined]
_token: Table = Token.__table__  # type: ignore[attr-defined]
_component: Table = Component.__table__  # type: ignore[attr-defined]
_component_score: Table = ComponentScore.__table__  # type: ignore[attr-defined]
_counter: Table = IdCounter.__table__  # type: ignore[attr-defined]

_TABLES = {"sitting": _sitting, "position": _position, "interview": _interview}
_TABLES["score_component"] = _component


class Prepared:
    """A statement every mark runs, compiled once a dialect and sent with ``exec_driver_sql``.

    ``Connection.execute`` spends most of its time on the Core construct itself (its cache key,
    its parameters: about 19 µs a statement here, against 6 for the same SQL as text), and a
    mark runs two or three of these. The values go through each column type's own bind
    processor (a ``datetime`` on SQLite), as ``execute`` would; SQLAlchemy's events and error
    wrapping still apply.
    """

    def __init__(self, statement: Any, keys: list[str]) -> None:
        self.statement, self.keys = statement, keys
        self._by_dialect: dict[Any, tuple[str, list[tuple[str, Any]], bool]] = {}

    def _compiled(self, dialect: Any) -> tuple[str, list[tuple[str, Any]], bool]:
        held = self._by_dialect.get(dialect)
        if held is None:
            compiled = self.statement.compile(dialect=dialect, column_keys=self.keys)
            positional = compiled.positiontup is not None
            names = list(compiled.positiontup) if positional else list(compiled.binds)
            steps = [(name, _processor(compiled.binds[name].type, dialect)) for name in names]
            held = self._by_dialect[dialect] = (compiled.string, steps, positional)
        return held

    def run(self, conn: Connection, values: dict[str, Any] | list[dict[str, Any]]) -> None:
        sql, steps, positional = self._compiled(conn.dialect)

        def bind(row: dict[str, Any]) -> Any:
            if positional:
                return tuple([row[n] if step is None else step(row[n]) for n, step in steps])
            return {n: row[n] if step is None else step(row[n]) for n, step in steps}

        if isinstance(values, list):
            conn.exec_driver_sql(sql, [bind(row) for row in values])
        else:
            conn.exec_driver_sql(sql, bind(values))


def _processor(type_: Any, dialect: Any) -> Callable[[Any], Any] | None:
    """What ``execute`` does to a value of ``type_`` on ``dialect`` (the dialect's own form)."""
    processor: Callable[[Any], Any] | None = type_.dialect_impl(dialect).bind_processor(dialect)
    return processor


_AUDIT_KEYS = ["session_id", "seq", "at", "actor", "kind", "data", "prev", "hash"]
_MARK_KEYS = [
    "session_id",
    "interview_id",
    "seat",
    "score",
    "request_id",
    "submitted_at",
    "voided_at",
    "active_key",
]
_INTERVIEW_KEYS = [
    "state",
    "result",
    "dropped_high",
    "dropped_low",
    "started_at",
    "scored_at",
    "announced_at",
    "signed_at",
    "note",
    "countdown_ends_at",
]
_INSERT_AUDIT = Prepared(insert(_audit), _AUDIT_KEYS)
_INSERT_MARK = Prepared(insert(_mark), _MARK_KEYS)
_UPDATE_INTERVIEW = Prepared(
    update(_interview).where(_interview.c.id == bindparam("interview_id_")), _INTERVIEW_KEYS
)


def iso_now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Live:
    """A sitting as this process holds it: its state and the hash its chain ends with."""

    state: sd.SittingState
    head: str


@dataclass(frozen=True)
class Outcome:
    """What one command did, once committed: the state after it and the events it recorded."""

    before: sd.SittingState | None
    state: sd.SittingState
    events: list[sd.Recorded]
    ack: sd.Ack | None = None
    #: Another process's events the writer found on the chain past the state it held, folded
    #: in before deciding (PostgreSQL, several processes); ``before`` is the state after them.
    caught_up: tuple[sd.Recorded, ...] = ()
    #: The state this process held before ``caught_up`` (None when nothing was caught up).
    held: sd.SittingState | None = None

    @property
    def sitting_id(self) -> int:
        return self.state.id


# --- reading a sitting back from its rows --------------------------------------------------


def read_chain(
    conn: Connection, sitting_id: int, after: int = 0, upto: int | None = None
) -> list[tuple[sd.Recorded, str, str]]:
    """The sitting's audit rows in order, as (event, prev, hash): those past ``after``."""
    query = (
        select(
            _audit.c.seq,
            _audit.c.at,
            _audit.c.actor,
            _audit.c.kind,
            _audit.c.data,
            _audit.c.prev,
            _audit.c.hash,
        )
        .where(_audit.c.session_id == sitting_id)
        .order_by(_audit.c.seq)
    )
    if after:
        query = query.where(_audit.c.seq > after)
    if upto is not None:
        query = query.where(_audit.c.seq <= upto)
    rows = conn.execute(query).all()
    return [
        (sd.Recorded(r.seq, r.at, r.actor, r.kind, json.loads(r.data)), r.prev, r.hash)
        for r in rows
    ]


def fold_onto(live: Live, rows: list[tuple[sd.Recorded, str, str]]) -> Live:
    """The sitting after the chain rows that follow ``live``, each checked against its link."""
    state, head = live.state, live.head
    for event, prev, hash_ in rows:
        if prev != head:
            raise RuntimeError(f"sitting {state.id}: audit event {event.seq} does not follow")
        state = sd.evolve(state, event)
        head = hash_
    return Live(state, head)


def load(conn: Connection, sitting_id: int) -> Live | None:
    """Fold a sitting's chain into its state (None: no such sitting); refuse a broken chain."""
    state: sd.SittingState | None = None
    head = GENESIS
    for event, prev, hash_ in read_chain(conn, sitting_id):
        if prev != head:
            raise RuntimeError(f"sitting {sitting_id}: audit event {event.seq} does not follow")
        state = sd.evolve(state, event)
        head = hash_
    if state is None:
        return None
    last = conn.execute(
        select(_audit.c.seq).where(_audit.c.session_id == sitting_id).order_by(_audit.c.seq.desc())
    ).first()
    # ``<``, not ``!=``: on PostgreSQL another process may have appended since the rows were read.
    if last is None or last.seq < state.version:
        raise RuntimeError(
            f"sitting {sitting_id}: the chain ends at {last}, the fold at {state.version}"
        )
    return Live(state, head)


def sitting_of_interview(conn: Connection, interview_id: int) -> int | None:
    row = conn.execute(
        select(_interview.c.session_id).where(_interview.c.id == interview_id)
    ).first()
    return None if row is None else int(row.session_id)


# --- ids -------------------------------------------------------------------------------------


def reserve_id(conn: Connection, table: str) -> int:
    """Hand out the next id of ``table`` (under the writer: no other transaction competes)."""
    lock_ids(conn, table)  # PostgreSQL: other processes' writers do compete there
    counted = conn.execute(select(_counter.c.last).where(_counter.c.name == table)).scalar()
    # Rows written without the counter (an old release, a test) still count.
    highest = conn.execute(select(_TABLES[table].c.id).order_by(_TABLES[table].c.id.desc())).first()
    new = max(counted or 0, highest.id if highest else 0) + 1
    if counted is None:
        conn.execute(insert(_counter).values(name=table, last=new))
    else:
        conn.execute(update(_counter).where(_counter.c.name == table).values(last=new))
    if new > MAX_ID:
        raise RuntimeError(f"{table}: ids exhausted")
    return new


def new_token(conn: Connection) -> str:
    while True:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        if conn.execute(select(_token.c.token).where(_token.c.token == token)).first() is None:
            return token


# --- writing the events and the rows the queries read -----------------------------------------


def append(
    conn: Connection, live: Live | None, sitting_id: int, recorded: list[sd.Recorded]
) -> str:
    """Chain ``recorded`` onto the sitting's log; return the new head hash."""
    head = GENESIS if live is None else live.head
    rows = [{"session_id": sitting_id, **row} for row in link_rows(head, recorded)]
    _INSERT_AUDIT.run(conn, rows)
    return rows[-1]["hash"] if rows else head


def _interview_row(i: sd.Interview) -> dict[str, Any]:
    """Every column of an interview row that the events move."""
    return {
        "state": str(i.state),
        "result": i.result,
        "dropped_high": i.dropped_high,
        "dropped_low": i.dropped_low,
        "started_at": i.started_at,
        "scored_at": i.scored_at,
        "announced_at": i.announced_at,
        "signed_at": i.signed_at,
        "note": i.note,
        "countdown_ends_at": i.countdown_ends_at,
    }


def _project(
    conn: Connection, before: sd.SittingState | None, after: sd.SittingState, e: sd.Recorded
) -> None:
    """Write the rows one event changes (``after`` is the state once it is folded)."""
    d = e.data
    kind = e.kind
    sid = after.id
    if kind == "session.created":
        conn.execute(
            insert(_sitting).values(
                id=sid,
                title=after.title,
                batch=after.batch,
                judge_count=after.judge_count,
                score_decimals=after.score_decimals,
                result_decimals=after.result_decimals,
                min_scores=after.min_scores,
                language=after.language,
                created_at=after.created_at,
                # A score sheet (评分要素), for queries beside the chain: criteria as JSON text.
                criteria=json.dumps([c.as_data() for c in after.criteria], ensure_ascii=False)
                if after.criteria
                else None,
                trim=after.trim,
            )
        )
        seats = [
            {"token": new_token(conn), "session_id": sid, "role": "judge", "seat": n}
            for n in range(1, after.judge_count + 1)
        ]
        conn.execute(
            insert(_token),
            [
                *seats,
                {"token": new_token(conn), "session_id": sid, "role": "display", "seat": None},
            ],
        )
    elif kind == "session.corrected":
        conn.execute(update(_sitting).where(_sitting.c.id == sid).values(**d["new"]))
        for seat in d.get("seats_added", ()):
            conn.execute(
                insert(_token).values(
                    token=new_token(conn), session_id=sid, role="judge", seat=seat
                )
            )
        if d.get("seats_removed"):
            conn.execute(
                delete(_token).where(
                    _token.c.session_id == sid,
                    _token.c.role == "judge",
                    _token.c.seat.in_(d["seats_removed"]),
                )
            )
    elif kind == "session.removed":
        conn.execute(update(_sitting).where(_sitting.c.id == sid).values(removed_at=e.moment))
    elif kind == "position.created":
        p = after.positions[d["position_id"]]
        conn.execute(
            insert(_position).values(
                id=p.id,
                session_id=sid,
                code=p.code,
                name=p.name,
                openings=p.openings,
                shortlist_ratio=p.shortlist_ratio,
            )
        )
    elif kind == "position.corrected":
        conn.execute(update(_position).where(_position.c.id == d["position_id"]).values(**d["new"]))
    elif kind == "position.removed":
        conn.execute(delete(_position).where(_position.c.id == d["position_id"]))
    elif kind == "interview.created":
        i = after.interviews[d["interview_id"]]
        conn.execute(
            insert(_interview).values(
                id=i.id,
                session_id=sid,
                position_id=i.position_id,
                draw_no=i.draw_no,
                candidate_name=i.candidate_name,
                state=str(i.state),
            )
        )
    elif kind == "interview.corrected":
        i = after.interviews[d["interview_id"]]
        conn.execute(
            update(_interview)
            .where(_interview.c.id == i.id)
            .values(draw_no=i.draw_no, candidate_name=i.candidate_name, position_id=i.position_id)
        )
    elif kind == "interview.removed":
        iid = d["interview_id"]
        conn.execute(delete(_excusal).where(_excusal.c.interview_id == iid))
        conn.execute(delete(_component_score).where(_component_score.c.interview_id == iid))
        conn.execute(delete(_interview).where(_interview.c.id == iid))
    elif kind == "mark.submitted":
        iid, seat = d["interview_id"], d["seat"]
        _INSERT_MARK.run(
            conn,
            {
                "session_id": sid,
                "interview_id": iid,
                "seat": seat,
                "score": d["score"],
                "request_id": d["request_id"],
                "submitted_at": e.moment,
                "voided_at": None,
                "active_key": f"{iid}:{seat}",
            },
        )
        # A mark leaves the interview's row as it was (still interviewing): nothing else to write.
    elif kind == "seat.excused":
        conn.execute(
            insert(_excusal).values(
                interview_id=d["interview_id"], seat=d["seat"], reason=d["reason"], at=e.moment
            )
        )
    elif kind == "mark.reopened":
        iid, seat = d["interview_id"], d["seat"]
        if d.get("old_score") is not None:
            conn.execute(
                update(_mark)
                .where(_mark.c.active_key == f"{iid}:{seat}")
                .values(voided_at=e.moment, active_key=None)
            )
        else:
            conn.execute(
                delete(_excusal).where(_excusal.c.interview_id == iid, _excusal.c.seat == seat)
            )
        _write_interview(conn, after, iid)
    elif kind == "interview.announced":
        conn.execute(
            update(_sitting).where(_sitting.c.id == sid).values(announced_id=d["interview_id"])
        )
        _write_interview(conn, after, d["interview_id"])
    elif kind in (
        "interview.started",
        "interview.countdown",
        "interview.scored",
        "interview.signed",
        "interview.absent",
        "interview.disputed",
    ):
        _write_interview(conn, after, d["interview_id"])
    elif kind == "component.created":
        c = after.components[d["component_id"]]
        conn.execute(
            insert(_component).values(
                id=c.id, session_id=sid, name=c.name, weight=c.weight, created_at=e.moment
            )
        )
    elif kind == "component.scored":
        iid, cid = d["interview_id"], d["component_id"]
        if d.get("old_score") is None:
            conn.execute(
                insert(_component_score).values(
                    interview_id=iid, component_id=cid, score=d["score"], at=e.moment
                )
            )
        else:
            conn.execute(
                update(_component_score)
                .where(
                    _component_score.c.interview_id == iid, _component_score.c.component_id == cid
                )
                .values(score=d["score"], at=e.moment)
            )
    else:  # pragma: no cover - every kind of audit.KINDS is written above
        raise ValueError(f"no rows for {kind!r}")


def _write_interview(conn: Connection, state: sd.SittingState, interview_id: int) -> None:
    interview = state.interviews[interview_id]
    _UPDATE_INTERVIEW.run(conn, {"interview_id_": interview_id, **_interview_row(interview)})


# --- the sittings this process holds -----------------------------------------------------------


#: Makes the command (or several) once the writer has reserved any row id it carries.
CommandFactory = Callable[[Connection], "sd.Command | list[sd.Command]"]


class Sittings:
    """Every live sitting's state and chain head, and the interview → sitting map.

    ``_live`` holds committed states only; ``_staged`` holds, while the writer's current
    batch is open, the states its savepoints produced (the next command of the same batch
    decides against them). :meth:`committed` and :meth:`rolled_back` are the writer's hooks.
    """

    def __init__(self) -> None:
        # Guards the check-then-set of ``_live`` between the event loop (a state loaded by a
        # reader) and the writer (a load, a commit): an older state never replaces a newer one.
        self._lock = threading.Lock()
        self._live: dict[int, Live] = {}
        self._staged: dict[int, Live] = {}
        self._interviews: dict[int, int] = {}
        #: Interviews created by the batch on the writer now: forgotten if it rolls back.
        self._staged_interviews: list[int] = []

    # Read by the event loop: a whole immutable state, swapped in by the writer after commit.
    def current(self, sitting_id: int) -> sd.SittingState | None:
        live = self._live.get(sitting_id)
        return None if live is None else live.state

    def live(self, sitting_id: int) -> Live | None:
        """The committed state and chain head this process holds (None: not loaded)."""
        return self._live.get(sitting_id)

    def held_ids(self) -> list[int]:
        """Every sitting this process holds in memory."""
        return list(self._live)

    def remember(self, live: Live) -> None:
        """Keep a state loaded outside the writer, unless the writer already holds a newer one."""
        with self._lock:
            held = self._live.get(live.state.id)
            if held is None or held.state.version < live.state.version:
                self._live[live.state.id] = live
                self._map(live.state)

    def forget(self) -> None:
        """Drop every state (they are reloaded from the database on next use)."""
        self._live.clear()
        self._staged.clear()
        self._interviews.clear()

    def _map(self, state: sd.SittingState) -> None:
        for iid in state.interviews:
            self._interviews[iid] = state.id

    # --- on the writer thread ---------------------------------------------------------------

    def held(self, conn: Connection, sitting_id: int) -> Live | None:
        live = self._staged.get(sitting_id) or self._live.get(sitting_id)
        if live is None:
            loaded = load(conn, sitting_id)  # in the writer's transaction: the newest there is
            if loaded is not None:
                self.remember(loaded)
                live = self._live[sitting_id]
        return live

    def latest(
        self, conn: Connection, sitting_id: int
    ) -> tuple[Live | None, list[sd.Recorded], Live | None]:
        """The sitting as the record has it now, the events this process had not seen, and the
        sitting as this process held it before them.

        On PostgreSQL, where other processes write too, the sitting's lock is taken first (until
        the transaction ends) and the chain's events past the state held are folded in, so a
        decision is made against the latest record and the chain never forks. Memory itself
        moves on only with what is committed and told to the screens (the listener does that
        for the others' events: server/pgbus.py).
        """
        if conn.dialect.name != "postgresql":
            live = self.held(conn, sitting_id)
            return live, [], live
        advisory_lock(conn, LOCK_SITTING, sitting_id)
        live = self.held(conn, sitting_id)
        if live is None:
            return None, [], None
        rows = read_chain(conn, sitting_id, after=live.state.version)
        if not rows:
            return live, [], live
        return fold_onto(live, rows), [event for event, _, _ in rows], live

    def sitting_for(self, conn: Connection, interview_id: int) -> int | None:
        sid = self._interviews.get(interview_id)
        if sid is None and 0 < interview_id <= MAX_ID:
            sid = sitting_of_interview(conn, interview_id)
            if sid is not None:
                self._interviews[interview_id] = sid
        return sid

    def execute(
        self,
        conn: Connection,
        sitting_id: int | None,
        command: sd.Command | CommandFactory,
        extra: Callable[[Connection, sd.SittingState], None] | None = None,
        at: str | None = None,
    ) -> tuple[Outcome, Live | None]:
        """Decide ``command`` against the sitting and write what it records; stage nothing yet.

        ``sitting_id`` None: the command creates the sitting (its id comes with the command).
        A factory may make several commands (a roster): each is decided against the state the
        ones before it leave, and they stand or fall together.
        """
        live, caught_up, held = (
            (None, [], None) if sitting_id is None else self.latest(conn, sitting_id)
        )
        before = None if live is None else live.state
        made = command(conn) if callable(command) else command
        commands = made if isinstance(made, list) else [made]
        stamp = at or iso_now()
        state, recorded, ack = before, [], None
        for one in commands:
            events = sd.decide(state, one)
            if isinstance(one, sd.Submit) and state is not None:
                ack = sd.acknowledge(state, one, events)
            seq = 0 if state is None else state.version
            for n, event in enumerate(events, start=1):
                step = sd.Recorded.of(event, seq + n, stamp)
                prior, state = state, sd.evolve(state, step)
                _project(conn, prior, state, step)
                recorded.append(step)
        if not recorded:
            assert before is not None
            return Outcome(before, before, [], ack), live
        assert state is not None
        head = append(conn, live, state.id, recorded)
        if extra is not None:
            extra(conn, state)
        notify(conn, f"{state.id}:{state.version}")  # delivered at commit (PostgreSQL)
        caught = tuple(caught_up)
        return (
            Outcome(before, state, recorded, ack, caught, held.state if held and caught else None),
            Live(state, head),
        )

    def stage(self, live: Live, events: Iterable[sd.Recorded]) -> None:
        """The command's savepoint held: later commands of the batch decide against ``live``."""
        self._staged[live.state.id] = live
        for event in events:
            if event.kind == "interview.created":
                self._interviews[event.data["interview_id"]] = live.state.id
                self._staged_interviews.append(event.data["interview_id"])

    def committed(self) -> None:
        with self._lock:
            for sitting_id, live in self._staged.items():
                # Never back: another process's later events may already be folded in (pgbus).
                held = self._live.get(sitting_id)
                if held is None or held.state.version < live.state.version:
                    self._live[sitting_id] = live
        self._staged.clear()
        self._staged_interviews.clear()

    def rolled_back(self) -> None:
        self._staged.clear()
        for interview_id in self._staged_interviews:  # its id may go to another sitting's next
            self._interviews.pop(interview_id, None)
        self._staged_interviews.clear()
