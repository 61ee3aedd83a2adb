"""Two real ``kiosk serve`` processes on one PostgreSQL database (DESIGN section 7).

Judges of one sitting split across the two, the display on the other: every screen sees every
change, in order. Writes raced through both never fork a chain nor answer 5xx or
``server_error``. A process killed with SIGKILL mid-burst loses nothing acknowledged: its phones
reconnect to the other, resend with the same request ids, and nothing is lost or doubled.

PostgreSQL only (``scripts/with-postgres`` sets KIOSK_TEST_DATABASE_URL); on SQLite one process
serves a file and a second refuses to start (tests/api/test_single_process.py and the like).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from websockets.exceptions import ConnectionClosed

from server.store.audit import verify_lines
from server.store.engine import is_sqlite
from tests.support import Api, ServerProcess, Socket, audit_lines_from_database

PG_URL = os.environ.get("KIOSK_TEST_DATABASE_URL", "")
ON_PG = bool(PG_URL) and not is_sqlite(PG_URL)

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.slow,
    pytest.mark.skipif(
        not ON_PG,
        reason="several processes share only a PostgreSQL database: run "
        "`scripts/with-postgres .venv/bin/pytest tests/multi` (KIOSK_TEST_DATABASE_URL=postgresql+psycopg://...)",
    ),
]


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    a, b = ServerProcess(tmp_path / "a"), ServerProcess(tmp_path / "b")
    # Started together: migrations and the password bootstrap must run once between them.
    threads = [threading.Thread(target=p.start) for p in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert a.proc is not None and a.proc.poll() is None, a.log()
        assert b.proc is not None and b.proc.poll() is None, b.log()
        yield a, b
    finally:
        a.stop()
        b.stop()
        for p in (a, b):
            assert "Traceback" not in p.log(), p.log()[-4000:]


@pytest.fixture
def client() -> Iterator[Any]:
    """Make the secretary's client of a server; closed at the end of the test."""
    made: list[Api] = []

    def make(server: ServerProcess) -> Api:
        made.append(Api(server.url))
        return made[-1]

    yield make
    for api in made:
        api.http.close()


def judge_socket(server: ServerProcess, token: str) -> Socket:
    return Socket(f"{server.ws_url}/ws/judge/{token}")


def display_socket(server: ServerProcess, token: str) -> Socket:
    return Socket(f"{server.ws_url}/ws/display/{token}")


def verify_with_cli(tmp_path: Path, lines: list[str], name: str) -> None:
    path = tmp_path / f"{name}.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", "verify", str(path)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def chain(sid: int) -> list[dict[str, Any]]:
    return [json.loads(line) for line in audit_lines_from_database(PG_URL, sid)]


def same_everywhere(one: Api, other: Api, sid: int, timeout: float = 10) -> None:
    """Both processes show the sitting alike (the other's events reach each within moments)."""
    deadline = time.monotonic() + timeout
    while (seen := one.get_session(sid)) != other.get_session(sid):
        assert time.monotonic() < deadline, seen
        time.sleep(0.05)


def frames_until(sock: Socket, done: Any, timeout: float = 15) -> list[dict[str, Any]]:
    """Every frame until ``done(frame)`` holds; fail after ``timeout`` seconds."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        assert left > 0, f"not seen in time; last frames: {seen[-3:]}"
        frame = sock.recv(left)
        seen.append(frame)
        if done(frame):
            return seen


def test_judges_split_across_processes_and_the_display_on_the_other_see_every_change_in_order(
    pair: tuple[ServerProcess, ServerProcess], client: Any
) -> None:
    a, b = pair
    api_a, api_b = client(a), client(b)
    session = api_a.sitting(judges=5, candidates=2)
    sid = session["id"]
    first, second = (i["id"] for i in session["interviews"])
    tokens = [j["token"] for j in session["judges"]]
    display = display_socket(b, session["display"]["token"])
    assert display.recv()["current"] is None
    # Seats 1-3 on A, 4-5 on B.
    phones = [judge_socket(a if n < 3 else b, t) for n, t in enumerate(tokens)]
    for phone in phones:
        assert phone.recv()["type"] == "state"
    api_b.flow(first, "start")  # started through B: the phones on A hear of it from the chain
    for phone in phones:
        frame = phone.recv_until("state")
        assert frame["interview"]["id"] == first and frame["interview"]["state"] == "interviewing"
    display_frames = frames_until(display, lambda f: (f["current"] or {}).get("id") == first)
    scores = ["80", "82.5", "90", "70", "85"]
    for seat, (phone, score) in enumerate(zip(phones, scores, strict=True), start=1):
        ack = phone.submit(first, score, f"m-{seat}")
        assert ack["type"] == "ack", ack
    # Every screen, on either process, counts the marks up to 5 without going back.
    for phone in phones:
        counts = [
            f["submitted"]
            for f in frames_until(phone, lambda f: f["type"] == "state" and f["submitted"] == 5)
            if f["type"] == "state"
        ]
        assert counts == sorted(counts), counts
    display_frames += frames_until(
        display, lambda f: f["current"] is None or (f["current"] or {}).get("submitted") == 5
    )
    counts = [f["current"]["submitted"] for f in display_frames if f["current"]]
    assert counts == sorted(counts), counts
    # Announced through A; the display on B shows it, then the next start through B reaches A.
    api_a.flow(first, "announce")
    shown = frames_until(display, lambda f: f["announcement"] is not None)[-1]["announcement"]
    assert shown["interview_id"] == first and shown["result"] == "82.50"
    api_a.flow(first, "dispute", note="考生未签字")
    api_b.flow(second, "start")
    for phone in phones[:3]:
        frames_until(
            phone, lambda f: f["type"] == "state" and (f["interview"] or {}).get("id") == second
        )
    same_everywhere(api_a, api_b, sid)
    verify_with_cli(Path(a.data_dir), audit_lines_from_database(PG_URL, sid), "split")
    for sock in [display, *phones]:
        sock.close()


def test_writes_raced_through_both_processes_never_fork_a_chain_nor_fail(
    pair: tuple[ServerProcess, ServerProcess], tmp_path: Path, client: Any
) -> None:
    a, b = pair
    apis = [client(a), client(b)]
    session = apis[0].session(judge_count=15, min_scores=5)
    sid = session["id"]
    for n, code in enumerate(["A", "B", "C", "D"]):
        apis[n % 2].position(sid, code)

    def add(n: int) -> int:
        api = apis[n % 2]
        response = api.http.post(
            f"/api/sessions/{sid}/interviews",
            json={"draw_no": n, "candidate_name": f"考生{n}", "position_code": "ABCD"[n % 4]},
        )
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    with ThreadPoolExecutor(8) as pool:
        interviews = list(pool.map(add, range(1, 41)))
    assert len(set(interviews)) == 40
    apis[1].flow(interviews[0], "start")
    tokens = [j["token"] for j in session["judges"]]

    def mark(seat: int) -> dict[str, Any]:
        server = (a, b)[seat % 2]
        phone = judge_socket(server, tokens[seat - 1])
        try:
            phone.recv()
            return phone.submit(interviews[0], str(60 + seat), f"race-{seat}")
        finally:
            phone.close()

    with ThreadPoolExecutor(15) as pool:
        answers = list(pool.map(mark, range(1, 16)))
    assert [x["type"] for x in answers] == ["ack"] * 15, answers
    # Flows raced too: only one start of two candidates can win; the other is a 409, not a 5xx.
    second, third = interviews[1], interviews[2]
    with ThreadPoolExecutor(2) as pool:
        codes = sorted(
            pool.map(
                lambda pair: apis[pair[0]].http.post(f"/api/interviews/{pair[1]}/start").status_code,
                [(0, second), (1, third)],
            )
        )
    assert codes == [200, 409], codes
    lines = audit_lines_from_database(PG_URL, sid)
    assert verify_lines(lines).ok
    seqs = [json.loads(line)["seq"] for line in lines]
    assert seqs == list(range(1, len(seqs) + 1))
    kinds = [json.loads(line)["kind"] for line in lines]
    assert kinds.count("interview.created") == 40 and kinds.count("mark.submitted") == 15
    assert kinds.count("interview.scored") == 1 and kinds.count("interview.started") == 2
    verify_with_cli(tmp_path, lines, "race")
    same_everywhere(*apis, sid)


def test_a_killed_process_loses_no_acknowledged_mark_when_its_phones_resend_to_the_other(
    pair: tuple[ServerProcess, ServerProcess], tmp_path: Path, client: Any
) -> None:
    a, b = pair
    api = client(b)
    session = api.sitting(judges=6, candidates=6)
    sid = session["id"]
    interviews = [i["id"] for i in session["interviews"]]
    tokens = [j["token"] for j in session["judges"]]
    on_a = range(0, 3)  # the seats (by index) whose phones talk to A; the rest talk to B
    phones = {n: judge_socket(a if n in on_a else b, tokens[n]) for n in range(6)}
    for phone in phones.values():
        phone.recv()
    acked: dict[str, dict[str, Any]] = {}  # request id → its ack
    sent: dict[str, tuple[int, int, str]] = {}  # request id → (seat index, interview, score)

    def read_acks(phone: Socket, wanted: set[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while wanted - acked.keys() and time.monotonic() < deadline:
            frame = phone.recv(max(0.01, deadline - time.monotonic()))
            if frame["type"] == "error":
                raise AssertionError(frame)
            if frame["type"] == "ack":
                acked[frame["request_id"]] = frame

    killed = False
    for k, iid in enumerate(interviews):
        api.flow(iid, "start")
        for n, phone in phones.items():
            rid = f"s{n + 1}-i{iid}"
            score = str(70 + n + k)
            sent[rid] = (n, iid, score)
            phone.send({"type": "submit", "request_id": rid, "interview_id": iid, "score": score})
        if k == 2 and not killed:
            a.kill()  # mid-burst: A's phones may or may not have had their acks
            killed = True
            for n in on_a:
                rids = {r for r, (m, _, _) in sent.items() if m == n}
                try:
                    read_acks(phones[n], rids, 0.5)  # whatever reached the phone before the kill
                except (ConnectionClosed, TimeoutError):
                    pass
                phones[n].close()
                # The phone reconnects (through the proxy, to the other process) and resends
                # every submission it has no ack for, with the same request id.
                phones[n] = judge_socket(b, tokens[n])
                phones[n].recv()
                for rid in sorted(rids - acked.keys()):
                    _, sent_iid, score = sent[rid]
                    phones[n].send(
                        {"type": "submit", "request_id": rid, "interview_id": sent_iid, "score": score}
                    )
        for n, phone in phones.items():
            rids = {r for r, (m, _, _) in sent.items() if m == n}
            read_acks(phone, rids, 15)
        assert {r for r in sent if sent[r][1] == iid} <= acked.keys()
    assert acked.keys() == sent.keys()
    for rid, ack in acked.items():
        assert ack["score"] == api_score(sent[rid][2]), (rid, ack)
    # The chain holds each acknowledged mark exactly once, and verifies.
    events = chain(sid)
    marks = [e["data"] for e in events if e["kind"] == "mark.submitted"]
    assert sorted(m["request_id"] for m in marks) == sorted(sent)
    assert len({(m["interview_id"], m["seat"]) for m in marks}) == len(marks)
    for m in marks:
        assert api_score(sent[m["request_id"]][2]) == m["score"]
    assert [e["kind"] for e in events].count("interview.scored") == len(interviews)
    lines = audit_lines_from_database(PG_URL, sid)
    assert verify_lines(lines).ok
    verify_with_cli(tmp_path, lines, "killed")
    for phone in phones.values():
        phone.close()


def api_score(score: str) -> str:
    """A mark as the sitting records it (one decimal, the default)."""
    return f"{float(score):.1f}"


def test_a_process_whose_listening_connection_dropped_catches_up_from_the_chain(
    pair: tuple[ServerProcess, ServerProcess], client: Any
) -> None:
    a, b = pair
    api_b = client(b)
    session = api_b.sitting(judges=5, candidates=3)
    interviews = [i["id"] for i in session["interviews"]]
    display = display_socket(a, session["display"]["token"])
    display.recv()
    engine = sqlalchemy.create_engine(PG_URL)
    try:
        with engine.connect() as conn:
            dropped = conn.execute(
                sqlalchemy.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE application_name = :name"
                ),
                {"name": f"kiosk-listen-{a.proc.pid if a.proc else 0}"},
            ).all()
            conn.commit()
    finally:
        engine.dispose()
    assert dropped == [(True,)]
    api_b.flow(interviews[0], "start")  # while A may be listening again, or not yet
    frames_until(display, lambda f: (f["current"] or {}).get("id") == interviews[0])
    deadline = time.monotonic() + 10
    while "listening again" not in a.log():
        assert time.monotonic() < deadline, a.log()[-2000:]
        time.sleep(0.05)
    display.close()


def test_two_processes_starting_on_an_empty_database_migrate_once_and_make_one_password(
    tmp_path: Path,
) -> None:
    name = f"kiosk_boot_{os.getpid()}_{time.monotonic_ns()}"
    admin = sqlalchemy.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    url = sqlalchemy.engine.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    env = {"KIOSK_DATABASE_URL": url, "KIOSK_SECRETARY_PASSWORD": ""}  # empty: generate one
    servers = [ServerProcess(tmp_path / side, env) for side in ("a", "b")]
    try:
        threads = [threading.Thread(target=p.start) for p in servers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        printed = [
            line.split("secretary password: ")[1].split()[0]
            for p in servers
            for line in p.log().splitlines()
            if "secretary password: " in line
        ]
        assert len(printed) == 1, printed  # exactly one process made (and printed) it
        for p in servers:
            assert p.proc is not None and p.proc.poll() is None, p.log()
            with httpx_client(p.url) as http:
                assert http.post("/api/login", json={"password": printed[0]}).status_code == 200
    finally:
        for p in servers:
            p.stop()
        with admin.connect() as conn:
            conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def httpx_client(base_url: str) -> Any:
    import httpx

    return httpx.Client(base_url=base_url, timeout=30)


def test_the_console_on_one_process_counts_the_phones_on_the_other(
    pair: tuple[ServerProcess, ServerProcess], client: Any
) -> None:
    a, b = pair
    api_a = client(a)
    session = api_a.sitting(judges=5)
    sid = session["id"]
    token = api_a.http.headers["Authorization"].removeprefix("Bearer ")
    console = Socket(
        f"{a.ws_url}/ws/console/{sid}", additional_headers={"Authorization": f"Bearer {token}"}
    )
    first = console.recv()
    assert first["type"] == "session"
    assert [s["connections"] for s in first["seats"]] == [0, 0, 0, 0, 0]

    def seats_until(wanted: list[int], timeout: float = 15) -> list[dict[str, Any]]:
        frame = frames_until(
            console,
            lambda f: "seats" in f and [s["connections"] for s in f["seats"]] == wanted,
            timeout,
        )[-1]
        return frame["seats"]

    # Seat 1 on A (the console's own process), seats 2 and 3 on B.
    phones = [
        judge_socket(a, session["judges"][0]["token"]),
        judge_socket(b, session["judges"][1]["token"]),
        judge_socket(b, session["judges"][2]["token"]),
    ]
    for phone in phones:
        assert phone.recv()["type"] == "state"
    seats = seats_until([1, 1, 1, 0, 0])
    assert [s["live"] for s in seats] == [True, True, True, False, False]
    # A phone on B leaves: the console on A hears it from B.
    phones[2].close()
    seats_until([1, 1, 0, 0, 0])
    # B dies: its phones drop out of A's counts once B's last word is older than the stale limit.
    b.kill()
    seats_until([1, 0, 0, 0, 0], timeout=40)
    for sock in [console, phones[0]]:
        sock.close()
